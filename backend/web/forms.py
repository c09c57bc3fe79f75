"""Reading submitted forms: every field is text, whatever a hostile client sends in its place."""

from __future__ import annotations

from typing import TypeVar

from litestar.datastructures import FormMultiDict

TypedForm = TypeVar("TypedForm")


def form_text(form: FormMultiDict, name: str) -> str:
    """The field's text; a file or a missing field counts as empty."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def typed_form(form_class: type[TypedForm], form: FormMultiDict) -> TypedForm:
    """A dataclass of text fields, filled with what was typed into the fields of those names."""
    return form_class(**{name: form_text(form, name) for name in form_class.__dataclass_fields__})
