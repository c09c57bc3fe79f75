"""The knowledge base (知识库): questions the centre answers the same way each time.

Moderators write entries for any department or for the centre; a department's handlers write
and change only their own department's. Every save keeps the entry as it was saved
(``KnowledgeRevision``), so its history can be read back. The public reads an entry while it is
public and not past its valid-until day; such entries are searched with the cases' jieba words
(``cases.search``) on the report form, on ``/answers`` and in the API. Entries past their
valid-until day, or due for review, are listed for their writers.

Each save emits ``KnowledgeChanged``: its listeners write the entry's search words and raise the
version of the public record, in the save's transaction. Plain Python; knows nothing of HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from backend import clock, events
from backend.cases.search import query_words, ranked, words_of
from backend.db import lock_row, write_transaction
from backend.deadlines.services import parse_day
from backend.departments.tables import Category, Department
from backend.errors import FieldErrors, NotFound
from backend.events import KnowledgeChanged
from backend.i18n_markers import N_
from backend.knowledge.tables import KnowledgeEntry, KnowledgeRevision, KnowledgeSearch
from backend.settings import get_settings
from backend.text import clean_text, row_id
from backend.vocabulary import StaffRole

QUESTION_MAX = 200
ANSWER_MAX = 5000
PAGE_SIZE = 20
SUGGESTIONS = 5  # on the report form, as the citizen types
QUERY_READ = 200  # characters of a query
NO_SUCH_ENTRY = N_("There is no such entry in the knowledge base.")
CHOOSE_A_DEPARTMENT = N_("Choose a department from the list.")


class KnowledgeError(FieldErrors):
    """An entry that can't be saved as typed (or, of kind NotFound, one that is not there)."""


@dataclass(frozen=True)
class Editor:
    """Who saves an entry: a moderator, or a handler of one department."""

    role: str
    department_id: int | None
    account_id: int | None
    name: str  # as the history shows it: a department's name, or the moderator's

    @property
    def moderates(self) -> bool:
        return self.role == StaffRole.moderator

    def may_change(self, department_id: int | None) -> bool:
        """Whether this editor may change what belongs to ``department_id`` (None: the centre)."""
        return self.moderates or (self.department_id is not None and department_id == self.department_id)


async def chosen(table, typed: str) -> int | None:
    """The id of a row chosen from a list as typed, None when none was chosen; ValueError when
    what was typed names no row."""
    typed = clean_text(typed)
    if not typed:
        return None
    found = row_id(typed)
    if found is None or not await table.exists().where(table.id == found):
        raise ValueError(typed)
    return found


@dataclass
class EntryForm:
    question: str = ""
    question_en: str = ""
    answer: str = ""
    answer_en: str = ""
    category_id: str = ""
    department_id: str = ""  # empty: the centre's
    public: str = "yes"  # a checkbox: "yes" when ticked
    valid_until: str = ""  # a date field: 2027-06-30, or empty for no end
    review_by: str = ""


@dataclass(frozen=True)
class Entry:
    id: int
    question: str
    question_en: str
    answer: str
    answer_en: str
    category_id: int | None
    category_name: str
    category_name_en: str
    department_id: int | None
    department_name: str
    department_name_en: str
    public: bool
    valid_until: date | None
    review_by: date | None
    version: int
    updated_at: datetime

    def expired(self, today: date) -> bool:
        return self.valid_until is not None and self.valid_until < today

    def due_for_review(self, today: date) -> bool:
        return self.expired(today) or (self.review_by is not None and self.review_by <= today)


@dataclass(frozen=True)
class Revision:
    version: int
    created_at: datetime
    editor_name: str
    content: dict  # the fields of ``SNAPSHOT``, as saved
    changed: frozenset[str]  # the fields that differ from the version before (all, for the first)


# What a revision keeps of an entry, in the order the history shows it.
SNAPSHOT = ("question", "question_en", "answer", "answer_en", "category", "department", "public", "valid_until", "review_by")


def today() -> date:
    """The local day, in the configured time zone: what valid-until and review-by days mean."""
    return clock.now().astimezone(ZoneInfo(get_settings().time_zone)).date()


