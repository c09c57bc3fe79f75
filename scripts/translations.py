"""Brings the gettext catalogues up to date after strings changed in code or templates.

    .venv/bin/python scripts/translations.py

Extracts the messages (Babel), updates the zh_CN and en catalogues, fills the English catalogue
from the source (English is the source language: its entries start as the source text, like
gettext's msgen, and may then be reworded there without touching code), and lists the Chinese
entries still to translate. tests/web/test_i18n.py fails while any is left.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "backend" / "locale"
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def catalogue_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "messages.po"


def main() -> int:
    template = LOCALE / "messages.pot"
    subprocess.run(
        [*PYBABEL, "extract", "-F", "babel.cfg", "-k", "N_", "--no-location", "--omit-header", "-o", str(template), "."],
        cwd=ROOT,
        check=True,
    )
    subprocess.run(
        [*PYBABEL, "update", "-i", str(template), "-d", str(LOCALE), "--ignore-obsolete", "-w", "100"], cwd=ROOT, check=True
    )
    with catalogue_path("en").open("rb") as f:
        english = read_po(f, locale="en")
    for message in english:
        if message.id and (message.fuzzy or not any(message.string if isinstance(message.string, tuple) else [message.string])):
            message.string = message.id  # a (singular, plural) pair stays a pair
            message.flags.discard("fuzzy")
    with catalogue_path("en").open("wb") as f:
        write_po(f, english, width=100)
    with catalogue_path("zh_CN").open("rb") as f:
        chinese = read_po(f, locale="zh_CN")
    missing = [message.id for message in chinese if message.id and (message.fuzzy or not message.string)]
    for message_id in missing:
        print("zh_CN to translate:", message_id)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
