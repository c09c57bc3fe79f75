"""Reply templates: the standard wording seed 003 asks for, with placeholders filled from the case.

The centre's templates (no department) serve every department; a department's, its own handlers.
A handler chooses one on the reply form, which fills it in for the case, and then edits it. A
reply that is nothing but a template's text (whatever its placeholders became) says nothing of
the case: the review queue warns of it (seed 003: no perfunctory replies).

Placeholders are names in braces: ``{case_number}``, ``{filer}``, ``{department}``, ``{today}``,
``{answer_due}``, and ``{working_days:N}``, the day N working days from today by the working
calendar. A template naming anything else is refused when it is saved. Plain Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from backend import clock
from backend.cases.tables import Case
from backend.db import write_transaction
from backend.deadlines.calendar import WorkingCalendar
from backend.deadlines.services import working_calendar
from backend.departments.tables import Department
from backend.errors import FieldErrors, NotFound
from backend.i18n_markers import N_
from backend.knowledge.services import CHOOSE_A_DEPARTMENT, Editor, chosen
from backend.knowledge.tables import ReplyTemplate
from backend.settings import get_settings
from backend.text import clean_text

NAME_MAX = 60
BODY_MAX = 5000
MAX_WORKING_DAYS = 60
NO_SUCH_TEMPLATE = N_("There is no such reply template.")

PLACEHOLDERS = {
    "case_number": N_("the case's number"),
    "filer": N_("how to address the filer: the form of address they gave (王女士), or their family name with 先生/女士; never their full name"),
    "department": N_("the name of the department answering"),
    "today": N_("today's date"),
    "answer_due": N_("the day the answer is due"),
    "working_days:N": N_("the day N working days from today (N from 1 to 60), by the working calendar"),
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_WORKING_DAYS = re.compile(r"working_days:([1-9][0-9]?)")
# A form of address a filer may have given instead of a name (王女士): kept as given.
_ADDRESSES = ("先生", "女士", "小姐", "同志", "老师", "师傅", "阿姨")
# What a placeholder may become in a reply, for recognising a template's text: a case number, a
# form of address, a department's name or a date.
FILLED_MAX = 100


class TemplateError(FieldErrors):
    """A template that can't be saved as typed (or, of kind NotFound, one that is not there)."""


@dataclass
class TemplateForm:
    name: str = ""
    body: str = ""
    department_id: str = ""  # empty: the centre's, for every department


@dataclass(frozen=True)
class Template:
    id: int
    name: str
    body: str
    department_id: int | None
    department_name: str
    department_name_en: str


@dataclass(frozen=True)
class Facts:
    """What the placeholders are filled with, for one case."""

    case_number: str
    filer_name: str
    department_name: str
    answer_due_at: datetime | None
    now: datetime
    time_zone: str
    calendar: WorkingCalendar


def unknown_placeholders(body: str) -> list[str]:
    """The placeholders of ``body`` that name nothing (a stray brace counts as one)."""
    unknown = []
    for name in _PLACEHOLDER.findall(body):
        working_days = _WORKING_DAYS.fullmatch(name)
        if not (name in PLACEHOLDERS and name != "working_days:N") and not (
            working_days and int(working_days.group(1)) <= MAX_WORKING_DAYS
        ):
            unknown.append(name)
    if "{" in _PLACEHOLDER.sub("", body) or "}" in _PLACEHOLDER.sub("", body):
        unknown.append("{ }")
    return unknown


def form_of_address(name: str) -> str:
    """How a reply addresses the filer, from the name or form of address they gave."""
    name = name.strip()
    if name.endswith(_ADDRESSES):
        return name
    if name and "\u3400" <= name[0] <= "\u9fff":  # a Chinese name: its family name (the first character)
        return f"{name[0]}先生/女士"
    return "市民朋友"  # erased, never given, or not a Chinese name


def _day(moment: datetime, time_zone: str) -> str:
    day: date = moment.astimezone(ZoneInfo(time_zone)).date()
    return f"{day.year}年{day.month}月{day.day}日"


