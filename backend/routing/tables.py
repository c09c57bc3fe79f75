from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Timestamptz
from piccolo.table import Table

from backend.cases.tables import Case
from backend.departments.tables import Area, Category, Department


class RoutingRule(Table, tablename="routing_rule"):
    """A routing rule (派单规则): cases of a category in an area go to a lead department, with
    co-handlers. No category or no area: any. Ordered by ``position``; the most specific rule
    that fits a case wins, the later one among equally specific ones (``rules.resolve``).
    Never two with the same category and area (checked by ``services``)."""

    position = Integer(default=0, index=True)
    category = ForeignKey(references=Category, null=True, default=None, on_delete=OnDelete.cascade)
    area = ForeignKey(references=Area, null=True, default=None, on_delete=OnDelete.cascade)
    department = ForeignKey(references=Department, null=False, on_delete=OnDelete.cascade)
    # Accept and assign new cases it fits without a moderator (``automatic``); only with a category.
    automatic = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class RoutingRuleCoHandler(Table, tablename="routing_rule_co_handler"):
    """A co-handling department (协办) a rule assigns besides its lead."""

    rule = ForeignKey(references=RoutingRule, null=False, index=True, on_delete=OnDelete.cascade)
    department = ForeignKey(references=Department, null=False, on_delete=OnDelete.cascade)


class RuleRouting(Table, tablename="rule_routing"):
    """A case assigned by a rule (the ``route`` action), and whether the department it went to
    returned it as not theirs: the return rate per rule (``services.return_rates``)."""

    case = ForeignKey(references=Case, null=False, index=True, on_delete=OnDelete.cascade)
    rule = ForeignKey(references=RoutingRule, null=False, index=True, on_delete=OnDelete.cascade)
    department = ForeignKey(references=Department, null=False, on_delete=OnDelete.cascade)
    automatic = Boolean(default=False)  # without a moderator
    routed_at = Timestamptz()
    returned_at = Timestamptz(null=True, default=None)
