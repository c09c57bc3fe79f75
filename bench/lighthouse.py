"""Lighthouse 13 at mobile settings against the home page, the case list, a case page and the
report form, with Debian's Chromium; prints the four category scores of each and what a first
visit to the case page transfers.

    .venv/bin/python bench/lighthouse.py

Installs Lighthouse (and the Node 22 it needs) from the npm registry into bench/lighthouse on
first use, then serves ``minsheng serve`` with the demo data on a fresh SQLite database in a
temporary directory. The map's tiles come from a small tile server of its own here (256-pixel PNGs
like OpenStreetMap's), since OSM's servers may be out of reach: a case list whose tiles fail
would lose best-practice points for the network, not for Minsheng. Lighthouse's own mobile
defaults apply: a mid-range phone's screen and CPU
(4× slowdown) on a simulated slow 4G connection.

Goals (the PWA issue): performance ≥ 95, accessibility 100, best practices 100, SEO 100; the
first visit to a case page ≤ 60 KB transferred.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tests.support import start_tile_server  # noqa: E402  (the tests' tile server)

TOOL_DIR = PROJECT_ROOT / "bench" / "lighthouse"
NODE = TOOL_DIR / "node_modules" / ".bin" / "node"
LIGHTHOUSE = TOOL_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CASE_PAGE_BUDGET = 60 * 1024


def install_lighthouse() -> None:
    if not LIGHTHOUSE.exists() or not NODE.exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TOOL_DIR, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo_server(directory: Path, port: int, tile_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "MINSHENG_DATABASE_URL": f"sqlite:///{directory / 'bench.sqlite3'}",
        "MINSHENG_DATA_DIR": str(directory / "data"),
        "MINSHENG_MEDIA_DIR": str(directory / "media"),
        "MINSHENG_ORIGIN": f"http://localhost:{port}",
        "MINSHENG_SCHEDULER_SECONDS": "0",
        "MINSHENG_MAP_TILE_URL": tile_url,
    }
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run([sys.executable, "-m", "backend.cli", *command], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://localhost:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not come up")


def audit(url: str, directory: Path) -> dict:
    report = directory / "report.json"
    command = [
        str(NODE), str(LIGHTHOUSE), url,
        f"--chrome-path={CHROMIUM}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json", f"--output-path={report}", "--quiet",
    ]
    # Lighthouse sometimes loses its own trace of a load (NO_NAVSTART): that run says nothing
    # about the page, so it is run again.
    for _ in range(3):
        if subprocess.run(command).returncode == 0:
            return json.loads(report.read_text())
    raise SystemExit(f"Lighthouse failed three times on {url}")


def main() -> None:
    install_lighthouse()
    with tempfile.TemporaryDirectory(prefix="minsheng-lighthouse-") as name:
        directory = Path(name)
        port = free_port()
        tiles = start_tile_server()
        server = start_demo_server(directory, port, f"http://127.0.0.1:{tiles.server_port}/{{z}}/{{x}}/{{y}}.png")
        try:
            base = f"http://localhost:{port}"
            listing = urllib.request.urlopen(f"{base}/cases").read().decode()
            number = re.search(r'href="/cases/(\d{4}-\d{6})"', listing).group(1)
            pages = {"home": "/", "case list": "/cases", "case page": f"/cases/{number}", "report form": "/report"}
            print(f"Lighthouse 13 (mobile), {CHROMIUM}")
            print(f"{'page':<12} " + " ".join(f"{c:>15}" for c in CATEGORIES) + f" {'transferred':>12}")
            failures = []
            for label, path in pages.items():
                result = audit(base + path, directory)
                scores = {c: round(result["categories"][c]["score"] * 100) for c in CATEGORIES}
                weight = result["audits"]["total-byte-weight"]["numericValue"]
                print(f"{label:<12} " + " ".join(f"{scores[c]:>15}" for c in CATEGORIES) + f" {weight / 1024:>9.1f} KB")
                goals = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
                failures += [f"{label}: {c} {scores[c]} < {goal}" for c, goal in goals.items() if scores[c] < goal]
                failures += [
                    f"{label}: {result['audits'][a]['title']}"
                    for c in CATEGORIES
                    for ref in result["categories"][c]["auditRefs"]
                    if ref["weight"] and (a := ref["id"]) and result["audits"][a]["score"] is not None and result["audits"][a]["score"] < 1
                    and c != "performance"
                ]
                if label == "case page" and weight > CASE_PAGE_BUDGET:
                    failures.append(f"case page: {weight / 1024:.1f} KB transferred > 60 KB")
                    for item in result["audits"]["total-byte-weight"]["details"]["items"]:
                        failures.append(f"    {item['totalBytes'] / 1024:6.1f} KB {item['url'].removeprefix(base)}")
            print("\nbelow the goals:" if failures else "\nall goals met")
            for failure in failures:
                print("  " + failure)
        finally:
            server.terminate()
            server.wait(10)
            tiles.shutdown()


if __name__ == "__main__":
    main()
