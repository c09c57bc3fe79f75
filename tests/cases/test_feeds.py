"""Atom feeds of new public cases (overall and per category, department and area) and of one
case's public timeline: valid Atom, and nothing personal in them."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import feedparser

from backend.cases import actions, workflow
from tests.cases.test_browse import publish
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR

ATOM = "{http://www.w3.org/2005/Atom}"
PERSONAL = ("王先生", "13800138000", "/follow/", "source_url")


def valid_atom(body: bytes) -> feedparser.FeedParserDict:
    """Atom 1.0 as RFC 4287 requires: the feed and each entry have an id, a title and an
    updated time; the feed an author (for entries without one) and a link to itself."""
    root = ElementTree.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    for element in (root, *root.findall(f"{ATOM}entry")):
        for required in ("id", "title", "updated"):
            assert element.find(f"{ATOM}{required}") is not None, (element.tag, required)
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


async def test_new_cases_overall_and_per_category_department_and_area(client, settings, categories, areas):
    water = categories["water"]
    handled = await publish(settings, water, area=areas["dongfeng"], department=water.department, title="东风街道停水")
    other = await publish(settings, categories["roads"], area=areas["lianchi"], title="莲池区路面塌陷")
    hidden = await file(settings, form(water, title="不公开的停水", publication="private"))
    await workflow.perform(hidden.number, "accept", MODERATOR)
    cases = {
        "": [other, handled],
        "?category=water": [handled],
        "?department=water": [handled],
        "?area=jingxiu": [handled],
        "?area=lianchi&type=complaint": [other],
    }
    for query, expected in cases.items():
        answer = await client.get(f"/cases.atom{query}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
        parsed = valid_atom(answer.content)
        assert [entry.link.rsplit("/", 1)[1] for entry in parsed.entries] == expected, query
        assert all(text not in answer.text for text in PERSONAL) and "不公开" not in answer.text
    narrowed = valid_atom((await client.get("/cases.atom?category=water&area=dongfeng")).content)
    assert "供水" in narrowed.feed.title and "东风街道" in narrowed.feed.title
    assert (await client.get("/cases.atom?category=nothing")).status_code == 400
    assert (await client.get("/cases.atom?from=someday")).status_code == 400


async def test_a_case_feed_has_its_public_timeline_only(client, settings, categories):
    client.headers["accept-language"] = "en"
    water = categories["water"]
    number = await publish(settings, water, department=water.department)
    await workflow.perform(number, "post_internal_note", MODERATOR, body="内部备注：联系王先生 13800138000")
    await workflow.perform(number, actions.Supervise(text="请尽快处理"), MODERATOR)
    answer = await client.get(f"/cases/{number}/feed")
    parsed = valid_atom(answer.content)
    titles = [entry.title for entry in parsed.entries]
    assert titles[0].startswith("Supervised") and any(title.startswith("Accepted") for title in titles)
    assert "请尽快处理" in answer.text and "内部备注" not in answer.text
    assert all(text not in answer.text for text in PERSONAL)
    assert (await client.get("/cases/2026-999999/feed")).status_code == 404
    private = await file(settings, form(water, publication="private"))
    assert (await client.get(f"/cases/{private.number}/feed")).status_code == 404
