"""Every module of ``backend`` has its place in the layers contract that ``lint-imports`` checks
(pyproject.toml): a module the contract does not name is checked by nothing, so a new one must
be given its layer."""

from __future__ import annotations

import pkgutil
import re
import tomllib

import backend
from tests.support import PROJECT_ROOT

# Containers and machinery rather than code of a layer: the packages themselves, Piccolo's apps
# and migrations, and web/, which has a contract of its own.
NOT_LAYERED = re.compile(r"\.piccolo_app$|\.piccolo_migrations(\.|$)|^backend\.web(\.|$)")


def test_every_module_is_in_a_layer():
    contracts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(contract for contract in contracts if contract["type"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in re.split(r"[:|]", layer)}
    modules = {module.name for module in pkgutil.walk_packages(backend.__path__, "backend.") if not module.ispkg}
    unplaced = sorted(
        module for module in modules
        if not NOT_LAYERED.search(module) and not any(module == name or module.startswith(name + ".") for name in named)
    )
    assert not unplaced, unplaced
    assert "backend.cases.workflow" in named and "backend.notifications.outbox" in named  # the contract was read


def test_every_domain_module_is_kept_from_the_web_framework():
    contracts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    domain = {name.strip() for name in next(c for c in contracts if c["type"] == "layers")["layers"][2].split(":")}
    kept = set(next(c for c in contracts if c["name"] == "The domain services import nothing of the web framework")["source_modules"])
    assert domain - kept == set(), sorted(domain - kept)