async def _checked(form: EntryForm, editor: Editor) -> dict:
    """The entry's column values from the form, or KnowledgeError with every problem at once."""
    errors: dict[str, str] = {}
    values = {
        "question": clean_text(form.question),
        "question_en": clean_text(form.question_en),
        "answer": clean_text(form.answer, multiline=True),
        "answer_en": clean_text(form.answer_en, multiline=True),
    }
    if not 4 <= len(values["question"]) <= QUESTION_MAX:
        errors["question"] = N_("Write the question (4 to 200 characters).")
    if not 10 <= len(values["answer"]) <= ANSWER_MAX:
        errors["answer"] = N_("Write the answer (10 to 5000 characters).")
    if len(values["question_en"]) > QUESTION_MAX:
        errors["question_en"] = N_("The English question can be at most 200 characters.")
    if len(values["answer_en"]) > ANSWER_MAX:
        errors["answer_en"] = N_("The English answer can be at most 5000 characters.")
    if bool(values["question_en"]) != bool(values["answer_en"]) and not errors.keys() & {"question_en", "answer_en"}:
        missing = "answer_en" if values["question_en"] else "question_en"
        errors[missing] = N_("Give the question and the answer in English both, or neither.")
    try:
        values["category"] = await chosen(Category, form.category_id)
    except ValueError:
        errors["category_id"] = N_("Choose a category from the list.")
    values["department"] = editor.department_id  # a department writes its own entries only
    if editor.moderates:
        try:
            values["department"] = await chosen(Department, form.department_id)
        except ValueError:
            errors["department_id"] = CHOOSE_A_DEPARTMENT
    for field in ("valid_until", "review_by"):
        typed = getattr(form, field).strip()
        values[field] = parse_day(typed) if typed else None
        if typed and values[field] is None:
            errors[field] = N_("Enter a date from 2000 to 2100 such as 2027-06-30, or leave it empty.")
    values["public"] = form.public == "yes"
    if errors:
        raise KnowledgeError(errors)
    return values


def _snapshot(values: dict) -> str:
    return json.dumps(
        {name: values[name].isoformat() if isinstance(values[name], date) else values[name] for name in SNAPSHOT},
        ensure_ascii=False,
    )


async def _writable(entry_id: int, editor: Editor) -> dict:
    """The entry, if this editor may change it; another department's looks like none."""
    row = await KnowledgeEntry.select(KnowledgeEntry.id, KnowledgeEntry.department, KnowledgeEntry.version).where(
        KnowledgeEntry.id == entry_id
    ).first()
    if row is None or not editor.may_change(row["department"]):
        raise KnowledgeError({"": NO_SUCH_ENTRY}, kind=NotFound)
    return row


async def save_entry(entry_id: int | None, form: EntryForm, editor: Editor) -> int:
    """Add an entry (``entry_id`` None) or change one; keeps the saved version in its history."""
    if not editor.moderates and editor.department_id is None:  # fail closed: no department is not every one
        raise KnowledgeError({"": NO_SUCH_ENTRY}, kind=NotFound)
    if entry_id is not None:
        await _writable(entry_id, editor)  # another department's is none, however it was typed
    values = await _checked(form, editor)
    now = clock.now()
    columns = {getattr(KnowledgeEntry, name): value for name, value in values.items()}
    async with write_transaction():
        if entry_id is None:
            version = 1
            entry_id = (
                await KnowledgeEntry.insert(KnowledgeEntry(**values, version=version, created_at=now, updated_at=now)).returning(
                    KnowledgeEntry.id
                )
            )[0]["id"]
        else:
            await lock_row(KnowledgeEntry, entry_id)
            version = (await _writable(entry_id, editor))["version"] + 1  # as of the lock
            await KnowledgeEntry.update({**columns, KnowledgeEntry.version: version, KnowledgeEntry.updated_at: now}).where(
                KnowledgeEntry.id == entry_id
            )
        await KnowledgeRevision.insert(
            KnowledgeRevision(
                entry=entry_id,
                version=version,
                content=_snapshot(values),
                editor=editor.account_id,
                editor_name=editor.name[:100],
                created_at=now,
            )
        )
        await events.emit(KnowledgeChanged(entry_id))
    return entry_id


async def on_knowledge_changed(changed: set[KnowledgeChanged]) -> None:
    """Listener (before commit): write the words of the entries, both languages, for the search."""
    for entry_id in sorted({event.entry_id for event in changed}):
        row = await KnowledgeEntry.select(
            KnowledgeEntry.question, KnowledgeEntry.answer, KnowledgeEntry.question_en, KnowledgeEntry.answer_en
        ).where(KnowledgeEntry.id == entry_id).first()
        words = " ".join(words_of("\n".join(row.values()))) if row else ""
        await KnowledgeSearch.raw(
            "INSERT INTO knowledge_search (entry, words) VALUES ({}, {}) ON CONFLICT (entry) DO UPDATE SET words = excluded.words",
            entry_id,
            words,
        )


# --- reading them --------------------------------------------------------------------------

_COLUMNS = (
    KnowledgeEntry.id,
    KnowledgeEntry.question,
    KnowledgeEntry.question_en,
    KnowledgeEntry.answer,
    KnowledgeEntry.answer_en,
    KnowledgeEntry.category.as_alias("category_id"),
    KnowledgeEntry.category.name.as_alias("category_name"),
    KnowledgeEntry.category.name_en.as_alias("category_name_en"),
    KnowledgeEntry.department.as_alias("department_id"),
    KnowledgeEntry.department.name.as_alias("department_name"),
    KnowledgeEntry.department.name_en.as_alias("department_name_en"),
    KnowledgeEntry.public,
    KnowledgeEntry.valid_until,
    KnowledgeEntry.review_by,
    KnowledgeEntry.version,
    KnowledgeEntry.updated_at,
)


