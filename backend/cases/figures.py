"""The per-department figures of ../shared/DOMAIN.md, per week, month and year: cases received,
signed on time, answered on time, overdue, returned, reopened, satisfaction, and the median
working time to answer; and the topic counts of public cases that ``trends`` compares.

They are materialised, never computed from the cases per request. What one case adds to them is
a pure function of the case (``contribution``): its clock columns, its ratings, the returns on
its timeline and, once public, its category, area and keywords. Each change to a case ends in a
timeline entry (``services.append_entry``, or the clock jobs' bulk entries), whose
``EntryAppended`` event ``on_entries_appended`` hears; just before that transaction commits, it
has ``refresh`` compute the cases' new
contributions, applies the difference from the old ones (kept per case in
``CaseContribution``) to the counters with one upsert, and keeps the new ones. ``rebuild`` (the
``minsheng figures rebuild`` command) recomputes everything from the cases, for migrations and
repair; the tests check that both agree.

The definitions:
- A case counts for the department that leads it now and in the week, month and year of its
  first assignment (local dates in the configured time zone); a return counts against the
  department that returned it, when it did; a rating for the department leading the case now,
  when it was given.
- A deadline counts once it is met, or once the clock jobs flagged it overdue (they run every
  minute and flag every unmet deadline of a case held for it: signing while a department holds
  the case, the answer until it comes). A clock that stopped unmet before its deadline (a case
  returned before the 15 minutes to sign were up, or closed before it was answered) is judged
  by nobody; a case returned is counted against its department as a return instead.
- Overdue: cases with any clock ever flagged overdue, over the cases received. Returned: the
  returns over the cases received plus the returns. Reopened: answered cases reopened (重办) at
  least once, over the answered cases. Satisfaction: 满意 and 基本满意 over all ratings.
- Callbacks (回访, ``callbacks``): coverage is the callbacks that reached the filer over the
  answered cases; sampled satisfaction is 满意 and 基本满意 over those callbacks, beside the
  self-rated satisfaction of the online ratings. A callback counts for the department leading the
  case now, when it reached the filer. A rating or callback whose department's dispute was upheld
  counts in neither.
- Yellow and red cards (三色督办, ``escalation``): the answer's warnings and overdue flags, each
  time one was written (an extension may bring a second), for the department leading the case
  now, when it was written.
- Median working hours to answer (first assignment to the answer): kept as a histogram with
  quarter-hour buckets below 40 working hours, hour buckets below 100 and 10-hour buckets
  beyond, so the median is exact to 7.5 minutes for answers within 40 working hours (and to 30
  minutes, then 5 hours, beyond). Working hours use the calendar as it was when the answer
  came: a later change to the calendar reaches them with ``rebuild``.

The centre's own figure, beside the departments': the contacts (citizens' cases, by the local
day they came in) and how many of them the knowledge base answered directly
(``answer_from_knowledge``), kept as topic counts of kind ``contact`` (``received``,
``knowledge``), so that ``rebuild`` recomputes them with the rest.

Counters are named, not columns (``rated:<satisfaction>``, ``answer_hours:<bucket>``), so that
other kinds of cases can add their own without changing the tables.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from piccolo.engine.postgres import PostgresEngine

from backend.vocabulary import PUBLIC_STATUSES, CaseType, Satisfaction, Status
from backend.cases.escalation import CARD_ENTRIES
from backend.cases.tables import Callback, Case, CaseContribution, DepartmentFigure, Rating, RatingDispute, TimelineEntry, TopicCount
from backend.db import engine, execute_many, write_transaction
from backend.deadlines.calendar import WorkingCalendar
from backend.deadlines.services import working_calendar
from backend.departments.tables import Department
from backend import events
from backend.events import EntryAppended, RecordRebuilt
from backend.settings import get_settings

CONTENT = {Satisfaction.satisfied.value, Satisfaction.basically_satisfied.value}  # 满意 + 基本满意
RATED = "rated:"
CALLED = "callback:"
HOURS = "answer_hours:"
PERIODS = ("week", "month", "year")
PUBLIC = {status.value for status in PUBLIC_STATUSES}
CONTACT = "contact"  # the topic counts' kind of the centre's contacts (see the module's note)

_CASE_COLUMNS = (
    Case.id,
    Case.case_type,
    Case.created_at,
    Case.knowledge_entry,
    Case.status,
    Case.department,
    Case.category,
    Case.area,
    Case.title,
    Case.description,
    Case.published_at,
    Case.first_assigned_at,
    Case.sign_due_at,
    Case.signed_at,
    Case.sign_overdue_at,
    Case.answer_due_at,
    Case.answered_at,
    Case.answer_overdue_at,
    Case.overdue_at,
    Case.reopened_count,
)


@dataclass(frozen=True)
class Contribution:
    """What one case adds: department counters per local day, topic counts per local day, and
    the keywords of its text (kept with the hash of the text, to segment it again only when the
    text changes)."""

    figures: Counter  # (department id, day, counter) → n
    topics: Counter  # (day, kind, topic) → n
    text_hash: str = ""
    keywords: tuple[str, ...] = ()

    def dumps(self) -> str:
        return json.dumps(
            {
                "f": [[d, day.isoformat(), c, n] for (d, day, c), n in self.figures.items()],
                "t": [[day.isoformat(), k, t, n] for (day, k, t), n in self.topics.items()],
                "h": self.text_hash,
                "k": list(self.keywords),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str) -> Contribution:
        data = json.loads(text)
        return cls(
            Counter({(d, date.fromisoformat(day), c): n for d, day, c, n in data["f"]}),
            Counter({(date.fromisoformat(day), k, t): n for day, k, t, n in data["t"]}),
            data["h"],
            tuple(data["k"]),
        )


NOTHING = Contribution(Counter(), Counter())


# The deadlines the figures judge: the figure, the deadline, when it was met, the overdue flag.
_JUDGED = (
    ("signed", "sign_due_at", "signed_at", "sign_overdue_at"),
    ("answered", "answer_due_at", "answered_at", "answer_overdue_at"),
)


def hours_bucket(hours: float) -> float:
    """The histogram bucket of a time to answer (see the module's note on precision)."""
    step = 0.25 if hours < 40 else 1.0 if hours < 100 else 10.0
    return round(hours / step) * step


def contribution(
    case: dict,
    returns: list[dict],
    ratings: list[dict],
    calendar: WorkingCalendar,
    keywords_of,
    known: Contribution = NOTHING,
    cards: list[dict] = (),
    callbacks: list[dict] = (),
) -> Contribution:
    """What ``case`` (a row of ``_CASE_COLUMNS``) adds to the figures and topic counts, given
    the returns on its timeline and its ratings (the cards on its timeline, and its callbacks
    that reached the filer; disputes upheld already left out). ``keywords_of(title, description)`` segments
    the text of a public case, unless ``known`` already did it for the same text."""
    zone = ZoneInfo(calendar.time_zone)
    figures: Counter = Counter()
    department = case["department"]
    # A duplicate merged into another case is counted there, not here (``cases.merging``).
    if department is not None and case["first_assigned_at"] is not None and case["status"] != Status.merged.value:
        day = case["first_assigned_at"].astimezone(zone).date()
        counted = ["received"]
        for figure, due, met, flagged in _JUDGED:
            if case[due] is None:
                continue
            if case[met] is not None:
                counted.append(f"{figure}_on_time" if case[met] <= case[due] else f"{figure}_late")
            elif case[flagged] is not None:
                counted.append(f"{figure}_late")
        if case["overdue_at"] is not None:
            counted.append("overdue")
        if case["answered_at"] is not None:
            counted.append("answered")
            if case["reopened_count"]:
                counted.append("reopened")
            hours = calendar.working_time_between(case["first_assigned_at"], case["answered_at"]) / timedelta(hours=1)
            counted.append(f"{HOURS}{hours_bucket(hours):g}")
        figures.update((department, day, counter) for counter in counted)
    for entry in returns:
        if entry["department"] is not None:
            figures[(entry["department"], entry["created_at"].astimezone(zone).date(), "returned")] += 1
    if department is not None:
        for rating in ratings:
            figures[(department, rating["created_at"].astimezone(zone).date(), f"{RATED}{rating['satisfaction']}")] += 1
        for card in cards:
            figures[(department, card["created_at"].astimezone(zone).date(), CARD_ENTRIES[card["action"]])] += 1
        for callback in callbacks:
            figures[(department, callback["reached_at"].astimezone(zone).date(), f"{CALLED}{callback['satisfaction']}")] += 1

    topics: Counter = Counter()
    if case["case_type"] != CaseType.representative.value:  # a citizen's contact, however it came in
        contact_day = case["created_at"].astimezone(zone).date()
        topics[(contact_day, CONTACT, "received")] += 1
        if case["knowledge_entry"] is not None:
            topics[(contact_day, CONTACT, "knowledge")] += 1
    text_hash, keywords = "", ()
    if case["published_at"] is not None and case["status"] in PUBLIC:
        day = case["published_at"].astimezone(zone).date()
        text_hash = hashlib.blake2b(f"{case['title']}\n{case['description']}".encode(), digest_size=8).hexdigest()
        keywords = known.keywords if known.text_hash == text_hash else tuple(keywords_of(case["title"], case["description"]))
        topics[(day, "category", str(case["category"]))] += 1
        if case["area"] is not None:
            topics[(day, "area", str(case["area"]))] += 1
        topics.update((day, "keyword", word) for word in keywords)
    return Contribution(figures, topics, text_hash, keywords)


def period_starts(day: date) -> dict[str, date]:
    """The first day of the week (Monday), month and year that ``day`` falls in."""
    return {"week": day - timedelta(days=day.weekday()), "month": day.replace(day=1), "year": day.replace(month=1, day=1)}


def _by_period(figures: Counter) -> Counter:
    """Day counters summed into the counters of their week, month and year."""
    summed: Counter = Counter()
    for (department, day, counter), n in figures.items():
        for period, starts in period_starts(day).items():
            summed[(department, period, starts, counter)] += n
    return summed


# --- keeping them --------------------------------------------------------------------------

_BATCH = 500  # cases per read


async def _insert(table: str, columns: tuple[str, ...], rows: list[tuple], conflict: str = "") -> None:
    """Plain rows in one statement per batch (``executemany``), with an optional ON CONFLICT."""
    await execute_many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) {conflict}", rows)


