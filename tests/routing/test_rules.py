"""Which rule routes a case: pure functions over the rules and the case's place (``routing.rules``)."""

from __future__ import annotations

from backend.routing.rules import Place, Resolution, Rule, overlaps, place_of, resolve, specificity

ROADS, WATER = 1, 2  # categories
JINGXIU, DONGFENG, LIANCHI = 10, 11, 20  # a district, a street in it, another district
IN_DONGFENG = place_of(DONGFENG, JINGXIU)
IN_JINGXIU = place_of(JINGXIU, None)
NOWHERE = place_of(None, None)


def rule(id, category=None, area=None, position=None, automatic=False) -> Rule:
    return Rule(id, id if position is None else position, category, area, department_id=100 + id, automatic=automatic)


def test_a_place_lists_its_areas_from_the_street_to_its_district():
    assert IN_DONGFENG == Place((DONGFENG, JINGXIU))
    assert IN_JINGXIU == Place((JINGXIU,))
    assert NOWHERE == Place(())
    assert place_of(DONGFENG, JINGXIU, near_boundary=True).near_boundary


def test_specificity_counts_the_category_and_how_near_the_area_is():
    assert specificity(rule(1), ROADS, IN_DONGFENG) == 0
    assert specificity(rule(1, ROADS), ROADS, IN_DONGFENG) == 1
    assert specificity(rule(1, None, JINGXIU), ROADS, IN_DONGFENG) == 1
    assert specificity(rule(1, None, DONGFENG), ROADS, IN_DONGFENG) == 2
    assert specificity(rule(1, ROADS, DONGFENG), ROADS, IN_DONGFENG) == 3
    assert specificity(rule(1, ROADS, JINGXIU), ROADS, IN_JINGXIU) == 2  # a lone district counts one
    # Rules that do not fit: another category, another area, an area for a case with none.
    assert specificity(rule(1, WATER), ROADS, IN_DONGFENG) is None
    assert specificity(rule(1, ROADS, LIANCHI), ROADS, IN_DONGFENG) is None
    assert specificity(rule(1, ROADS, DONGFENG), ROADS, IN_JINGXIU) is None
    assert specificity(rule(1, ROADS, JINGXIU), ROADS, NOWHERE) is None


def test_the_most_specific_rule_wins_wherever_it_stands():
    rules = [rule(3, ROADS, DONGFENG, position=1), rule(1, ROADS, position=2), rule(2, ROADS, JINGXIU, position=3)]
    assert resolve(rules, ROADS, IN_DONGFENG).rule.id == 3
    assert resolve(rules, ROADS, IN_JINGXIU).rule.id == 2
    assert resolve(rules, ROADS, place_of(LIANCHI, None)).rule.id == 1
    assert resolve(rules, WATER, IN_DONGFENG) is None


def test_among_equally_specific_rules_the_later_one_wins():
    street_any_category = rule(1, None, DONGFENG, position=5)
    roads_in_district = rule(2, ROADS, JINGXIU, position=6)
    assert resolve([street_any_category, roads_in_district], ROADS, IN_DONGFENG).rule.id == 2
    moved = rule(2, ROADS, JINGXIU, position=4)
    assert resolve([street_any_category, moved], ROADS, IN_DONGFENG).rule.id == 1
    # Equal positions (rules made at once): the later made wins, so the answer never wavers.
    assert resolve([rule(8, None, DONGFENG, position=1), rule(7, ROADS, JINGXIU, position=1)], ROADS, IN_DONGFENG).rule.id == 8


def test_a_case_near_a_boundary_is_flagged_and_never_automatic():
    automatic = rule(1, ROADS, automatic=True)
    assert resolve([automatic], ROADS, IN_DONGFENG) == Resolution(automatic, flagged=False)
    assert resolve([automatic], ROADS, IN_DONGFENG).automatic
    near = resolve([automatic], ROADS, place_of(DONGFENG, JINGXIU, near_boundary=True))
    assert near.flagged and not near.automatic
    assert not resolve([rule(2, ROADS)], ROADS, IN_DONGFENG).automatic


def test_a_rule_with_the_same_category_and_area_overlaps():
    rules = [rule(1, ROADS, JINGXIU), rule(2, None, None), rule(3, ROADS, None)]
    assert overlaps(rules, ROADS, JINGXIU).id == 1
    assert overlaps(rules, None, None).id == 2
    assert overlaps(rules, ROADS, None).id == 3
    assert overlaps(rules, ROADS, DONGFENG) is None
    assert overlaps(rules, WATER, JINGXIU) is None
    assert overlaps(rules, ROADS, JINGXIU, own_id=1) is None  # a rule saved again as it is
