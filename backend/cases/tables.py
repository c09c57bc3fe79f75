from piccolo.columns import BigInt, Boolean, Date, Float, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.accounts.tables import Account
from backend.departments.tables import Area, Category, Department
from backend.knowledge.tables import KnowledgeEntry


class Case(Table, tablename="cases"):
    number = Varchar(length=20, unique=True, index=True)
    case_type = Varchar(length=20)
    category = ForeignKey(references=Category, null=False)
    department = ForeignKey(references=Department, null=True)  # the lead department, once assigned
    # A district, or a street or town in it; deleting an area never deletes its cases.
    area = ForeignKey(references=Area, null=True, default=None, on_delete=OnDelete.no_action)
    title = Varchar(length=100)
    description = Text()
    address = Varchar(length=200)
    latitude = Float(null=True, default=None)
    longitude = Float(null=True, default=None)
    # Personal data: never shown on public pages, feeds, or APIs.
    filer_name = Varchar(length=50)
    filer_phone = Varchar(length=30)
    # When the retention job erased the filer's contact details (``cases.retention``).
    anonymised_at = Timestamptz(null=True, default=None)
    publication_consent = Boolean(default=False)
    status = Varchar(length=20, index=True)
    source = Varchar(length=20, default="web")  # web, hotline (12345), mailbox, social
    source_url = Varchar(length=500, default="")  # a social-media post the case came from; staff only
    follow_token_hash = Varchar(length=64, unique=True, index=True)
    # A filing sent twice (double tap, retry after a dropped connection) files once.
    submission_key = Varchar(length=64, unique=True, null=True, default=None)
    # What was filed under that key (``services.submission_digest``): the key is the client's
    # choice, so a second sending files nothing new only when it carries the same content.
    submission_digest = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # Set when a case becomes public; the public list is ordered and paged by it.
    published_at = Timestamptz(null=True, default=None, index=True)
    duplicate_of = ForeignKey(references="self", null=True, default=None)
    # The clocks (see ``deadlines.clocks`` and ``cases.clock_columns``): each deadline, and when it was met.
    first_assigned_at = Timestamptz(null=True, default=None)
    assigned_at = Timestamptz(null=True, default=None)  # the latest assignment
    sign_due_at = Timestamptz(null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    contact_due_at = Timestamptz(null=True, default=None)
    contacted_at = Timestamptz(null=True, default=None)
    response_due_at = Timestamptz(null=True, default=None)
    responded_at = Timestamptz(null=True, default=None)
    answer_due_at = Timestamptz(null=True, default=None, index=True)
    answer_warning_at = Timestamptz(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    # Set once each by the clock jobs (``supervision``), when the warning went out and when each
    # clock was found overdue; a restarted clock clears its own. ``overdue_at``: the first time
    # any clock of the case was, kept for the figures. Partial indexes in the migration keep the
    # jobs' searches for what is newly due small.
    answer_warned_at = Timestamptz(null=True, default=None)
    sign_reminded_at = Timestamptz(null=True, default=None)  # the handlers were told the signing is due in minutes
    sign_overdue_at = Timestamptz(null=True, default=None)
    contact_overdue_at = Timestamptz(null=True, default=None)
    response_overdue_at = Timestamptz(null=True, default=None)
    answer_overdue_at = Timestamptz(null=True, default=None)
    overdue_at = Timestamptz(null=True, default=None, index=True)
    # The escalation ladder's last step (``escalation``): the leaders were alerted, once per time the
    # answer went overdue (a new answer clock clears it).
    answer_escalated_at = Timestamptz(null=True, default=None)
    supervised_at = Timestamptz(null=True, default=None, index=True)  # the latest supervision (督办)
    # A leader who took personal charge of the case (提级办理 to themselves, 领导包案).
    leader = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    reopened_count = Integer(default=0)  # 重办: how often the platform centre sent it back to the department
    # 我也遇到: how many people support the case, kept with each Support row in one transaction.
    support_count = Integer(default=0)
    # A consultation answered directly from the knowledge base (``answer_from_knowledge``): the
    # entry its answer came from, which the figures count.
    knowledge_entry = ForeignKey(references=KnowledgeEntry, null=True, default=None, on_delete=OnDelete.restrict)


class CoHandler(Table, tablename="co_handler"):
    """A co-handling department (协办) of a case; the lead (主办) is ``Case.department``."""

    case = ForeignKey(references=Case, null=False, index=True)
    department = ForeignKey(references=Department, null=False, index=True)


class TimelineEntry(Table, tablename="timeline_entry"):
    case = ForeignKey(references=Case, null=False, index=True)
    created_at = Timestamptz()
    action = Varchar(length=30)
    status_after = Varchar(length=20, null=True, default=None)
    actor_role = Varchar(length=20)
    actor_name = Varchar(length=100, default="")  # a department or the platform, never a citizen
    visibility = Varchar(length=20)
    body = Text(default="")
    department = ForeignKey(references=Department, null=True, default=None)  # who wrote it, for handlers
    # Department text for the public waits for a moderator: pending → approved or sent back.
    review = Varchar(length=20, default="", index=True)
    refers_to = ForeignKey(references="self", null=True, default=None)  # the entry reviewed or edited
    due_at = Timestamptz(null=True, default=None)  # extensions: the new answer deadline asked or granted
    # Its text holds personal details (staff marked it, or it is what a moderator redacted out of
    # the case): erased with the filer's contact details (``cases.retention``).
    personal = Boolean(default=False)


class CaseNumberCounter(Table, tablename="case_number_counter"):
    year = Integer(unique=True)
    last = Integer(default=0)


class Rating(Table, tablename="rating"):
    """The filer's rating of one published reply; the comment is the text of its timeline entry
    (kept as written, for the filer and staff)."""

    case = ForeignKey(references=Case, null=False, index=True)
    entry = ForeignKey(references=TimelineEntry, null=False, unique=True)  # the rating on the timeline
    reply = ForeignKey(references=TimelineEntry, null=False, unique=True)  # once per reply
    satisfaction = Varchar(length=20)  # of a representative's two-scale rating: the lower of the two
    solved = Varchar(length=10)  # empty for a representative's rating
    # A representative's rating of a suggestion's answer: the outcome, and the department's attitude.
    outcome = Varchar(length=20, default="")
    attitude = Varchar(length=20, default="")
    created_at = Timestamptz()
    # The moderators publish it to the public case page, the comment edited of personal data.
    publication = Varchar(length=20, index=True)
    published_comment = Text(default="")
    decided_at = Timestamptz(null=True, default=None)


class CaseSearch(Table, tablename="case_search"):
    """The public words of a public case, segmented by jieba and separated by spaces, for the
    full-text index (``cases.search``): SQLite's FTS5 table ``case_search_fts`` keeps itself in
    step by triggers, PostgreSQL indexes ``to_tsvector('simple', words)`` (see the migration)."""

    case = ForeignKey(references=Case, null=False, unique=True)
    words = Text(default="")


class Support(Table, tablename="support"):
    """One person's "me too" (我也遇到) for a public case; ``supporter`` is a keyed hash of who
    they are (a browser's supporter cookie or an account), never the cookie itself. Unique per
    case, so a double tap counts once."""

    case = ForeignKey(references=Case, null=False, index=True)
    supporter = Varchar(length=64)
    created_at = Timestamptz()


class CaseAnswer(Table, tablename="case_answer"):
    """The filer's answer to a question of the case's category, with the question as it was
    asked (questions may change later). For staff: answers may hold personal details."""

    case = ForeignKey(references=Case, null=False, index=True)
    code = Varchar(length=40)
    question = Varchar(length=200)
    value = Text()


class DepartmentFigure(Table, tablename="department_figure"):
    """One counter of a department's figures (``cases.figures``) over one week, month or year,
    kept up to date in the transaction of every change to a case; unique on (department, period,
    starts, counter) (see the migration)."""

    department = ForeignKey(references=Department, null=False, on_delete=OnDelete.cascade)
    period = Varchar(length=5)  # week, month, year
    starts = Date()  # its first day, in the configured time zone
    counter = Varchar(length=40)  # received, signed_on_time, …, rated:satisfied, answer_hours:7.25
    value = Integer(default=0)


class TopicCount(Table, tablename="topic_count"):
    """How many public cases of one day (published then, in the configured time zone) were of a
    category, an area, or had a keyword: what ``/trends`` compares; unique on (kind, day, topic)."""

    day = Date()
    kind = Varchar(length=10)  # category, area, keyword
    topic = Varchar(length=40)  # the category's or area's id, or the word
    value = Integer(default=0)


class PublicRecordVersion(Table, tablename="public_record_version"):
    """One row: how often what the public sees has changed (``cases.public_record``).

    ``generation`` is drawn when the row is made, so that a database emptied (or made afresh)
    never repeats a version that once named other content."""

    generation = Varchar(length=32)
    version = BigInt(default=0)


class CaseContribution(Table, tablename="case_contribution"):
    """What a case adds to the department figures and topic counts as of its last change (JSON),
    so that the next change applies only the difference."""

    case = ForeignKey(references=Case, null=False, unique=True, on_delete=OnDelete.cascade)
    counts = Text(default="")


class CaseMerge(Table, tablename="case_merge"):
    """A duplicate merged into the case it repeats (``cases.merging``): what the duplicate was
    before, so that a moderator's undo restores it exactly, with what moved to the original
    (``MovedSupport`` here, the followers' subscriptions in ``notifications``)."""

    duplicate = ForeignKey(references=Case, null=False, index=True, on_delete=OnDelete.cascade)
    original = ForeignKey(references=Case, null=False, index=True, on_delete=OnDelete.cascade)
    status_before = Varchar(length=20)
    published_at_before = Timestamptz(null=True, default=None)
    merged_at = Timestamptz()
    undone_at = Timestamptz(null=True, default=None)  # the merge was undone; nothing of it stays moved


class MovedSupport(Table, tablename="moved_support"):
    """A "me too" that a merge moved from the duplicate to the original (one whose supporter
    already supported the original stays where it was: nobody counts twice)."""

    merge = ForeignKey(references=CaseMerge, null=False, index=True, on_delete=OnDelete.cascade)
    support = ForeignKey(references=Support, null=False, on_delete=OnDelete.cascade)
class Callback(Table, tablename="callback"):
    """The centre's call to the filer about one published reply (回访, ``cases.callbacks``): queued
    by the clock job for a reason, then recorded by a moderator (``record_callback``). One per
    reply; what the filer said counts in the department figures once it reached them."""

    case = ForeignKey(references=Case, null=False, index=True)
    reply = ForeignKey(references=TimelineEntry, null=False, unique=True)
    reason = Varchar(length=20)  # callbacks.Reason: unrated, phone, letter, sample, by_hand
    queued_at = Timestamptz()
    attempts = Integer(default=0)  # calls that did not reach the filer
    reached_at = Timestamptz(null=True, default=None, index=True)  # None: still in the queue
    satisfaction = Varchar(length=20, default="")  # once reached: a vocabulary.Satisfaction
    solved = Varchar(length=10, default="")  # and a vocabulary.Solved


class RatingDispute(Table, tablename="rating_dispute"):
    """A department's objection to one rating of its answer (the filer's online rating, or what
    the filer said on a callback), and the moderators' decision: upheld, the rating no longer
    counts in the department's figures. One per rating: exactly one of ``rating``, ``callback``."""

    case = ForeignKey(references=Case, null=False, index=True)
    rating = ForeignKey(references=Rating, null=True, default=None, unique=True)
    callback = ForeignKey(references=Callback, null=True, default=None, unique=True)
    department = ForeignKey(references=Department, null=False)
    status = Varchar(length=10)  # pending, upheld, rejected
    created_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)


class EscalationStep(Table, tablename="escalation_step"):
    """An admin's change to the escalation ladder (``cases.escalation``) of one type of case: the
    working hours past the overdue answer after which the leaders are alerted. Unique on
    ``case_type``; a type without a row keeps the default."""

    case_type = Varchar(length=20, unique=True)
    leader_after_hours = Integer()
    changed_at = Timestamptz()
    changed_by_name = Varchar(length=100, default="")  # kept when the account is gone
class SavedView(Table, tablename="saved_view"):
    """A staff member's named staff search (``cases.staff_search``): its filter and sort as a
    query string, never with a phone number. Unique on (account, name) (see the migration)."""

    account = ForeignKey(references=Account, null=False, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=60)
    params = Text(default="")
    created_at = Timestamptz()
