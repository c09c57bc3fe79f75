"""What the pages' templates may call of the domain: the vocabulary's labels in the person's
language, the lifecycle's entry labels, each role's home page, the photo size to shrink to.

``backend.web.templating`` is plumbing only (translations, times, static URLs); the app factory
(``backend.app``) registers these on its Jinja environment.
"""

from __future__ import annotations

from backend.accounts.guards import home_path
from backend.cases.lifecycle import entry_label
from backend.photos.pipeline import DISPLAY_LONG_SIDE
from backend.labels import case_type_label, satisfaction_label, solved_label, status_label
from backend.vocabulary import CITIZEN_CASE_TYPES, Satisfaction, Solved


def domain_globals() -> dict:
    return {
        "home_path": home_path,
        "entry_label": entry_label,
        "status_label": status_label,
        "case_type_label": case_type_label,
        "satisfaction_label": satisfaction_label,
        "solved_label": solved_label,
        "case_types": [t.value for t in CITIZEN_CASE_TYPES],
        "satisfactions": [s.value for s in Satisfaction],
        "solved_choices": [s.value for s in Solved],
        "photo_max_side": DISPLAY_LONG_SIDE,  # browsers shrink bigger photos to this before upload
    }