def _entry(row: dict) -> Entry:
    for name in ("category_name", "category_name_en", "department_name", "department_name_en"):
        row[name] = row[name] or ""
    return Entry(**row)


def _public_now(day: date):
    """The entries the public reads on ``day``: public, and not past their valid-until day."""
    return (KnowledgeEntry.public == True) & (  # noqa: E712 (a column comparison, not a bool)
        KnowledgeEntry.valid_until.is_null() | (KnowledgeEntry.valid_until >= day)
    )


async def public_entry(entry_id: int) -> Entry | None:
    row = await KnowledgeEntry.select(*_COLUMNS).where(KnowledgeEntry.id == entry_id, _public_now(today())).first()
    return _entry(row) if row else None


async def staff_entry(entry_id: int, editor: Editor) -> Entry | None:
    """An entry its editor may change (another department's is none)."""
    row = await KnowledgeEntry.select(*_COLUMNS).where(KnowledgeEntry.id == entry_id).first()
    if row is None or not editor.may_change(row["department_id"]):
        return None
    return _entry(row)


def form_of(entry: Entry) -> EntryForm:
    return EntryForm(
        question=entry.question,
        question_en=entry.question_en,
        answer=entry.answer,
        answer_en=entry.answer_en,
        category_id=str(entry.category_id or ""),
        department_id=str(entry.department_id or ""),
        public="yes" if entry.public else "",
        valid_until=entry.valid_until.isoformat() if entry.valid_until else "",
        review_by=entry.review_by.isoformat() if entry.review_by else "",
    )


async def staff_entries(editor: Editor) -> list[Entry]:
    """What the editor may change, the latest change first: every entry for moderators, a
    department's own for its handlers."""
    query = KnowledgeEntry.select(*_COLUMNS).order_by(KnowledgeEntry.updated_at, ascending=False)
    if not editor.moderates:
        query = query.where(KnowledgeEntry.department == editor.department_id)
    return [_entry(row) for row in await query]


async def review_count(department_id: int | None) -> int:
    """How many entries are due for review: every one (None, for moderators) or a department's."""
    day = today()
    due = (KnowledgeEntry.valid_until < day) | (KnowledgeEntry.review_by <= day)
    if department_id is not None:
        due = due & (KnowledgeEntry.department == department_id)
    return await KnowledgeEntry.count().where(due)


async def search(query: str, *, limit: int = PAGE_SIZE) -> list[Entry]:
    """The public entries of today sharing the most telling words with ``query``, best first.
    Its first 200 characters are read: their first words are all a search takes (``query_words``)."""
    words = query_words(clean_text(query)[:QUERY_READ])
    ids = await ranked("knowledge_search", "entry", words, 100) if words else []
    if not ids:
        return []
    rows = {row["id"]: row for row in await KnowledgeEntry.select(*_COLUMNS).where(KnowledgeEntry.id.is_in(ids), _public_now(today()))}
    return [_entry(rows[entry_id]) for entry_id in ids if entry_id in rows][:limit]


async def public_entries(page: int) -> tuple[list[Entry], bool]:
    """A page of the public entries, the latest change first, and whether another follows."""
    rows = await (
        KnowledgeEntry.select(*_COLUMNS)
        .where(_public_now(today()))
        .order_by(KnowledgeEntry.updated_at, ascending=False)
        .order_by(KnowledgeEntry.id, ascending=False)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    return [_entry(row) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


async def history(entry_id: int) -> list[Revision]:
    """Every saved version of an entry, the latest first, with what each changed."""
    rows = await KnowledgeRevision.select(
        KnowledgeRevision.version, KnowledgeRevision.created_at, KnowledgeRevision.editor_name, KnowledgeRevision.content
    ).where(KnowledgeRevision.entry == entry_id).order_by(KnowledgeRevision.version)
    revisions, before = [], None
    for row in rows:
        content = json.loads(row["content"])
        changed = frozenset(name for name in SNAPSHOT if before is None or before.get(name) != content.get(name))
        revisions.append(Revision(row["version"], row["created_at"], row["editor_name"], content, changed))
        before = content
    return revisions[::-1]


async def for_answering(case_text: str, limit: int = 300) -> tuple[list[Entry], list[Entry]]:
    """What a moderator may answer a consultation with, the public entries of today: those most
    like the case's text, and the others by question."""
    alike = await search(case_text, limit=10)
    shown = {entry.id for entry in alike}
    rows = await KnowledgeEntry.select(*_COLUMNS).where(_public_now(today())).order_by(KnowledgeEntry.question).limit(limit)
    return alike, [_entry(row) for row in rows if row["id"] not in shown]
