"""The questions a category asks of every filing in it (Open311 calls them a service's
attributes): admins write them on the category's page; the report form, the JSON API and
Open311 ask them; answers are checked here and kept with the case.

Plain Python over the tables; knows nothing of HTTP. Every change is audit-logged.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

from backend import clock
from backend.accounts import audit
from backend.accounts.audit import AuditAction, Who
from backend.departments.services import OrganisationError
from backend.departments.tables import Category, CategoryQuestion
from backend.i18n_markers import N_
from backend.text import clean_text
from backend.errors import NotFound

CODE_PATTERN = re.compile(r"[a-z0-9_]{1,40}")
QUESTION_MAX = 200
ANSWER_MAX = 1000
MAX_QUESTIONS = 20


class Datatype(str, enum.Enum):
    """Open311's datatypes of an attribute."""

    string = "string"
    number = "number"
    datetime = "datetime"
    text = "text"
    singlevaluelist = "singlevaluelist"
    multivaluelist = "multivaluelist"


DATATYPE_LABELS = {
    Datatype.string: N_("A short text"),
    Datatype.number: N_("A number"),
    Datatype.datetime: N_("A date and time"),
    Datatype.text: N_("A longer text"),
    Datatype.singlevaluelist: N_("One choice from a list"),
    Datatype.multivaluelist: N_("Any choices from a list"),
}
LISTS = (Datatype.singlevaluelist, Datatype.multivaluelist)


@dataclass(frozen=True)
class Choice:
    key: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Question:
    id: int
    category_id: int
    code: str
    description: str
    description_en: str
    datatype: str
    required: bool
    position: int
    choices: list[Choice]


@dataclass
class QuestionForm:
    code: str = ""
    description: str = ""
    description_en: str = ""
    datatype: str = Datatype.string.value
    required: str = ""  # a checkbox: "yes" when ticked
    position: str = "0"
    choices: str = ""  # one a line: key=name or key=name=English name


def _choices(text: str) -> list[Choice]:
    found = []
    for line in text.splitlines():
        parts = [clean_text(part) for part in line.split("=")]
        if parts and parts[0]:
            name = parts[1] if len(parts) > 1 and parts[1] else parts[0]
            found.append(Choice(parts[0], name, parts[2] if len(parts) > 2 else ""))
    return found


_COLUMNS = (
    CategoryQuestion.id,
    CategoryQuestion.category.as_alias("category_id"),
    CategoryQuestion.code,
    CategoryQuestion.description,
    CategoryQuestion.description_en,
    CategoryQuestion.datatype,
    CategoryQuestion.required,
    CategoryQuestion.position,
    CategoryQuestion.choices,
)


async def questions_by_category(category_ids: list[int] | None = None) -> dict[int, list[Question]]:
    """Each category's questions in the admins' order (every category's, without ids)."""
    query = CategoryQuestion.select(*_COLUMNS)
    if category_ids is not None:
        query = query.where(CategoryQuestion.category.is_in(category_ids or [0]))
    found: dict[int, list[Question]] = {}
    for row in await query.order_by(CategoryQuestion.position).order_by(CategoryQuestion.id):
        found.setdefault(row["category_id"], []).append(Question(**{**row, "choices": _choices(row["choices"])}))
    return found


async def questions_of(category_id: int) -> list[Question]:
    return (await questions_by_category([category_id])).get(category_id, [])


def question_form(question: Question) -> QuestionForm:
    return QuestionForm(
        code=question.code,
        description=question.description,
        description_en=question.description_en,
        datatype=question.datatype,
        required="yes" if question.required else "",
        position=str(question.position),
        choices="\n".join(f"{c.key}={c.name}" + (f"={c.name_en}" if c.name_en else "") for c in question.choices),
    )


def _values(form: QuestionForm) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    code = clean_text(form.code)
    if not CODE_PATTERN.fullmatch(code):
        errors["code"] = N_("Give a code of 1 to 40 small letters, digits or _.")
    description, description_en = clean_text(form.description), clean_text(form.description_en)
    if not 1 <= len(description) <= QUESTION_MAX or len(description_en) > QUESTION_MAX:
        errors["description"] = N_("Write the question (at most 200 characters).")
    if form.datatype not in Datatype.__members__:
        errors["datatype"] = N_("Choose what kind of answer it takes.")
    choices = _choices(form.choices)
    if form.datatype in LISTS and not choices:
        errors["choices"] = N_("A list needs its choices, one a line: key=name.")
    if len({choice.key for choice in choices}) != len(choices):
        errors["choices"] = N_("Each choice needs a key of its own.")
    position = clean_text(form.position) or "0"
    if not (position.isascii() and position.isdigit() and len(position) <= 4):
        errors["position"] = N_("Give the position as a whole number from 0 to 9999.")
        position = "0"
    values = {
        CategoryQuestion.code: code,
        CategoryQuestion.description: description,
        CategoryQuestion.description_en: description_en,
        CategoryQuestion.datatype: form.datatype,
        CategoryQuestion.required: form.required == "yes",
        CategoryQuestion.position: int(position),
        CategoryQuestion.choices: "\n".join(f"{c.key}={c.name}" + (f"={c.name_en}" if c.name_en else "") for c in choices)
        if form.datatype in LISTS
        else "",
    }
    return values, errors


