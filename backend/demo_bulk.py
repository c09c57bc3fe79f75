"""Demo data at scale (``minsheng seed-demo --cases N``): N cases over the last two years, with
their timelines, clocks, ratings, areas, categories and departments, written with bulk inserts
(SQLite ``executemany`` in large transactions, PostgreSQL ``COPY``) instead of the workflow,
which would take hours for a million. What they hold follows the workflow's rules: deadlines
from the working calendar and the admins' limits, answers on time and late, returns and
reassignments, ratings; the texts are the demo cases' own, in the areas of the demo city.
Each case's contribution to the materialised figures and topic counts is computed as it is
made (``figures.contribution``, as the workflow's refresh does) and the counters are added at
the end, so every page agrees with the cases (the tests check it against ``figures.rebuild``).
"""

from __future__ import annotations

import hashlib
import math
import random
import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from backend import clock, events
from backend.cases import figures, search
from backend.cases.trends import keywords_of
from backend.deadlines.clocks import Clock
from backend.cases.lifecycle import TRANSITIONS
from backend.cases.tables import Case, CaseNumberCounter, Rating, TimelineEntry
from backend.db import write_transaction
from backend.deadlines.limits import clock_policy
from backend.deadlines.services import working_calendar
from backend.demo import DEMO_CASES, seed
from backend.departments.tables import Area, Category, Department
from backend.events import RecordRebuilt
from backend.settings import get_settings

CHUNK = 20_000  # cases per transaction
SPAN = timedelta(days=730)

CASE_COLUMNS = (
    "id", "number", "case_type", "category", "department", "area", "title", "description", "address",
    "latitude", "longitude", "filer_name", "filer_phone", "publication_consent", "status", "source", "source_url",
    "follow_token_hash", "submission_key", "created_at", "updated_at", "published_at", "duplicate_of",
    "first_assigned_at", "assigned_at", "sign_due_at", "signed_at", "contact_due_at", "contacted_at",
    "response_due_at", "responded_at", "answer_due_at", "answer_warning_at", "answered_at", "answer_warned_at",
    "sign_overdue_at", "contact_overdue_at", "response_overdue_at", "answer_overdue_at", "overdue_at",
    "supervised_at", "leader", "reopened_count", "support_count", "knowledge_entry",
)  # fmt: skip
ENTRY_COLUMNS = (
    "id", "case", "created_at", "action", "status_after", "actor_role", "actor_name", "visibility", "body",
    "department", "review", "refers_to", "due_at",
)  # fmt: skip
SEARCH_COLUMNS = ("case", "words")
SUPPORT_COLUMNS = ("case", "supporter", "created_at")
RATING_COLUMNS = ("id", "case", "entry", "reply", "satisfaction", "solved", "created_at", "publication", "published_comment", "decided_at")
REPLIES = ("已安排人员到现场处理，问题已解决。", "经核实，已协调相关单位处理完毕。", "已列入维修计划，本周内完成。")
SATISFACTION = (("satisfied", "yes", 60), ("basically_satisfied", "partly", 25), ("unsatisfied", "no", 15))


class _Writer:
    """Bulk inserts of plain rows, on the configured database."""

    def __init__(self, settings):
        self.settings = settings
        self.sqlite = None
        self.postgres = None

    async def __aenter__(self):
        if self.settings.is_postgres:
            self.postgres = await asyncpg.connect(self.settings.database_url)
        else:
            self.sqlite = sqlite3.connect(self.settings.sqlite_path, timeout=60)
            self.sqlite.execute("PRAGMA synchronous = NORMAL")
        return self

    async def __aexit__(self, *exc):
        if self.postgres:
            await self.postgres.close()
        if self.sqlite:
            self.sqlite.close()

    async def write(self, tables: list[tuple[str, tuple[str, ...], list[tuple]]]) -> None:
        """Rows of several tables, in one transaction."""
        if self.postgres:
            async with self.postgres.transaction():
                for table, columns, rows in tables:
                    await self.postgres.copy_records_to_table(table, records=rows, columns=list(columns))
            return
        with self.sqlite:
            for table, columns, rows in tables:
                names = ", ".join(f'"{column}"' for column in columns)
                self.sqlite.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})", rows)

    async def finish(self) -> None:
        """PostgreSQL: the sequences continue after the ids written, and the planner learns
        about the new rows at once (autovacuum would, later: until then, it misjudges the
        indexes of a table grown a hundredfold)."""
        if self.postgres:
            for table in ("cases", "timeline_entry", "rating", "case_search", "support"):
                await self.postgres.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            await self.postgres.execute("ANALYZE")


