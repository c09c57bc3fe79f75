"""Before filing: open public cases nearby or alike, and "me too" (我也遇到) support for them.

A person is known without an account by a long-lived random cookie of their browser (set on
their first "me too"), and when signed in also by their account. Only a keyed hash of either is
stored. A person counts once per case: none of their hashes may be there already, and the
unique index on (case, supporter) makes a double tap, even a simultaneous one, count once. The
case's ``support_count`` changes in the same transaction as the support row.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from backend import clock, events
from backend.cases import search
from backend.vocabulary import STATUS_GROUPS, StatusGroup
from backend.cases.services import _CASE_COLUMNS, CaseView, _case_views, with_number
from backend.cases.tables import Case, Support
from backend.db import write_transaction
from backend.events import CaseSupported
from backend.i18n_markers import N_
from backend.errors import NotFound, WrongState

NEARBY_METRES = 300
SUGGESTIONS_MAX = 5
SUPPORTER_COOKIE = "minsheng_supporter"
SUPPORTER_COOKIE_DAYS = 730
_METRES_PER_DEGREE = 111_320  # of latitude, and of longitude at the equator
_EARTH_RADIUS_METRES = 6_371_000
# Cases still being handled or waiting for the filer's rating: worth supporting instead of
# filing again. Closed ones are not.
SUPPORTABLE = frozenset(status.value for group in (StatusGroup.open, StatusGroup.answered) for status in STATUS_GROUPS[group])


@dataclass(frozen=True)
class Suggestion:
    case: CaseView
    metres: int | None  # how far away, for a nearby case; None for one found by its words


def new_supporter_token() -> str:
    return secrets.token_urlsafe(24)


def supporter_hashes(secret_key: str, token: str | None, account_id: int | None) -> list[str]:
    """Who a person is, as stored: their account first (when signed in), then their browser."""
    keys = ([f"account:{account_id}"] if account_id is not None else []) + ([f"browser:{token}"] if token else [])
    return [hmac.new(secret_key.encode(), key.encode(), hashlib.sha256).hexdigest() for key in keys]


def distance_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * _EARTH_RADIUS_METRES * math.asin(math.sqrt(a))


async def nearby(category_id: int, latitude: float, longitude: float, metres: int = NEARBY_METRES) -> list[Suggestion]:
    """Open public cases of the category within ``metres``, nearest first: a box of latitude
    and longitude on the index narrows them, the true distance decides."""
    dlat = metres / _METRES_PER_DEGREE
    dlon = metres / (_METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    rows = await Case.select(*_CASE_COLUMNS).where(
        Case.published_at.is_not_null(),
        Case.category == category_id,
        Case.latitude.is_not_null(),
        (Case.latitude >= latitude - dlat) & (Case.latitude <= latitude + dlat),
        (Case.longitude >= longitude - dlon) & (Case.longitude <= longitude + dlon),
        Case.status.is_in(list(SUPPORTABLE)),
    ).limit(200)
    found = [
        Suggestion(view, round(distance))
        for view in await _case_views(rows, set())
        if (distance := distance_metres(latitude, longitude, view.latitude, view.longitude)) <= metres
    ]
    return sorted(found, key=lambda suggestion: suggestion.metres)[:SUGGESTIONS_MAX]


async def alike(text: str, category_id: int | None = None) -> list[Suggestion]:
    """Open public cases whose words are most like ``text`` (of the category, when given)."""
    ids = await search.most_alike(search.query_words(text))
    if not ids:
        return []
    query = Case.select(*_CASE_COLUMNS).where(
        Case.id.is_in(ids), Case.published_at.is_not_null(), Case.status.is_in(list(SUPPORTABLE))
    )
    if category_id is not None:
        query = query.where(Case.category == category_id)
    rank = {case_id: index for index, case_id in enumerate(ids)}
    views = sorted(await _case_views(await query, set()), key=lambda view: rank[view.id])
    return [Suggestion(view, None) for view in views[:SUGGESTIONS_MAX]]


async def suggestions(
    category_id: int | None, latitude: float | None, longitude: float | None, text: str
) -> list[Suggestion]:
    """What the report form offers to support instead of filing: nearby cases first, then alike ones."""
    found = []
    if category_id is not None and latitude is not None and longitude is not None:
        found += await nearby(category_id, latitude, longitude)
    if text.strip():
        seen = {suggestion.case.id for suggestion in found}
        found += [suggestion for suggestion in await alike(text, category_id) if suggestion.case.id not in seen]
    return found[:SUGGESTIONS_MAX]


async def supported(case_id: int, hashes: list[str]) -> bool:
    return case_id in await supported_among([case_id], hashes)


async def supported_among(case_ids: list[int], hashes: list[str]) -> set[int]:
    """Which of these cases this person has supported."""
    if not (case_ids and hashes):
        return set()
    rows = await Support.select(Support.case).where(Support.case.is_in(case_ids), Support.supporter.is_in(hashes))
    return {row["case"] for row in rows}


async def support(number: str, hashes: list[str]) -> tuple[int, bool]:
    """Count this person's "me too" for a public case, once: (the case's count, whether this
    one counted). Raises NotFound (no such public case) or WrongState (closed)."""
    if not hashes:
        raise ValueError("a supporter needs a hash")
    async with write_transaction():
        case = await Case.select(Case.id, Case.status).where(with_number(number), Case.published_at.is_not_null()).first()
        if case is None:
            raise NotFound(N_("There is no such case."))
        if case["status"] not in SUPPORTABLE:
            raise WrongState(N_("This case is closed: file a new report if the problem is back."))
        counted = False
        if not await supported(case["id"], hashes):
            inserted = await Support.raw(
                'INSERT INTO support ("case", supporter, created_at) VALUES ({}, {}, {}) '
                'ON CONFLICT ("case", supporter) DO NOTHING RETURNING id',
                case["id"],
                hashes[0],
                clock.now(),
            )
            if inserted:
                await Case.update({Case.support_count: Case.support_count + 1}).where(Case.id == case["id"])
                await events.emit(CaseSupported(case["id"]))
                counted = True
        count = await Case.select(Case.support_count).where(Case.id == case["id"]).first()
    return count["support_count"], counted
