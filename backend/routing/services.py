"""Routing rules (派单规则): the admin's rules, the suggestion for a case, and how often the
department a rule chose returned the case as not theirs.

Plain Python over the tables; knows nothing of HTTP. Which rule fits is decided by the pure
functions of ``rules``; where a case is, by its map point among the areas' boundaries
(``departments.boundaries``) or else the area it was filed in. Every change an admin makes is
written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend import clock
from backend.accounts import audit
from backend.accounts.audit import AuditAction, Who
from backend.cases.tables import Case, TimelineEntry
from backend.db import write_transaction
from backend.departments.boundaries import area_map
from backend.departments.tables import Area, Category, Department
from backend.errors import FieldErrors, NotFound
from backend.events import EntryAppended
from backend.i18n_markers import N_
from backend.routing.rules import Place, Resolution, Rule, overlaps, place_of, resolve
from backend.routing.tables import RoutingRule, RoutingRuleCoHandler, RuleRouting
from backend.text import row_id
from backend.vocabulary import CITIZEN_CASE_TYPES

MAX_CO_HANDLERS = 10
RETURN_ACTION = "return"  # the lifecycle's row by which a department hands a case back as not theirs

OVERLAPPING = N_("Another rule already routes this category in this area. Change that rule instead of adding a second one.")
CHOOSE_A_CATEGORY = N_("Choose a category from the list, or any category.")
CHOOSE_AN_AREA = N_("Choose an area from the list, or anywhere.")
CHOOSE_THE_LEAD = N_("Choose the lead department.")
CHOOSE_CO_HANDLERS = N_("Choose co-handling departments from the list (at most 10).")
AUTOMATIC_NEEDS_CATEGORY = N_("Only a rule for one category may accept and assign cases by itself.")
NO_SUCH_RULE = N_("There is no such routing rule.")


class RoutingError(FieldErrors):
    """A routing rule that cannot be saved as typed."""


@dataclass
class RuleForm:
    category_id: str = ""  # empty: any category
    area_id: str = ""  # empty: anywhere
    department_id: str = ""
    co_department_ids: tuple[str, ...] = ()
    automatic: str = ""  # a checkbox: "yes" when ticked


@dataclass(frozen=True)
class RuleView:
    """A rule with the names it shows: "rule 12: 道路 in 竞秀区 → 住建局"."""

    id: int
    position: int
    category_id: int | None
    category_name: str
    category_name_en: str
    area_id: int | None
    area_name: str
    area_name_en: str
    department_id: int
    department_name: str
    department_name_en: str
    co_handlers: tuple[tuple[int, str, str], ...]  # (id, name, English name)
    automatic: bool

    @property
    def rule(self) -> Rule:
        return Rule(
            self.id, self.position, self.category_id, self.area_id, self.department_id,
            tuple(each[0] for each in self.co_handlers), self.automatic,
        )

    @property
    def reason_zh(self) -> str:
        """The reason in the centre's language, as the timeline keeps it (规则 12：道路 在 竞秀区)."""
        return f"规则 {self.id}：{self.category_name or '任何类别'} 在 {self.area_name or '全市'}"

    def form(self) -> RuleForm:
        return RuleForm(
            category_id=str(self.category_id or ""),
            area_id=str(self.area_id or ""),
            department_id=str(self.department_id),
            co_department_ids=tuple(str(each[0]) for each in self.co_handlers),
            automatic="yes" if self.automatic else "",
        )


@dataclass(frozen=True)
class Suggestion:
    """The department a rule suggests for a case, and why."""

    rule: RuleView
    flagged: bool  # its map point is near an area's boundary: a human must look
    area_id: int | None  # the area its map point lies in, if a boundary holds it

    @property
    def automatic(self) -> bool:
        return Resolution(self.rule.rule, self.flagged).automatic


# Reading.