async def add_to_counters(figures: Counter, topics: Counter) -> None:
    """Add day counters (summed into their periods) and topic counts to what is kept."""
    summed = {key: n for key, n in _by_period(figures).items() if n}
    await _insert(
        "department_figure",
        ("department", "period", "starts", "counter", "value"),
        [(*key, n) for key, n in summed.items()],
        "ON CONFLICT (department, period, starts, counter) DO UPDATE SET value = department_figure.value + excluded.value",
    )
    await _insert(
        "topic_count",
        ("day", "kind", "topic", "value"),
        [(*key, n) for key, n in topics.items() if n],
        "ON CONFLICT (kind, day, topic) DO UPDATE SET value = topic_count.value + excluded.value",
    )


async def on_entries_appended(appended: set[EntryAppended]) -> None:
    """Listener (before commit): the figures of the cases with new entries may have changed."""
    await refresh({event.case_id for event in appended})


@dataclass
class _Inputs:
    """What the figures read of cases besides their columns, by case id."""

    returns: defaultdict = field(default_factory=lambda: defaultdict(list))
    ratings: defaultdict = field(default_factory=lambda: defaultdict(list))
    cards: defaultdict = field(default_factory=lambda: defaultdict(list))
    callbacks: defaultdict = field(default_factory=lambda: defaultdict(list))

    def of(self, case_id: int) -> dict:
        return {"cards": self.cards[case_id], "callbacks": self.callbacks[case_id]}


