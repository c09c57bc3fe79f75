"""``minsheng seed-demo`` adds representatives of both bodies and suggestions in every state."""

from __future__ import annotations

from backend.accounts.tables import Account
from backend.cases.tables import Case, Rating
from backend.demo import seed
from backend.representatives import services as suggestions
from backend.representatives.demo import SUGGESTIONS
from backend.representatives.tables import CoSigner, Suggestion


async def test_seed_demo_files_suggestions_in_every_state_once(settings):
    await seed()
    await seed()
    assert await Suggestion.count() == len(SUGGESTIONS)
    bodies = {row["body"] for row in await Account.select(Account.body).where(Account.role == "representative")}
    assert bodies == {"npc", "cppcc"}
    rows = await Case.select(Case.status, Case.reopened_count).where(Case.case_type == "representative")
    statuses = {row["status"] for row in rows}
    assert statuses >= {"draft", "submitted", "accepted", "assigned", "signed", "in_progress", "replied", "rated", "closed"}
    assert any(row["reopened_count"] for row in rows)  # answered again after an unsatisfied rating
    assert await CoSigner.count().where(CoSigner.signed_at.is_null()) == 1  # a draft still waits for a co-signer
    assert await Rating.count().where(Rating.outcome != "") == 2
    listed = await suggestions.public_suggestions(suggestions.Filters(), page_size=50)
    assert len(listed.page.cases) == len(SUGGESTIONS) - 2  # not the draft, not the one still submitted
    assert all(listed.facts[case.id].lead.name for case in listed.page.cases)