async def _code_taken(category_id: int, code: str, own_id: int | None) -> bool:
    query = CategoryQuestion.exists().where(CategoryQuestion.category == category_id, CategoryQuestion.code == code)
    return await (query.where(CategoryQuestion.id != own_id) if own_id else query)


async def save_question(
    category_id: int, question_id: int | None, form: QuestionForm, *, actor: Who, client_address: str = ""
) -> None:
    """Add a question to a category (``question_id`` None) or change one of its questions."""
    name = await Category.select(Category.name).where(Category.id == category_id).first()
    if name is None:
        raise OrganisationError({"": N_("There is no such category.")}, NotFound)
    if question_id is not None and not await CategoryQuestion.exists().where(
        CategoryQuestion.id == question_id, CategoryQuestion.category == category_id
    ):
        raise OrganisationError({"": N_("There is no such question.")}, NotFound)
    values, errors = _values(form)
    if not errors and await _code_taken(category_id, values[CategoryQuestion.code], question_id):
        errors["code"] = N_("Another question of this category has this code.")
    if question_id is None and await CategoryQuestion.count().where(CategoryQuestion.category == category_id) >= MAX_QUESTIONS:
        errors[""] = N_("A category asks at most 20 questions.")
    if errors:
        raise OrganisationError(errors)
    if question_id is None:
        await CategoryQuestion.insert(CategoryQuestion(category=category_id, **{column._meta.name: value for column, value in values.items()}))
    else:
        await CategoryQuestion.update(values).where(CategoryQuestion.id == question_id)
    detail = f"{name['name']}: {'+' if question_id is None else '~'} {values[CategoryQuestion.code]} ({values[CategoryQuestion.description]})"
    await audit.record(AuditAction.category_changed, actor=actor, detail=detail, client_address=client_address)


async def remove_question(category_id: int, question_id: int, *, actor: Who, client_address: str = "") -> None:
    """The answers already given stay with their cases, with the question as it was asked."""
    row = await CategoryQuestion.select(CategoryQuestion.code, CategoryQuestion.category.name.as_alias("category_name")).where(
        CategoryQuestion.id == question_id, CategoryQuestion.category == category_id
    ).first()
    if row is None:
        raise OrganisationError({"": N_("There is no such question.")}, NotFound)
    await CategoryQuestion.delete().where(CategoryQuestion.id == question_id)
    await audit.record(
        AuditAction.category_changed, actor=actor, detail=f"{row['category_name']}: - {row['code']}", client_address=client_address
    )


@dataclass(frozen=True)
class Answer:
    code: str
    question: str
    value: str  # a list's keys, comma separated


@dataclass
class CheckedAnswers:
    answers: list[Answer] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # "answer_<code>" → message


def check_answers(questions: list[Question], given: dict[str, list[str]], *, required: bool = True) -> CheckedAnswers:
    """The answers to ``questions`` among ``given`` (code → the values sent; empty ones count as
    not sent); answers to no question are ignored. ``required=False``: staff recording a call
    may leave required questions out."""
    checked = CheckedAnswers()
    for question in questions:
        values = [clean_text(value, multiline=question.datatype == Datatype.text) for value in given.get(question.code, [])]
        values = [value for value in values if value]
        name = f"answer_{question.code}"
        if not values:
            if question.required and required:
                checked.errors[name] = N_("Answer this question.")
            continue
        keys = {choice.key for choice in question.choices}
        if question.datatype != Datatype.multivaluelist and len(values) > 1:
            checked.errors[name] = N_("Give one answer to this question.")
        elif any(len(value) > ANSWER_MAX for value in values):
            checked.errors[name] = N_("This answer is too long (at most 1000 characters).")
        elif question.datatype == Datatype.number and not _is_number(values[0]):
            checked.errors[name] = N_("Give a number.")
        elif question.datatype == Datatype.datetime and not _is_datetime(values[0]):
            checked.errors[name] = N_("Give a date and time from 1970 to 2999, such as 2026-05-01T09:30+08:00.")
        elif question.datatype in LISTS and not set(values) <= keys:
            checked.errors[name] = N_("Choose from the list.")
        else:
            checked.answers.append(Answer(question.code, question.description, ",".join(dict.fromkeys(values))))
    return checked


def _is_number(value: str) -> bool:
    try:
        return abs(float(value)) < 1e15
    except ValueError:
        return False


def _is_datetime(value: str) -> bool:
    try:
        clock.typed_day(datetime.fromisoformat(value.replace("Z", "+00:00")).date())
    except ValueError:
        return False
    return True