async def rule_views(rule_ids: list[int] | None = None) -> list[RuleView]:
    """Every rule (or those of ``rule_ids``), in order."""
    query = RoutingRule.select(
        RoutingRule.id,
        RoutingRule.position,
        RoutingRule.category.as_alias("category_id"),
        RoutingRule.category.name.as_alias("category_name"),
        RoutingRule.category.name_en.as_alias("category_name_en"),
        RoutingRule.area.as_alias("area_id"),
        RoutingRule.area.name.as_alias("area_name"),
        RoutingRule.area.name_en.as_alias("area_name_en"),
        RoutingRule.department.as_alias("department_id"),
        RoutingRule.department.name.as_alias("department_name"),
        RoutingRule.department.name_en.as_alias("department_name_en"),
        RoutingRule.automatic,
    )
    if rule_ids is not None:
        query = query.where(RoutingRule.id.is_in(rule_ids or [0]))
    rows = await query.order_by(RoutingRule.position).order_by(RoutingRule.id)
    co: dict[int, list[tuple[int, str, str]]] = {}
    ids = [row["id"] for row in rows]
    if ids:
        for row in await RoutingRuleCoHandler.select(
            RoutingRuleCoHandler.rule,
            RoutingRuleCoHandler.department,
            RoutingRuleCoHandler.department.name.as_alias("name"),
            RoutingRuleCoHandler.department.name_en.as_alias("name_en"),
        ).where(RoutingRuleCoHandler.rule.is_in(ids)).order_by(RoutingRuleCoHandler.department.name):
            co.setdefault(row["rule"], []).append((row["department"], row["name"], row["name_en"]))
    names = ("category_name", "category_name_en", "area_name", "area_name_en")
    return [
        RuleView(**{key: (value or "") if key in names else value for key, value in row.items()}, co_handlers=tuple(co.get(row["id"], ())))
        for row in rows
    ]


async def rule_view(rule_id: int) -> RuleView | None:
    found = await rule_views([rule_id])
    return found[0] if found else None


_cached_rules: tuple[tuple, list[Rule]] | None = None


async def current_rules() -> list[Rule]:
    """The rules as ``rules.resolve`` needs them, kept in the process and read again whenever a
    rule was added, changed, moved or deleted since (one small query tells): routing a case then
    costs no more than finding its place."""
    global _cached_rules
    stamp = await RoutingRule.raw("SELECT COUNT(*) AS n, MAX(updated_at) AS latest FROM routing_rule")
    key = (stamp[0]["n"], str(stamp[0]["latest"]))
    if _cached_rules is None or _cached_rules[0] != key:
        co: dict[int, list[int]] = {}
        for row in await RoutingRuleCoHandler.select(RoutingRuleCoHandler.rule, RoutingRuleCoHandler.department):
            co.setdefault(row["rule"], []).append(row["department"])
        rows = await RoutingRule.select(
            RoutingRule.id, RoutingRule.position, RoutingRule.category, RoutingRule.area, RoutingRule.department, RoutingRule.automatic
        )
        _cached_rules = (key, [
            Rule(row["id"], row["position"], row["category"], row["area"], row["department"], tuple(sorted(co.get(row["id"], ()))), row["automatic"])
            for row in rows
        ])
    return _cached_rules[1]


async def _places(cases: list[dict]) -> dict[int, tuple[Place, int | None]]:
    """Each case's place for routing, and the area its map point lies in (if a boundary holds it)."""
    located: dict[int, tuple[int | None, bool]] = {}
    if any(case["latitude"] is not None and case["longitude"] is not None for case in cases):
        areas = await area_map()
        for case in cases:
            if case["latitude"] is not None and case["longitude"] is not None:
                found = areas.locate(case["latitude"], case["longitude"])
                located[case["id"]] = (found.area_id, found.near_boundary)
    # The area its point lies in, else the one it was filed in (or the centre put it in).
    area_of = {case["id"]: located.get(case["id"], (None, False))[0] or case["area"] for case in cases}
    wanted = [area for area in set(area_of.values()) if area is not None]
    parents = {row["id"]: row["parent"] for row in await Area.select(Area.id, Area.parent).where(Area.id.is_in(wanted))} if wanted else {}
    places = {}
    for case_id, area in area_of.items():
        located_area, near = located.get(case_id, (None, False))
        places[case_id] = (place_of(area, parents.get(area), near), located_area)
    return places


