"""The one shape of a refusal of what a person typed, shared by every domain's services."""

from __future__ import annotations


class FieldErrors(Exception):
    """What was typed can't be used: field name (or "" for the whole form) → translatable
    message id, and the HTTP status an adapter answers with. Each domain names its own kind."""

    default_status = 422

    def __init__(self, errors: dict[str, str], status_code: int | None = None):
        super().__init__(errors)
        self.errors = errors
        self.status_code = status_code or self.default_status