async def _next_id(table) -> int:
    row = await table.select(table.id).order_by(table.id, ascending=False).first()
    return (row["id"] if row else 0) + 1


async def generate(count: int, seed_value: int = 8) -> int:
    """Add ``count`` cases; returns how many. The reference data comes from ``demo.seed``."""
    await seed()
    settings = get_settings()
    zone = ZoneInfo(settings.time_zone)
    rng = random.Random(seed_value)
    calendar, policy = await working_calendar(), await clock_policy()
    departments = {row["id"]: row["name"] for row in await Department.select(Department.id, Department.name)}
    categories = {row["slug"]: row for row in await Category.select(Category.id, Category.slug, Category.department)}
    streets = [row["id"] for row in await Area.select(Area.id).where(Area.parent.is_not_null())]
    templates = [demo for demo in DEMO_CASES if demo.category in categories]
    case_id, entry_id, rating_id = await _next_id(Case), await _next_id(TimelineEntry), await _next_id(Rating)
    numbers = Counter({row["year"]: row["last"] for row in await CaseNumberCounter.select()})
    now = clock.now()
    start = now - SPAN
    # Creation times in order, so that ids grow with time as they do for real.
    moments = sorted(start + SPAN * rng.random() for _ in range(count))
    segmented: dict[str, str] = {}
    keywords, counters, topics = figures.remembering(keywords_of), Counter(), Counter()

    def words(demo) -> str:
        """The full-text index's words of a template's text, segmented once."""
        if demo.key not in segmented:
            segmented[demo.key] = " ".join(search.words_of("\n".join((demo.title, demo.description, demo.address))))
        return segmented[demo.key]

    async with _Writer(settings) as writer:
        for first in range(0, count, CHUNK):
            cases, entries, ratings, searchable, supports, contributions = [], [], [], [], [], []
            for created in moments[first : first + CHUNK]:
                demo = rng.choice(templates)
                category = categories[demo.category]
                year = created.astimezone(zone).year
                numbers[year] += 1
                case = _Case(case_id, f"{year}-{numbers[year]:06d}", created, demo, category, rng.choice(streets), rng)
                lived = case.live(now, calendar, policy, departments, entry_id, rating_id, rng)
                cases.append(case.row())
                entries += lived[0]
                ratings += lived[1]
                made = figures.contribution(case.values, *case.hanging(*lived), calendar, keywords)
                counters.update(made.figures)
                topics.update(made.topics)
                if made != figures.NOTHING:
                    contributions.append((case.values["id"], made.dumps()))
                if case.values["published_at"]:
                    searchable.append((case.values["id"], words(demo)))
                    supports += case.supported(rng)
                case_id, entry_id, rating_id = case_id + 1, entry_id + len(lived[0]), rating_id + len(lived[1])
            await writer.write(
                [
                    ("cases", CASE_COLUMNS, cases),
                    ("timeline_entry", ENTRY_COLUMNS, entries),
                    ("rating", RATING_COLUMNS, ratings),
                    ("case_search", SEARCH_COLUMNS, searchable),
                    ("support", SUPPORT_COLUMNS, supports),
                    ("case_contribution", ("case", "counts"), contributions),
                ]
            )
        for year, last in numbers.items():
            if await CaseNumberCounter.exists().where(CaseNumberCounter.year == year):
                await CaseNumberCounter.update({CaseNumberCounter.last: last}).where(CaseNumberCounter.year == year)
            else:
                await CaseNumberCounter.insert(CaseNumberCounter(year=year, last=last))
        # The figures of the new cases, as ``figures.refresh`` would have kept them case by case.
        async with write_transaction():
            await figures.add_to_counters(counters, topics)
            await events.emit(RecordRebuilt())
        await writer.finish()
    return count