async def _inputs(cases: list[dict], consecutive: bool = False) -> _Inputs:
    """The returns, cards, ratings and callbacks of these cases (rows of ``_CASE_COLUMNS``, in the
    order of their ids); ``consecutive``: all cases between the first and the last, read as a range."""
    found = _Inputs()
    if not cases:
        return found
    ids = [case["id"] for case in cases]

    def of_cases(column):
        return (column >= ids[0]) & (column <= ids[-1]) if consecutive else column.is_in(ids)

    for entry in await TimelineEntry.select(
        TimelineEntry.case, TimelineEntry.action, TimelineEntry.department, TimelineEntry.created_at
    ).where(of_cases(TimelineEntry.case), TimelineEntry.action.is_in(["return", *CARD_ENTRIES])):
        (found.returns if entry["action"] == "return" else found.cards)[entry["case"]].append(entry)
    upheld = await RatingDispute.select(RatingDispute.rating, RatingDispute.callback).where(
        of_cases(RatingDispute.case), RatingDispute.status == "upheld"
    )
    not_counted = {row["rating"] for row in upheld}, {row["callback"] for row in upheld}
    for rating in await Rating.select(Rating.id, Rating.case, Rating.satisfaction, Rating.created_at).where(of_cases(Rating.case)):
        if rating["id"] not in not_counted[0]:
            found.ratings[rating["case"]].append(rating)
    for callback in await Callback.select(Callback.id, Callback.case, Callback.satisfaction, Callback.reached_at).where(
        of_cases(Callback.case), Callback.reached_at.is_not_null()
    ):
        if callback["id"] not in not_counted[1]:
            found.callbacks[callback["case"]].append(callback)
    return found


