"""Representatives and their suggestions, made through the real services."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.actions import JavaScript

from backend.accounts.services import AccountView, get_account
from backend.cases import actions, workflow
from backend.vocabulary import Role
from backend.cases.services import Actor
from backend.representatives import services as suggestions
from backend.representatives.services import SuggestionForm
from tests.people import invite

MODERATOR = Actor(Role.moderator, "")
TEXT = "案由：老城区雨污分流改造滞后，汛期多处积水。建议：分期实施改造，公布时间表，并加强排水设施养护。"


async def representative(name: str, body: str = "npc", level: str = "city", constituency: str = "竞秀区") -> AccountView:
    issued = await invite("representative", name, body=body, level=level, constituency=constituency)
    return await get_account(issued.account_id)


def suggestion_form(category, **overrides) -> SuggestionForm:
    values = {"title": "加快老城区雨污分流改造", "text": TEXT, "category_id": str(category.id), "publication": "public"}
    return SuggestionForm(**(values | overrides))


async def submitted(settings, categories, lead: AccountView, **overrides) -> str:
    case_id = await suggestions.create_draft(suggestion_form(categories["water"], **overrides), lead)
    return await suggestions.submit(case_id, lead, settings.time_zone)


def handler_of(department_id: int) -> Actor:
    return Actor(Role.handler, "市自来水公司", department_id)


async def signed(settings, categories, lead: AccountView, **overrides) -> str:
    """A submitted suggestion, accepted, assigned to the water company and signed for."""
    number = await submitted(settings, categories, lead, **overrides)
    department = categories["water"].department
    await workflow.perform(number, "accept", MODERATOR)
    await workflow.perform(number, actions.Assign(department_id=department), MODERATOR)
    await workflow.perform(number, "sign", handler_of(department))
    return number


async def answered(settings, categories, lead: AccountView, **overrides) -> str:
    """A signed suggestion, answered; the answer published."""
    number = await signed(settings, categories, lead, **overrides)
    await answer(number, categories["water"].department)
    return number


async def answer(number: str, department: int) -> None:
    entry = await workflow.perform(number, "draft_reply", handler_of(department), body="已列入明年改造计划，分三期实施，时间表已公布。")
    await workflow.review(entry, "approve", MODERATOR)


def pdf(javascript: bool = False) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if javascript:
        writer.add_open_action(JavaScript("app.alert('hello');"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
