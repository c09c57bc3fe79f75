"""Merging on the staff case page: the form of the ``merge`` row, a typed number kept when it
is refused, the undo offered on the merged case; the filer's follow page links the original, and
the merged case's public address leads there."""

from __future__ import annotations

from backend.cases import workflow
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR


async def test_a_moderator_merges_a_duplicate_and_undoes_it(person, client, settings, categories):
    moderator = await person("moderator")
    original = await file(settings, form(categories["water"], title="小区门口路灯不亮"))
    duplicate = await file(settings, form(categories["water"], title="门口的路灯坏了好几天"))
    for filed in (original, duplicate):
        await workflow.perform(filed.number, "accept", MODERATOR)
    page = (await moderator.client.get(f"/staff/cases/{duplicate.number}")).text
    assert 'action="/staff/cases/{}/merge"'.format(duplicate.number) in page and 'name="original"' in page

    refused = await moderator.post_form(f"/staff/cases/{duplicate.number}/merge", {"original": "2026-99999x"})
    assert refused.status_code == 422
    assert "Give the number of the case this one repeats." in refused.text and 'value="2026-99999x"' in refused.text

    done = await moderator.post_form(f"/staff/cases/{duplicate.number}/merge", {"original": original.number, "body": "同一盏路灯"})
    assert done.status_code == 303
    # Off the public record: a shared link to it leads to the case it repeats.
    moved = await client.get(f"/cases/{duplicate.number}")
    assert moved.status_code == 302 and moved.headers["location"] == f"/cases/{original.number}"
    follow = (await client.get(f"/follow/{duplicate.follow_token}", headers={"accept-language": "en"})).text
    assert f'href="/cases/{original.number}"' in follow and "同一盏路灯" in follow

    original_page = (await moderator.client.get(f"/staff/cases/{original.number}")).text
    assert f'<a href="/staff/cases/{duplicate.number}">{duplicate.number}</a>' in original_page  # to find it, and undo it
    merged_page = (await moderator.client.get(f"/staff/cases/{duplicate.number}")).text
    assert f'action="/staff/cases/{duplicate.number}/unmerge"' in merged_page
    assert f'action="/staff/cases/{duplicate.number}/merge"' not in merged_page
    undone = await moderator.post_form(f"/staff/cases/{duplicate.number}/unmerge", {"body": "并非同一盏路灯"})
    assert undone.status_code == 303
    assert (await client.get(f"/cases/{duplicate.number}")).status_code == 200