async def suggestions(cases: list[dict]) -> dict[int, Suggestion]:
    """The suggestion for each case that a rule fits (by case id). ``cases``: dicts with the
    case's id, category, area, latitude and longitude."""
    rules = await current_rules()
    if not cases or not rules:
        return {}
    category_of = {case["id"]: case["category"] for case in cases}
    resolved = {}
    for case_id, (place, located_area) in (await _places(cases)).items():
        resolution = resolve(rules, category_of[case_id], place)
        if resolution is not None:
            resolved[case_id] = (resolution, located_area)
    # The winning rules' names, read now (a department or an area may have been renamed).
    views = {view.id: view for view in await rule_views(sorted({resolution.rule.id for resolution, _ in resolved.values()}))}
    return {
        case_id: Suggestion(views[resolution.rule.id], resolution.flagged, located_area)
        for case_id, (resolution, located_area) in resolved.items()
        if resolution.rule.id in views
    }


SUGGESTION_COLUMNS = (Case.id, Case.category, Case.area, Case.latitude, Case.longitude)


async def suggestion_for(case_id: int) -> Suggestion | None:
    case = await Case.select(*SUGGESTION_COLUMNS).where(Case.id == case_id).first()
    return (await suggestions([case])).get(case_id) if case else None


async def suggestions_by_number(numbers: list[str]) -> dict[str, Suggestion]:
    """The suggestions for the cases of these numbers (a queue's), by case number."""
    if not numbers:
        return {}
    cases = await Case.select(*SUGGESTION_COLUMNS, Case.number).where(
        Case.number.is_in(numbers), Case.case_type.is_in([kind.value for kind in CITIZEN_CASE_TYPES])
    )
    found = await suggestions(cases)
    return {case["number"]: found[case["id"]] for case in cases if case["id"] in found}


# Changing the rules.


async def _checked(form: RuleForm, rule_id: int | None) -> dict:
    errors: dict[str, str] = {}
    category_id = row_id(form.category_id.strip()) if form.category_id.strip() else None
    if form.category_id.strip() and (category_id is None or not await Category.exists().where(Category.id == category_id)):
        errors["category_id"] = CHOOSE_A_CATEGORY
    area_id = row_id(form.area_id.strip()) if form.area_id.strip() else None
    if form.area_id.strip() and (area_id is None or not await Area.exists().where(Area.id == area_id)):
        errors["area_id"] = CHOOSE_AN_AREA
    department_id = row_id(form.department_id.strip())
    if department_id is None or not await Department.exists().where(Department.id == department_id):
        errors["department_id"] = CHOOSE_THE_LEAD
    chosen = {row_id(each.strip()) for each in form.co_department_ids if each.strip()}
    co_ids = chosen - {department_id}
    if None in chosen or len(co_ids) > MAX_CO_HANDLERS or (
        co_ids and await Department.count().where(Department.id.is_in(list(co_ids))) != len(co_ids)
    ):
        errors["co_department_ids"] = CHOOSE_CO_HANDLERS
    automatic = form.automatic == "yes"
    if automatic and category_id is None and "category_id" not in errors:
        errors["automatic"] = AUTOMATIC_NEEDS_CATEGORY
    if not errors and overlaps(await current_rules(), category_id, area_id, rule_id):
        errors["area_id"] = OVERLAPPING
    if errors:
        raise RoutingError(errors)
    return {"category": category_id, "area": area_id, "department": department_id, "automatic": automatic, "co": sorted(co_ids)}


def _detail(rule_id: int, values: dict) -> str:
    return (
        f"rule {rule_id}: category={values['category'] or 'any'}, area={values['area'] or 'anywhere'}, "
        f"department={values['department']}, co={','.join(map(str, values['co'])) or 'none'}, automatic={values['automatic']}"
    )


async def save_rule(rule_id: int | None, form: RuleForm, *, actor: Who, client_address: str = "") -> int:
    """Add a rule (last in order) or change one; returns its id. Raises RoutingError."""
    now = clock.now()
    async with write_transaction():
        if rule_id is not None and not await RoutingRule.exists().where(RoutingRule.id == rule_id):
            raise RoutingError({"": NO_SUCH_RULE}, NotFound)
        # Checked in the write transaction: two admins adding the same rule at once add one.
        values = await _checked(form, rule_id)
        columns = {key: values[key] for key in ("category", "area", "department", "automatic")}
        if rule_id is None:
            last = await RoutingRule.select(RoutingRule.position).order_by(RoutingRule.position, ascending=False).first()
            rows = await RoutingRule.insert(
                RoutingRule(**columns, position=(last["position"] + 1) if last else 1, created_at=now, updated_at=now)
            ).returning(RoutingRule.id)
            rule_id, action = rows[0]["id"], AuditAction.routing_rule_created
        else:
            await RoutingRule.update({**columns, "updated_at": now}).where(RoutingRule.id == rule_id)
            await RoutingRuleCoHandler.delete().where(RoutingRuleCoHandler.rule == rule_id)
            action = AuditAction.routing_rule_changed
        if values["co"]:
            await RoutingRuleCoHandler.insert(*[RoutingRuleCoHandler(rule=rule_id, department=each) for each in values["co"]])
        await audit.record(action, actor=actor, detail=_detail(rule_id, values), client_address=client_address)
        return rule_id


