from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.departments.tables import Department


class Account(Table, tablename="account"):
    """A person who signs in: staff or a representative. Citizens need no account."""

    name = Varchar(length=100)
    role = Varchar(length=20, index=True)
    # Handlers only. A department with handlers cannot be deleted from under them.
    department = ForeignKey(references=Department, null=True, on_delete=OnDelete.restrict)
    body = Varchar(length=10, null=True, default=None)  # representatives only
    level = Varchar(length=20, null=True, default=None)  # representatives only
    constituency = Varchar(length=100, default="")  # representatives only
    # The WebAuthn user handle: random, never personal data (authenticators may show it).
    user_handle = Varchar(length=64, unique=True)
    active = Boolean(default=True)
    # Raised to end every session of the account at once (disabling, revoking passkeys).
    session_epoch = Integer(default=0)
    created_at = Timestamptz()


class Passkey(Table, tablename="passkey"):
    account = ForeignKey(references=Account, null=False, index=True)
    credential_id = Varchar(length=1400, unique=True)  # base64url; the spec allows up to 1023 bytes
    public_key = Text()  # COSE key, base64url
    sign_count = BigInt(default=0)  # authenticators count up to 2**32 - 1
    name = Varchar(length=60)
    transports = Varchar(length=200, default="")
    backed_up = Boolean(default=False)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)


class Invitation(Table, tablename="invitation"):
    account = ForeignKey(references=Account, null=False, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # null: command line
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class WebAuthnChallenge(Table, tablename="webauthn_challenge"):
    """Every challenge the server issued: single use (deleted when used), and expiring."""

    challenge = Varchar(length=100, unique=True)  # base64url
    purpose = Varchar(length=20)
    account = ForeignKey(references=Account, null=True)  # bound for enrolment and confirmation
    expires_at = Timestamptz(index=True)


class AuditEvent(Table, tablename="audit_event"):
    """Append-only: the services only ever insert here. Names are copied in, and the links
    are cut rather than the rows deleted, so nothing removes an entry."""

    created_at = Timestamptz(index=True)
    actor = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    actor_name = Varchar(length=100, default="")
    action = Varchar(length=40)
    subject = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    subject_name = Varchar(length=100, default="")
    detail = Text(default="")
    client_address = Varchar(length=64, default="")


class ApiKey(Table, tablename="api_key"):
    """A machine's key to the API: only its hash is kept; the key is shown once, when made."""

    name = Varchar(length=100)
    scope = Varchar(length=40)  # read, file, moderator, or staff:<department id>
    key_hash = Varchar(length=64, unique=True)  # sha256 of the key, hex
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # null: command line
    created_by_name = Varchar(length=100, default="")
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