def fill(body: str, facts: Facts) -> str:
    """The template's text for the case: each placeholder replaced by its value."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if working_days := _WORKING_DAYS.fullmatch(name):
            return _day(facts.calendar.add_working_days(facts.now, int(working_days.group(1))), facts.time_zone)
        return {
            "case_number": facts.case_number,
            "filer": form_of_address(facts.filer_name),
            "department": facts.department_name,
            "today": _day(facts.now, facts.time_zone),
            "answer_due": _day(facts.answer_due_at, facts.time_zone) if facts.answer_due_at else "",
        }.get(name, match.group(0))

    return _PLACEHOLDER.sub(value, body)


def _squeezed(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def _only_filled_in(reply: str, body: str) -> bool:
    """Whether ``reply`` (squeezed) is ``body`` filled in: its words as written, spaces and line
    breaks aside, in order, each placeholder become anything up to ``FILLED_MAX`` characters.
    Each fixed piece is looked for at its first place after the one before, in linear time
    (a regular expression with a wildcard per placeholder could take exponential time over a
    template written to make it)."""
    pieces = [_squeezed(piece) for piece in _PLACEHOLDER.split(body)[::2]]
    if not reply.startswith(pieces[0]):
        return False
    position, slack = len(pieces[0]), 0
    for piece in pieces[1:-1]:
        slack += FILLED_MAX
        found = reply.find(piece, position, position + slack + len(piece))
        if found < 0:
            return False
        position, slack = found + len(piece), 0 if piece else slack
    last = pieces[-1] if len(pieces) > 1 else ""
    end = len(reply) - len(last)
    return reply.endswith(last) and position <= end <= position + slack + (FILLED_MAX if len(pieces) > 1 else 0)


def repeats_template(reply: str, templates: list[Template]) -> str | None:
    """The name of a template that ``reply`` is nothing but (filled in), if any."""
    squeezed = _squeezed(reply)
    for template in templates:
        if _only_filled_in(squeezed, template.body):
            return template.name
    return None


async def facts_of(case_number: str, department_id: int | None) -> Facts:
    """The facts of a case for its reply, as the department ``department_id`` writes it."""
    case = await Case.select(Case.number, Case.filer_name, Case.answer_due_at).where(Case.number == case_number).first()
    if case is None:
        raise NotFound(N_("There is no such case."))
    department = await Department.select(Department.name).where(Department.id == department_id).first() if department_id else None
    return Facts(
        case["number"],
        case["filer_name"],
        department["name"] if department else "",
        case["answer_due_at"],
        clock.now(),
        get_settings().time_zone,
        await working_calendar(),
    )


_COLUMNS = (
    ReplyTemplate.id,
    ReplyTemplate.name,
    ReplyTemplate.body,
    ReplyTemplate.department.as_alias("department_id"),
    ReplyTemplate.department.name.as_alias("department_name"),
    ReplyTemplate.department.name_en.as_alias("department_name_en"),
)


def _template(row: dict) -> Template:
    return Template(**{**row, "department_name": row["department_name"] or "", "department_name_en": row["department_name_en"] or ""})


async def templates_for(department_id: int | None) -> list[Template]:
    """What a department may use: the centre's templates and its own, by name."""
    condition = ReplyTemplate.department.is_null()
    if department_id is not None:
        condition = condition | (ReplyTemplate.department == department_id)
    return [_template(row) for row in await ReplyTemplate.select(*_COLUMNS).where(condition).order_by(ReplyTemplate.name)]


async def templates_of_departments(department_ids: set[int]) -> dict[int | None, list[Template]]:
    """Each department's usable templates (``templates_for``), read at once; None: the centre's alone."""
    rows = [_template(row) for row in await ReplyTemplate.select(*_COLUMNS).order_by(ReplyTemplate.name)]
    centre = [template for template in rows if template.department_id is None]
    usable: dict[int | None, list[Template]] = {None: centre}
    for department_id in department_ids:
        usable[department_id] = centre + [template for template in rows if template.department_id == department_id]
    return usable


async def editable_templates(editor: Editor) -> list[Template]:
    """Moderators: every template, the centre's first; a department's handlers: their own."""
    query = ReplyTemplate.select(*_COLUMNS).order_by(ReplyTemplate.name)
    if not editor.moderates:
        query = query.where(ReplyTemplate.department == editor.department_id)
    found = [_template(row) for row in await query]
    return sorted(found, key=lambda template: (template.department_id is not None, template.department_name))


async def editable_template(template_id: int, editor: Editor) -> Template | None:
    row = await ReplyTemplate.select(*_COLUMNS).where(ReplyTemplate.id == template_id).first()
    if row is None or not editor.may_change(row["department_id"]):
        return None
    return _template(row)


async def usable_template(template_id: int, department_id: int | None) -> Template:
    """A template this department may use on its reply, or NotFound."""
    for template in await templates_for(department_id):
        if template.id == template_id:
            return template
    raise NotFound(NO_SUCH_TEMPLATE)


def form_of(template: Template) -> TemplateForm:
    return TemplateForm(template.name, template.body, str(template.department_id or ""))


async def save_template(template_id: int | None, form: TemplateForm, editor: Editor) -> int:
    """Add a template (``template_id`` None) or change one."""
    if template_id is not None and await editable_template(template_id, editor) is None:
        raise TemplateError({"": NO_SUCH_TEMPLATE}, kind=NotFound)  # another department's: none
    if not editor.moderates and editor.department_id is None:
        raise TemplateError({"": NO_SUCH_TEMPLATE}, kind=NotFound)
    errors: dict[str, str] = {}
    name, body = clean_text(form.name), clean_text(form.body, multiline=True)
    if not 1 <= len(name) <= NAME_MAX:
        errors["name"] = N_("Give the template a name (at most 60 characters).")
    if not 10 <= len(body) <= BODY_MAX:
        errors["body"] = N_("Write the template's text (10 to 5000 characters).")
    elif unknown_placeholders(body):
        errors["body"] = N_("A placeholder is not one of those listed, or a brace stands alone: use braces only around the placeholders listed.")
    department = editor.department_id
    if editor.moderates:
        try:
            department = await chosen(Department, form.department_id)
        except ValueError:
            errors["department_id"] = CHOOSE_A_DEPARTMENT
    if errors:
        raise TemplateError(errors)
    now = clock.now()
    async with write_transaction():
        if template_id is None:
            rows = await ReplyTemplate.insert(
                ReplyTemplate(name=name, body=body, department=department, created_at=now, updated_at=now)
            ).returning(ReplyTemplate.id)
            return rows[0]["id"]
        await ReplyTemplate.update(
            {ReplyTemplate.name: name, ReplyTemplate.body: body, ReplyTemplate.department: department, ReplyTemplate.updated_at: now}
        ).where(ReplyTemplate.id == template_id)
        return template_id

