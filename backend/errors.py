"""What the domain refuses, in the domain's words: five kinds of refusal, no HTTP.

Each adapter maps the kinds ONCE to its own format (``backend.web.errors.STATUS`` gives each
kind its HTTP status; the pages, the JSON API and Open311 each answer with it in their shape).
A refusal's ``message`` is a translatable message id; ``fields`` names the fields at fault.
"""

from __future__ import annotations


class Refusal(Exception):
    """Something the domain will not do, and why (a message id)."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def __eq__(self, other: object) -> bool:  # a value: the same kind with the same message
        return type(other) is type(self) and (other.message, other.fields) == (self.message, self.fields)

    def __hash__(self) -> int:
        return hash((type(self), self.message))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class NotFound(Refusal):
    """No such thing, or none this person may know of."""


class Forbidden(Refusal):
    """Not for this person: their role, department or part in the case."""


class WrongState(Refusal):
    """Not possible in the thing's current state (or it was done already)."""


class Unavailable(Refusal):
    """Something the platform depends on (the media store, say) cannot be reached now: nothing
    was done, and the same request later will work."""


class InvalidInput(Refusal):
    """What was given can't be used: something missing, too long, or not one of the choices."""


class Malformed(InvalidInput):
    """Input that can't even be read as what it should be (a filter, a day): a bad request."""


class FieldErrors(Exception):
    """What was typed can't be used: field name (or "" for the whole form) → translatable
    message id, and the kind of refusal it is (``InvalidInput`` unless the domain says
    otherwise: ``NotFound`` for a form about something that is gone, say). Each domain names
    its own subclass."""

    default_kind: type[Refusal] = InvalidInput

    def __init__(self, errors: dict[str, str], kind: type[Refusal] | None = None):
        super().__init__(errors)
        self.errors = errors
        self.kind = kind or self.default_kind
