"""The JSON API's routing (派单规则) for outside systems: the areas with their boundaries, for
anyone; the rules in order and a case's suggestion, for the centre's ``moderator`` keys. Taking
a suggestion is the lifecycle's ``route`` action (``POST /api/v1/staff/cases/{number}/actions/route``).
"""

from __future__ import annotations

import json

import msgspec
from litestar import Controller, get

from backend.api.auth import requires
from backend.api.errors import ApiError, responses
from backend.api.v1 import NO_SUCH_CASE, PRIVATE
from backend.cases import services as case_services
from backend.departments.tables import Area as AreaRow
from backend.routing import services
from backend.routing.services import RuleView
from backend.vocabulary import MODERATOR
from backend.web.caching import public_record
from backend.web.params import CaseNumber


class Area(msgspec.Struct):
    id: int
    name: str
    name_en: str
    slug: str
    parent_id: int | None  # the district of a street or town; None for a district
    boundary: dict | None  # a GeoJSON Polygon or MultiPolygon (WGS 84), if it has one


class CoHandler(msgspec.Struct):
    id: int
    name: str
    name_en: str


class RoutingRule(msgspec.Struct):
    id: int
    position: int  # the order: among equally specific rules, the later wins
    category_id: int | None  # None: any category
    area_id: int | None  # None: anywhere
    department_id: int  # the lead department (主办)
    department_name: str
    co_handlers: list[CoHandler]  # co-handling departments (协办)
    automatic: bool  # new cases it fits are accepted and assigned without a moderator


class RoutingSuggestion(msgspec.Struct):
    rule: RoutingRule
    reason: str  # "规则 12：道路 在 竞秀区"
    flagged: bool  # the map point is within 50 m of an area's boundary: a person should check it
    area_id: int | None  # the area whose boundary holds the case's map point, if any


def _rule(view: RuleView) -> RoutingRule:
    return RoutingRule(
        view.id, view.position, view.category_id, view.area_id, view.department_id, view.department_name,
        [CoHandler(*each) for each in view.co_handlers], view.automatic,
    )


class AreasController(Controller):
    """The active areas, for anyone (a map of the streets)."""

    tags = ["public"]

    @get("/areas", responses=responses(), opt=public_record())
    async def areas(self) -> list[Area]:
        rows = await AreaRow.select(AreaRow.id, AreaRow.name, AreaRow.name_en, AreaRow.slug, AreaRow.parent, AreaRow.boundary).where(
            AreaRow.active.eq(True)
        ).order_by(AreaRow.position).order_by(AreaRow.id)
        return [
            Area(row["id"], row["name"], row["name_en"], row["slug"], row["parent"], json.loads(row["boundary"]) if row["boundary"] else None)
            for row in rows
        ]


class RoutingController(Controller):
    """The routing rules and a case's suggestion: a ``moderator`` key."""

    path = "/staff"
    tags = ["staff"]
    guards = [requires(MODERATOR)]
    security = [{"apiKey": []}]
    cache_control = PRIVATE

    @get("/routing-rules", responses=responses(401, 403))
    async def rules(self) -> list[RoutingRule]:
        """Every rule, in order."""
        return [_rule(view) for view in await services.rule_views()]

    @get("/cases/{number:str}/routing", responses=responses(401, 403, 404))
    async def suggestion(self, number: CaseNumber) -> RoutingSuggestion | None:
        """What a rule suggests for the case (null when no rule fits it)."""
        view = await case_services.staff_case(number)
        if view is None:
            raise ApiError(404, "not_found", NO_SUCH_CASE)
        found = await services.suggestion_for(view.case.id)
        if found is None:
            return None
        return RoutingSuggestion(_rule(found.rule), found.rule.reason_zh, found.flagged, found.area_id)

