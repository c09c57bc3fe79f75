"""Reading submitted forms: every field is text, whatever a hostile client sends in its place."""

from __future__ import annotations

from litestar.datastructures import FormMultiDict


def form_text(form: FormMultiDict, name: str) -> str:
    """The field's text; a file or a missing field counts as empty."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""