class _Case:
    """One generated case and its life: filed, accepted, assigned (3 % to the wrong department
    first, which returns it), signed, answered (or still open when recent), rated."""

    def __init__(self, case_id, number, created, demo, category, area, rng):
        self.values = dict.fromkeys(CASE_COLUMNS)
        self.values.update(
            id=case_id, number=number, case_type=demo.case_type, category=category["id"], area=area,
            title=demo.title, description=demo.description, address=demo.address,
            latitude=demo.point[0] + rng.uniform(-0.03, 0.03) if demo.point else None,
            longitude=demo.point[1] + rng.uniform(-0.03, 0.03) if demo.point else None,
            filer_name="市民", filer_phone="13800000000", publication_consent=rng.random() < 0.8, status="accepted",
            source=rng.choice(("web", "web", "web", "hotline", "mailbox")), source_url="",
            follow_token_hash=hashlib.sha256(f"bulk-demo-{case_id}".encode()).hexdigest(),
            created_at=created, updated_at=created, reopened_count=0, support_count=0,
        )  # fmt: skip
        self.department = category["department"]

    def row(self) -> tuple:
        return tuple(self.values[column] for column in CASE_COLUMNS)

    def live(self, now, calendar, policy, departments, entry_id, rating_id, rng) -> tuple[list, list]:
        values = self.values
        entries: list[tuple] = []

        def entry(action, at, actor_role, department=None, body="", review="", status=None, refers_to=None):
            transition = TRANSITIONS.get(action)
            visibility = transition.visibility.value if transition else "internal"
            status_after = status or (transition.to_state.value if transition and transition.to_state else None)
            name = departments.get(department, "") if actor_role == "handler" else ""
            entries.append(
                (entry_id + len(entries), values["id"], at, action, status_after, actor_role, name, visibility, body,
                 department if actor_role == "handler" else None, review, refers_to, None)
            )  # fmt: skip
            values["updated_at"] = at
            return entries[-1][0]

        created = values["created_at"]
        entry("submit", created, "citizen", status="submitted")
        accepted = created + timedelta(minutes=rng.uniform(5, 90))
        if accepted > now:
            values["status"] = "submitted"
            return entries, []
        entry("accept", accepted, "moderator")
        values["published_at"] = accepted if values["publication_consent"] else None
        assigned = accepted + timedelta(minutes=rng.uniform(2, 30))
        if assigned > now:
            return entries, []
        case_type, lead = values["case_type"], self.department
        first = lead
        if rng.random() < 0.03:  # misassigned: the wrong department returns it
            first = rng.choice([department for department in departments if department != lead])
        values.update(first_assigned_at=assigned, department=first, status="assigned")
        values["response_due_at"] = policy.limit(case_type, Clock.response).due(assigned, calendar)
        values["answer_due_at"] = policy.limit(case_type, Clock.answer).due(assigned, calendar)
        values["answer_warning_at"] = policy.limit(case_type, Clock.answer).due(assigned, calendar, policy.warning_share)
        entry("assign", assigned, "moderator")
        moment = assigned
        if first != lead:
            moment += timedelta(minutes=rng.uniform(5, 60))
            if moment > now:
                return entries, []
            entry("return", moment, "handler", first, body="不属于我单位职责，请重新分派。")
            moment += timedelta(minutes=rng.uniform(5, 60))
            if moment > now:
                values.update(department=None, status="returned")
                return entries, []
            entry("assign", moment, "moderator")
            values["department"] = lead
        values.update(
            assigned_at=moment,
            sign_due_at=policy.limit(case_type, Clock.sign).due(moment, calendar),
            contact_due_at=policy.limit(case_type, Clock.contact).due(moment, calendar),
        )
        # Most sign within their 15 minutes; some much later.
        signed = calendar.add_working_time(moment, timedelta(minutes=rng.expovariate(1 / 8) if rng.random() < 0.9 else rng.uniform(16, 240)))
        self._flag_if_late("sign", signed, now)
        if signed > now:
            return entries, []
        entry("sign", signed, "handler", lead)
        contacted = signed + timedelta(minutes=rng.uniform(1, 20))
        values.update(signed_at=signed, status="signed", contacted_at=contacted if contacted <= now else None)
        self._flag_if_late("contact", contacted, now)
        # The answer: a share of the time allowed, lognormal around 60 %, so that about one in ten is late.
        allowed = calendar.working_time_between(assigned, values["answer_due_at"])
        answered = calendar.add_working_time(assigned, allowed * min(math.exp(rng.gauss(math.log(0.6), 0.45)), 4))
        self._flag_if_late("answer", answered, now)
        if answered > now:
            return entries, []
        reply = entry("draft_reply", answered, "handler", lead, body=rng.choice(REPLIES), review="approved")
        approved = answered + timedelta(minutes=rng.uniform(10, 180))
        if approved > now:
            values["status"] = "in_progress"
            return entries, []
        entry("review_approve", approved, "moderator", status="replied", refers_to=reply)
        values.update(answered_at=answered, responded_at=values["responded_at"] or answered, status="replied")
        self._flag_if_late("response", values["responded_at"], now)
        rated = approved + timedelta(hours=rng.uniform(1, 96))
        if rated > now or rng.random() < 0.3:
            return entries, []
        satisfaction, solved, _ = rng.choices(SATISFACTION, weights=[weight for *_, weight in SATISFACTION])[0]
        action = "rate_unsatisfied" if satisfaction == "unsatisfied" else "rate_satisfied"
        rating_entry = entry(action, rated, "citizen", refers_to=reply)
        values["status"] = "unsatisfied" if satisfaction == "unsatisfied" else "rated"
        if satisfaction == "unsatisfied" and rated + timedelta(days=1) < now:
            entry("close", rated + timedelta(days=1), "moderator", body="已向市民解释处理结果。")
            values["status"] = "closed"
        publication = "pending" if values["published_at"] else "private"
        return entries, [(rating_id, values["id"], rating_entry, reply, satisfaction, solved, rated, publication, "", None)]

    def hanging(self, entries: list[tuple], ratings: list[tuple]) -> tuple[list[dict], list[dict]]:
        """The returns on its timeline and its ratings, as ``figures.contribution`` reads them."""
        returns = [{"department": entry[9], "created_at": entry[2]} for entry in entries if entry[3] == "return"]
        return returns, [{"satisfaction": rating[4], "created_at": rating[6]} for rating in ratings]

    def supported(self, rng) -> list[tuple]:
        """A few public cases get "me too"s from other people, a day or so after publication."""
        if rng.random() > 0.05:
            return []
        count = rng.randint(1, 6)
        self.values["support_count"] = count
        published = self.values["published_at"]
        return [
            (self.values["id"], hashlib.sha256(f"bulk-supporter-{self.values['id']}-{n}".encode()).hexdigest(), published + timedelta(hours=n + 1))
            for n in range(count)
        ]

    def _flag_if_late(self, clock_name: str, met: datetime, now: datetime) -> None:
        """The clock jobs' flags, as they would have been set: a minute after a missed deadline."""
        values = self.values
        due = values[f"{clock_name}_due_at"]
        if due is None or met <= due or due >= now:
            return
        flagged = due + timedelta(minutes=1)
        values[f"{clock_name}_overdue_at"] = flagged
        values["overdue_at"] = min(filter(None, (values["overdue_at"], flagged)))
        if clock_name == "answer":
            values["supervised_at"] = flagged
