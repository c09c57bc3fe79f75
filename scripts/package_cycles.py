"""The pairs of backend's packages that import each other, and which modules do it (grimp).

    PYTHONPATH=. .venv/bin/python scripts/package_cycles.py
"""

from __future__ import annotations

import itertools

import grimp


def main() -> None:
    graph = grimp.build_graph("backend")
    packages = sorted(m for m in graph.modules if m.count(".") == 1 and graph.find_children(m))
    modules = sorted(m for m in graph.modules if m.count(".") == 1 and not graph.find_children(m))
    units = packages + modules  # backend.app, backend.errors, ... count as their own unit

    def unit_of(module: str) -> str:
        return ".".join(module.split(".")[:2])

    edges: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = unit_of(importer), unit_of(imported)
            if a != b and a in units and b in units:
                edges.setdefault((a, b), []).append((importer, imported))
    pairs = [(a, b) for a, b in itertools.combinations(units, 2) if (a, b) in edges and (b, a) in edges]
    for a, b in pairs:
        print(f"{a} <-> {b}")
        for importer, imported in sorted(edges[a, b] + edges[b, a]):
            print(f"    {importer} -> {imported}")
    print(f"{len(pairs)} pairs of packages import each other")


if __name__ == "__main__":
    main()
