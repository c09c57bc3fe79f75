"""Recording a callback (回访) through the JSON API, as the 12345 hotline's own system would:
the action's route, derived from the transition table like every other."""

from __future__ import annotations

from backend.cases.tables import Callback, Case
from tests.cases.test_callbacks import answered
from tests.keys import bearer


async def test_a_system_records_a_callback_through_the_api(client, api_key, settings, categories):
    number, _ = await answered(settings, categories, "hotline")
    headers = bearer(await api_key("moderator"))
    url = f"/api/v1/staff/cases/{number}/actions/record_callback"
    bad = await client.post(url, json={"satisfaction": "satisfied"}, headers=headers)
    assert bad.status_code == 422
    response = await client.post(url, json={"satisfaction": "basically_satisfied", "solved": "yes", "text": "电话回访"}, headers=headers)
    assert response.status_code in (200, 201), response.text
    assert (await Callback.select(Callback.satisfaction, Callback.solved).first()) == {"satisfaction": "basically_satisfied", "solved": "yes"}
    unsatisfied = await client.post(url, json={"satisfaction": "unsatisfied", "solved": "no"}, headers=headers)
    assert unsatisfied.status_code == 409  # once per answer
    assert (await Case.select(Case.status).where(Case.number == number).first())["status"] == "replied"
