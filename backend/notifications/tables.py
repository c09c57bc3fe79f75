from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.accounts.tables import Account
from backend.cases.tables import Case, CaseMerge, TimelineEntry
from backend.departments.tables import Area, Category


class Subscription(Table, tablename="notification_subscription"):
    """Someone who asked to hear of a case on one channel: its filer, or a follower of a public
    case (``notices.Audience``). Personal data: staff see the filer's masked."""

    case = ForeignKey(references=Case, null=False, index=True, on_delete=OnDelete.cascade)
    audience = Varchar(length=10, default="filer")  # filer, follower
    channel = Varchar(length=10)  # email, sms, push
    # The email address, the phone number, or the push service's endpoint.
    address = Varchar(length=1000)
    push_keys = Text(default="")  # a push subscription's keys (p256dh, auth), as JSON
    language = Varchar(length=10)  # the messages' language: the page's when they subscribed
    # The follow link, encrypted with the secret key (the case keeps only its hash): messages
    # link straight to the case and its rating form.
    follow_link = Text(default="")
    # Email: when the link in the first message was followed; nothing else is sent before.
    # SMS and push: when they consented.
    verified_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class StaffSubscription(Table, tablename="staff_subscription"):
    """Where a staff member hears of their work: a device (push), an email address, or a phone
    number (SMS), each chosen on their account page."""

    account = ForeignKey(references=Account, null=False, index=True, on_delete=OnDelete.cascade)
    channel = Varchar(length=10)
    address = Varchar(length=1000)  # the push service's endpoint, the email address or the phone number
    push_keys = Text(default="")
    language = Varchar(length=10)
    # Email: when the link in the first message was followed; nothing else is sent before.
    # SMS and push: when they were added (with consent, for SMS).
    verified_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class StaffNoticeChoice(Table, tablename="staff_notice_choice"):
    """What a staff member chose to hear of (``preferences``): the notices turned off, and quiet
    hours, in the platform's time zone, when only what is due within the hour goes out."""

    account = ForeignKey(references=Account, null=False, unique=True, on_delete=OnDelete.cascade)
    muted = Varchar(length=500, default="")  # notices turned off, separated by spaces
    quiet_from = Varchar(length=5, default="")  # "22:00"; empty: no quiet hours
    quiet_until = Varchar(length=5, default="")  # "07:00"


class NoticeWording(Table, tablename="notice_wording"):
    """An admin's wording of one notice on one channel in one language (``wordings``), in place
    of the default; unique on (notice, channel, language)."""

    notice = Varchar(length=30)
    channel = Varchar(length=10)
    language = Varchar(length=10)
    text = Text()
    changed_by_name = Varchar(length=100, default="")  # kept when the account is gone
    changed_at = Timestamptz()


class Message(Table, tablename="notification_message"):
    """The outbox: one message for one subscription, written with the timeline entry it tells of.

    pending (due at ``due_at``) → sending (claimed by a worker until ``claimed_until``) → sent;
    a failed attempt goes back to pending later, and after the last one it is dead (the dead
    letters of the admin page). A claim that outlives its time (the worker died mid-send) is
    taken again.
    """

    # None only for the check of a staff member's email address, which is of no case.
    case = ForeignKey(references=Case, null=True, default=None, index=True, on_delete=OnDelete.cascade)
    subscription = ForeignKey(references=Subscription, null=True, default=None, on_delete=OnDelete.set_null)
    # Or a staff member's device: news of their work rather than of their own case.
    staff_subscription = ForeignKey(references=StaffSubscription, null=True, default=None, on_delete=OnDelete.set_null)
    entry = ForeignKey(references=TimelineEntry, null=True, default=None, on_delete=OnDelete.set_null)
    event = Varchar(length=20)
    channel = Varchar(length=10)
    status = Varchar(length=10, index=True)
    attempts = Integer(default=0)
    due_at = Timestamptz()
    claimed_until = Timestamptz(null=True, default=None)
    error = Varchar(length=200, default="")  # the last failure, in words for staff (no address)
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class MovedSubscription(Table, tablename="moved_subscription"):
    """What a merge (``cases.tables.CaseMerge``) did to a subscription of the duplicate: a
    follower's moved to the original, or the filer's copied there as a follower's (the filer's
    own stays, with their follow link); undoing the merge moves it back, or deletes the copy."""

    merge = ForeignKey(references=CaseMerge, null=False, index=True, on_delete=OnDelete.cascade)
    subscription = ForeignKey(references=Subscription, null=False, on_delete=OnDelete.cascade)
    copied = Boolean(default=False)


class AlertSubscription(Table, tablename="alert_subscription"):
    """Anyone's alert of new public cases (``alerts``): in an area (a district includes its
    streets and towns), of a category, or both; by email (confirmed by a link first) or push on
    a device. No case of its own: it is not a ``Subscription``."""

    area = ForeignKey(references=Area, null=True, default=None, index=True, on_delete=OnDelete.cascade)
    category = ForeignKey(references=Category, null=True, default=None, index=True, on_delete=OnDelete.cascade)
    channel = Varchar(length=10)  # email, push
    address = Varchar(length=1000, index=True)  # the email address, or the push service's endpoint
    push_keys = Text(default="")
    language = Varchar(length=10)
    verified_at = Timestamptz(null=True, default=None)  # email: when the link was followed
    created_at = Timestamptz()


class AlertMessage(Table, tablename="alert_message"):
    """The alerts' outbox, with the same states and claims as ``Message``: the address check, or
    one day's digest, which keeps the public cases it lists (written once, by the clock job).
    Unique on (subscription, day): each subscriber gets each day's digest once."""

    subscription = ForeignKey(references=AlertSubscription, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=10)  # verify, digest
    day = Date(null=True, default=None)  # the digest's day, in the platform's time zone
    numbers = Text(default="")  # the digest's cases shown (at most ``alerts.DIGEST_CAP``), space separated
    total = Integer(default=0)  # how many public cases the day had: more than shown → a link to all
    status = Varchar(length=10, index=True)
    attempts = Integer(default=0)
    due_at = Timestamptz()
    claimed_until = Timestamptz(null=True, default=None)
    error = Varchar(length=200, default="")
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