async def refresh(case_ids: set[int]) -> None:
    """Bring the counters up to date with these cases (inside the transaction that changed them)."""
    from backend.cases.trends import keywords_of

    ids = sorted(case_ids)
    calendar = await working_calendar()
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        cases = await Case.select(*_CASE_COLUMNS).where(Case.id.is_in(batch)).order_by(Case.id)
        inputs = await _inputs(cases)
        old = {
            row["case"]: Contribution.loads(row["counts"])
            for row in await CaseContribution.select(CaseContribution.case, CaseContribution.counts).where(CaseContribution.case.is_in(batch))
        }
        figures, topics, kept = Counter(), Counter(), []
        for case in cases:
            before = old.get(case["id"], NOTHING)
            after = contribution(
                case, inputs.returns[case["id"]], inputs.ratings[case["id"]], calendar, keywords_of, before, **inputs.of(case["id"])
            )
            if after == before:
                continue
            figures.update(after.figures)
            figures.subtract(before.figures)
            topics.update(after.topics)
            topics.subtract(before.topics)
            kept.append((case["id"], after.dumps()))
        await add_to_counters(figures, topics)
        await _insert(
            "case_contribution", ("\"case\"", "counts"), kept, 'ON CONFLICT ("case") DO UPDATE SET counts = excluded.counts'
        )


def remembering(keywords_of):
    """``keywords_of`` segmenting each text once: repeated texts (generated ones) are many."""
    remembered: dict[str, tuple[str, ...]] = {}

    def keywords(title: str, description: str) -> tuple[str, ...]:
        key = f"{title}\n{description}"
        if key not in remembered:
            remembered[key] = tuple(keywords_of(title, description))
        return remembered[key]

    return keywords


async def rebuild(batch_size: int = 2000) -> int:
    """Recompute every counter from the cases (in one transaction); returns how many cases."""
    from backend.cases.trends import keywords_of

    calendar, keywords = await working_calendar(), remembering(keywords_of)
    counted = 0
    async with write_transaction():
        if isinstance(engine(), PostgresEngine):
            # Refreshes in other transactions wait for the rebuilt contributions.
            await engine().run_ddl("LOCK TABLE case_contribution, department_figure, topic_count IN ACCESS EXCLUSIVE MODE")
        for table in (CaseContribution, DepartmentFigure, TopicCount):
            await table.delete(force=True)
        figures, topics = Counter(), Counter()
        last = 0
        while True:
            cases = await Case.select(*_CASE_COLUMNS).where(Case.id > last).order_by(Case.id).limit(batch_size)
            if not cases:
                break
            last = cases[-1]["id"]
            inputs = await _inputs(cases, consecutive=True)
            kept = []
            for case in cases:
                made = contribution(case, inputs.returns[case["id"]], inputs.ratings[case["id"]], calendar, keywords, **inputs.of(case["id"]))
                figures.update(made.figures)
                topics.update(made.topics)
                if made != NOTHING:
                    kept.append((case["id"], made.dumps()))
            await _insert("case_contribution", ("\"case\"", "counts"), kept)
            counted += len(cases)
        await add_to_counters(figures, topics)
        await events.emit(RecordRebuilt())
    return counted