async def delete_rule(rule_id: int, *, actor: Who, client_address: str = "") -> None:
    """Delete a rule, with its return rate: cases it routed keep their departments and timelines."""
    async with write_transaction():
        deleted = await RoutingRule.delete().where(RoutingRule.id == rule_id).returning(RoutingRule.id)
        if not deleted:
            raise RoutingError({"": NO_SUCH_RULE}, NotFound)
        await audit.record(AuditAction.routing_rule_deleted, actor=actor, detail=f"rule {rule_id}", client_address=client_address)


async def move_rule(rule_id: int, later: bool, *, actor: Who, client_address: str = "") -> None:
    """Swap a rule with the one after it (``later``) or before it; at either end, nothing moves."""
    async with write_transaction():
        rows = await RoutingRule.select(RoutingRule.id, RoutingRule.position).order_by(RoutingRule.position).order_by(RoutingRule.id)
        order = [row["id"] for row in rows]
        if rule_id not in order:
            raise RoutingError({"": NO_SUCH_RULE}, NotFound)
        here = order.index(rule_id)
        there = here + 1 if later else here - 1
        if not 0 <= there < len(order):
            return
        order[here], order[there] = order[there], order[here]
        # Positions made 1…n afresh: equal positions (rules added at once) get an order too.
        now = clock.now()
        for position, each in enumerate(order, 1):
            await RoutingRule.update({RoutingRule.position: position, RoutingRule.updated_at: now}).where(RoutingRule.id == each)
        await audit.record(
            AuditAction.routing_rule_moved, actor=actor, detail=f"rule {rule_id}: position {there + 1}", client_address=client_address
        )


# Cases routed by a rule, and returned.


async def record_routing(case_id: int, suggestion: Suggestion, automatic: bool, now: datetime) -> None:
    """A case assigned as ``suggestion``'s rule says (in the ``route`` action's transaction)."""
    await RuleRouting.insert(
        RuleRouting(case=case_id, rule=suggestion.rule.id, department=suggestion.rule.department_id, automatic=automatic, routed_at=now)
    )


async def on_entries_appended(appended: set[EntryAppended]) -> None:
    """A listener (before commit): a department returned a case a rule sent it; the rule's
    routing of it counts as returned."""
    returns = [event for event in appended if event.action == RETURN_ACTION]
    for event in returns:
        entry = await TimelineEntry.select(TimelineEntry.department, TimelineEntry.created_at).where(
            TimelineEntry.id == event.entry_id
        ).first()
        await RuleRouting.update({RuleRouting.returned_at: entry["created_at"]}).where(
            RuleRouting.case == event.case_id,
            RuleRouting.department == entry["department"],
            RuleRouting.returned_at.is_null(),
        )


@dataclass(frozen=True)
class ReturnRate:
    rule: RuleView
    routed: int
    returned: int
    automatic: int  # of those routed, without a moderator

    @property
    def rate(self) -> float | None:
        return self.returned / self.routed if self.routed else None


async def return_rates() -> list[ReturnRate]:
    """For each rule, in order: the cases it routed, how many of them the department returned
    as not theirs, and how many it routed by itself."""
    rows = await RuleRouting.raw(
        "SELECT rule, COUNT(*) AS routed, COUNT(returned_at) AS returned, "
        "SUM(CASE WHEN automatic THEN 1 ELSE 0 END) AS automatic FROM rule_routing GROUP BY rule"
    )
    counts = {row["rule"]: (row["routed"], row["returned"], row["automatic"]) for row in rows}
    return [ReturnRate(view, *map(int, counts.get(view.id, (0, 0, 0)))) for view in await rule_views()]
