from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from backend.accounts.tables import Account
from backend.cases.tables import Case


class Suggestion(Table, tablename="suggestion"):
    """A representative's suggestion (建议): a case of its own type, and who leads it. While the
    case is a draft it has no number anyone sees and is in no queue."""

    case = ForeignKey(references=Case, null=False, unique=True)
    lead = ForeignKey(references=Account, null=False, index=True, on_delete=OnDelete.restrict)
    body = Varchar(length=10)  # the lead's body (人大 / 政协) when filing: the public list filters by it
    submitted_at = Timestamptz(null=True, default=None)


class CoSigner(Table, tablename="suggestion_co_signer"):
    """A representative invited to co-sign (联名 / 附议) a draft; ``signed_at`` once they did.
    One row per suggestion and representative: a unique index in the migration."""

    suggestion = ForeignKey(references=Suggestion, null=False, index=True)
    account = ForeignKey(references=Account, null=False, index=True, on_delete=OnDelete.restrict)
    invited_at = Timestamptz()
    signed_at = Timestamptz(null=True, default=None)


class Attachment(Table, tablename="suggestion_attachment"):
    """A PDF filed with a suggestion: stored content-addressed under the media directory, served
    only as a download by its random key."""

    suggestion = ForeignKey(references=Suggestion, null=False, index=True)
    key = Varchar(length=32, unique=True)
    sha256 = Varchar(length=64)
    filename = Varchar(length=120)
    size = Integer()
    created_at = Timestamptz()