# --- reading them --------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentFigures:
    department_id: int
    name: str
    name_en: str
    received: int
    signed_on_time: float | None  # shares from 0 to 1; None: nothing to measure yet
    answered_on_time: float | None
    overdue: float | None
    returned: float | None
    reopened: float | None
    satisfaction: float | None  # self-rated: the filers' online ratings
    median_hours_to_answer: float | None  # in working hours
    callback_coverage: float | None = None  # callbacks that reached the filer, over the answered cases
    sampled_satisfaction: float | None = None  # satisfaction as the filers said it on callbacks
    yellow_cards: int = 0
    red_cards: int = 0


FIGURES = (
    "received",
    "signed_on_time",
    "answered_on_time",
    "overdue",
    "returned",
    "reopened",
    "satisfaction",
    "median_hours_to_answer",
    "callback_coverage",
    "sampled_satisfaction",
    "yellow_cards",
    "red_cards",
)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures_of(department: dict, counts: Counter, median: float | None) -> DepartmentFigures:
    """The figures from the counters (without the histogram, whose median the database gives)."""
    received, returned = counts["received"], counts["returned"]
    ratings = {counter: n for counter, n in counts.items() if counter.startswith(RATED)}
    called = {counter: n for counter, n in counts.items() if counter.startswith(CALLED)}
    return DepartmentFigures(
        department_id=department["id"],
        name=department["name"],
        name_en=department["name_en"],
        received=received,
        signed_on_time=_share(counts["signed_on_time"], counts["signed_on_time"] + counts["signed_late"]),
        answered_on_time=_share(counts["answered_on_time"], counts["answered_on_time"] + counts["answered_late"]),
        overdue=_share(counts["overdue"], received),
        returned=_share(returned, received + returned),
        reopened=_share(counts["reopened"], counts["answered"]),
        satisfaction=_share(sum(n for counter, n in ratings.items() if counter[len(RATED) :] in CONTENT), sum(ratings.values())),
        median_hours_to_answer=round(median, 1) if median is not None else None,
        callback_coverage=_share(sum(called.values()), counts["answered"]),
        sampled_satisfaction=_share(sum(n for counter, n in called.items() if counter[len(CALLED) :] in CONTENT), sum(called.values())),
        yellow_cards=counts["yellow_cards"],
        red_cards=counts["red_cards"],
    )


def current_start(period: str, now: datetime, time_zone: str) -> date:
    """The first day of this week, month or year, in the configured time zone."""
    return period_starts(now.astimezone(ZoneInfo(time_zone)).date())[period]


def period_start(period: str, now: datetime, time_zone: str) -> datetime:
    """The start of this week (Monday), month or year, in the configured time zone."""
    starts = current_start(period, now, time_zone)
    return datetime(starts.year, starts.month, starts.day, tzinfo=ZoneInfo(time_zone))


async def _departments(department_id: int | None = None) -> list[dict]:
    query = Department.select(Department.id, Department.name, Department.name_en).order_by(Department.name)
    return await (query.where(Department.id == department_id) if department_id is not None else query)


async def department_figures(period: str, now: datetime) -> list[DepartmentFigures]:
    """Every department's figures for this week, month or year (as of ``now``)."""
    starts = current_start(period, now, get_settings().time_zone)
    counts: dict[int, Counter] = defaultdict(Counter)
    for row in await DepartmentFigure.select(DepartmentFigure.department, DepartmentFigure.counter, DepartmentFigure.value).where(
        DepartmentFigure.period == period, DepartmentFigure.starts == starts, DepartmentFigure.counter.not_like(f"{HOURS}%")
    ):
        counts[row["department"]][row["counter"]] += row["value"]
    medians = await _medians(period, starts=starts)
    return [
        figures_of(department, counts[department["id"]], medians.get((department["id"], starts))) for department in await _departments()
    ]


