"""Atom feeds of the public record (feedgen writes the XML): new public cases, overall or as
any filter of the public list narrows them (a category, a department, an area …), and the
public timeline of one case. Built from the public views only: no personal data can get in.
"""

from __future__ import annotations

from datetime import datetime

from feedgen.feed import FeedGenerator

from backend import clock
from backend.cases import browse
from backend.cases.services import CaseView
from backend.departments.tables import Area, Category, Department
from backend.i18n_markers import N_
from backend.web import i18n
from backend.labels import status_label
from backend.web.templating import local_name

FEED_SIZE = 50
NEW_CASES = N_("Minsheng: new public cases")
CASE_TIMELINE = N_("Minsheng: case %(number)s")
GENERATOR = "Minsheng"


def _feed(origin: str, self_path: str, page_path: str, title: str, updated: datetime) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(origin + self_path)
    feed.title(title)
    feed.author({"name": i18n.gettext(N_("Minsheng platform centre"))})
    feed.link(href=origin + self_path, rel="self", type="application/atom+xml")
    feed.link(href=origin + page_path, rel="alternate", type="text/html")
    feed.language(i18n.html_lang())
    feed.generator(GENERATOR)
    feed.updated(updated)
    return feed


async def _filter_names(case_filter: browse.CaseFilter) -> list[str]:
    """The names of the category, department and area a feed is narrowed to, as people read them."""
    names = []
    for table, slug in ((Category, case_filter.category), (Department, case_filter.department), (Area, case_filter.area)):
        if slug and (row := await table.select(table.name, table.name_en).where(table.slug == slug).first()):
            names.append(local_name(row["name"], row["name_en"]))
    return names


def _case_text(case: CaseView) -> str:
    place = " · ".join(filter(None, [case.address, local_name(case.area_name, case.area_name_en)]))
    department = local_name(case.department_name, case.department_name_en)
    facts = " · ".join(filter(None, [status_label(case.status), local_name(case.category_name, case.category_name_en), department]))
    return f"{facts}\n{place}\n\n{case.description}"


async def new_cases(origin: str, case_filter: browse.CaseFilter, self_path: str, page_path: str) -> bytes:
    """The newest public cases that match ``case_filter``. Raises ``browse.BadFilter``."""
    page = await browse.browse(case_filter, browse.Sort.newest, limit=FEED_SIZE)
    title = " · ".join([i18n.gettext(NEW_CASES), *await _filter_names(case_filter)])
    updated = page.cases[0].published_at if page.cases else clock.now()
    feed = _feed(origin, self_path, page_path, title, updated)
    for case in page.cases:
        entry = feed.add_entry(order="append")
        url = f"{origin}/cases/{case.number}"
        entry.id(url)
        entry.title(f"{case.number} {case.title}")
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(case.published_at)
        entry.updated(case.published_at)
        entry.category(term=case.category_name, label=local_name(case.category_name, case.category_name_en))
        entry.content(_case_text(case), type="text")
    return feed.atom_str(pretty=True)


async def case_timeline(origin: str, case: CaseView) -> bytes:
    """The public timeline of one public case (``services.public_case``), newest first."""
    path = f"/cases/{case.number}"
    items = sorted(case.timeline, key=lambda item: item.revealed_by, reverse=True)
    updated = max((item.created_at for item in items), default=case.updated_at)
    feed = _feed(origin, f"{path}/feed", path, i18n.gettext(CASE_TIMELINE).format(number=case.number), updated)
    feed.subtitle(case.title)
    for item in items:
        entry = feed.add_entry(order="append")
        entry.id(f"{origin}{path}#entry-{item.id}")
        entry.title(" · ".join(filter(None, [i18n.gettext(item.label), item.actor_name])))
        entry.link(href=f"{origin}{path}#entry-{item.id}", rel="alternate", type="text/html")
        entry.published(item.created_at)
        entry.updated(item.created_at)
        if item.body:
            entry.content(item.body, type="text")
    return feed.atom_str(pretty=True)
