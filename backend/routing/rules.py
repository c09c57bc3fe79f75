"""Which routing rule (派单规则) fits a case: pure functions over the rules and the case's place.

A rule names a category and an area, either of which may be "any". It fits a case of its
category (or any) in its area: the case's street, the street's district, or anywhere. Of the
rules that fit, the most specific wins: one point for naming the category, two for naming the
case's street, one for naming its district. Among equally specific rules the later one (by
position) wins, so an admin orders rules to settle what specificity does not.

A case whose map point lies near an area's boundary is flagged: its rule is only a suggestion
for a human, never applied automatically.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: int
    position: int
    category_id: int | None  # None: any category
    area_id: int | None  # None: anywhere
    department_id: int
    co_department_ids: tuple[int, ...] = ()
    automatic: bool = False


@dataclass(frozen=True)
class Place:
    """Where a case is, for routing: its areas from the most specific (a street, then its
    district; or only a district; or none), and whether its map point lies near a boundary."""

    area_ids: tuple[int, ...] = ()
    near_boundary: bool = False


@dataclass(frozen=True)
class Resolution:
    rule: Rule
    flagged: bool  # near a boundary: for a human to confirm

    @property
    def automatic(self) -> bool:
        """Whether the case may be accepted and assigned without a moderator."""
        return self.rule.automatic and not self.flagged


def place_of(area_id: int | None, district_id: int | None, near_boundary: bool = False) -> Place:
    """A case's place from its area and, when that area is a street or town, its district."""
    return Place(tuple(each for each in (area_id, district_id) if each is not None), near_boundary)


def specificity(rule: Rule, category_id: int, place: Place) -> int | None:
    """How specifically ``rule`` fits a case of ``category_id`` at ``place``; None if it does not."""
    if rule.category_id is not None and rule.category_id != category_id:
        return None
    score = 0 if rule.category_id is None else 1
    if rule.area_id is None:
        return score
    if rule.area_id not in place.area_ids:
        return None
    # A street (the first of two) counts two, its district one; a lone district counts one.
    return score + len(place.area_ids) - place.area_ids.index(rule.area_id)


def resolve(rules: list[Rule], category_id: int, place: Place) -> Resolution | None:
    """The rule that routes a case, or None if no rule fits it."""
    best: tuple[int, int, int] | None = None
    chosen: Rule | None = None
    for rule in rules:
        score = specificity(rule, category_id, place)
        if score is None:
            continue
        key = (score, rule.position, rule.id)
        if best is None or key > best:
            best, chosen = key, rule
    return Resolution(chosen, place.near_boundary) if chosen else None


def overlaps(rules: list[Rule], category_id: int | None, area_id: int | None, own_id: int | None = None) -> Rule | None:
    """Another rule with the same category and area (either may be "any"): they would compete
    for the same cases with no order between them but position, so it is refused."""
    for rule in rules:
        if rule.id != own_id and rule.category_id == category_id and rule.area_id == area_id:
            return rule
    return None