async def _medians(period: str, *, starts: date | None = None, since: date | None = None, department: int | None = None) -> dict:
    """The median hours to answer per department and period (one period ``starts``, or all
    from ``since``), from the histograms, in the database: the histograms are most of the rows,
    and need not travel. A bucket holds the positions ``upto - value`` to ``upto - 1`` of the
    sorted answers; the median is the mean of the buckets holding positions (total - 1) / 2
    and total / 2. Returns {(department, starts): median}."""
    where, values = ["period = {}", "counter LIKE {}", "value > 0"], [period, f"{HOURS}%"]
    for condition, value in (("starts = {}", starts), ("starts >= {}", since), ("department = {}", department)):
        if value is not None:
            where.append(condition)
            values.append(value)
    rows = await DepartmentFigure.raw(
        "SELECT department, starts, AVG(hours) AS median FROM ("
        " SELECT department, starts, hours, value,"
        " SUM(value) OVER (PARTITION BY department, starts ORDER BY hours ROWS UNBOUNDED PRECEDING) AS upto,"
        " SUM(value) OVER (PARTITION BY department, starts) AS total FROM ("
        f"  SELECT department, starts, CAST(substr(counter, {len(HOURS) + 1}) AS DOUBLE PRECISION) AS hours, value"
        f"  FROM department_figure WHERE {' AND '.join(where)}) AS histogram) AS running"
        " WHERE upto - value <= total / 2 AND upto > (total - 1) / 2 GROUP BY department, starts",
        *values,
    )  # fmt: skip
    return {(row["department"], _day(row["starts"])): row["median"] for row in rows}


def _day(value) -> date:
    """A DATE column read through raw SQL: a date on PostgreSQL, its ISO text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(value)


async def department_history(department_id: int, period: str, count: int, now: datetime) -> list[tuple[date, DepartmentFigures]]:
    """One department's figures for each of the last ``count`` weeks or months, oldest first."""
    departments = await _departments(department_id)
    if not departments:
        return []
    latest = current_start(period, now, get_settings().time_zone)
    starts = [latest]
    while len(starts) < count:
        previous = starts[-1] - timedelta(days=1)
        starts.append(period_starts(previous)[period])
    starts.reverse()
    counts: dict[date, Counter] = defaultdict(Counter)
    for row in await DepartmentFigure.select(DepartmentFigure.starts, DepartmentFigure.counter, DepartmentFigure.value).where(
        DepartmentFigure.department == department_id,
        DepartmentFigure.period == period,
        DepartmentFigure.starts >= starts[0],
        DepartmentFigure.counter.not_like(f"{HOURS}%"),
    ):
        counts[row["starts"]][row["counter"]] += row["value"]
    medians = await _medians(period, since=starts[0], department=department_id)
    return [(first, figures_of(departments[0], counts[first], medians.get((department_id, first)))) for first in starts]


@dataclass(frozen=True)
class Contacts:
    """The centre's contacts of a period, and how many the knowledge base answered directly."""

    received: int
    answered_directly: int

    @property
    def share(self) -> float | None:
        return _share(self.answered_directly, self.received)


async def contacts(period: str, now: datetime) -> Contacts:
    """This week's, month's or year's contacts so far (as of ``now``)."""
    starts = current_start(period, now, get_settings().time_zone)
    counted = Counter()
    for row in await TopicCount.select(TopicCount.topic, TopicCount.value).where(
        TopicCount.kind == CONTACT, TopicCount.day >= starts, TopicCount.day <= now.astimezone(ZoneInfo(get_settings().time_zone)).date()
    ):
        counted[row["topic"]] += row["value"]
    return Contacts(counted["received"], counted["knowledge"])


SORTS = ("name", *FIGURES)


def parse_sort(value: str) -> tuple[str, bool]:
    """``received`` sorts up, ``-received`` down; anything else by name."""
    key = value.removeprefix("-")
    return (key, value.startswith("-")) if key in SORTS else ("name", False)


def sorted_figures(rows: list[DepartmentFigures], key: str, descending: bool, name_of) -> list[DepartmentFigures]:
    """Sorted by one figure (departments with nothing to measure last, by name) or by
    ``name_of(row)``."""
    by_name = sorted(rows, key=name_of)
    if key == "name":
        return by_name[::-1] if descending else by_name
    measured = [row for row in by_name if getattr(row, key) is not None]
    # Python's sort is stable: equal figures stay in the order of their names.
    measured.sort(key=lambda row: getattr(row, key), reverse=descending)
    return measured + [row for row in by_name if getattr(row, key) is None]
