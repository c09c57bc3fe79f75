"""Hot topics (``/trends``): the categories, areas and keywords of public cases that rise, over
the last 7 or 30 days against the days before them. Read from the per-day topic counts that
``figures`` keeps as cases become public (never from the cases); keywords come from jieba's
TF-IDF keyword extraction over a case's title and description, without the words every case
has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import jieba

from backend.cases.tables import TopicCount
from backend.departments.tables import Area, Category

jieba.setLogLevel(60)  # no start-up chatter on stderr

KINDS = ("category", "area", "keyword")
WINDOWS = (7, 30)
KEYWORDS_PER_CASE = 5
TOPIC_MAX = 40  # TopicCount.topic's length
# Words of the genre rather than of the topic, which jieba's IDF table ranks too high.
STOP_WORDS = frozenset(
    "问题 希望 反映 情况 现在 目前 没有 已经 我们 你们 他们 这个 那个 一直 尽快 解决 相关 部门 处理 请问 谢谢 "
    "市民 居民 投诉 咨询 建议 领导 政府 非常 严重 多次 附近 每天 the and for with this that are was".split()
)


def keywords_of(title: str, description: str) -> list[str]:
    """The few words that say what a case is about."""
    # Imported on the first case that needs keywords, not with the app: its tables take about
    # 0.7 s of CPU to load, which every worker and command would pay at start-up for nothing.
    import jieba.analyse

    words = jieba.analyse.extract_tags(f"{title}。{title}。{description}", topK=KEYWORDS_PER_CASE * 2)
    found = [
        word.lower()
        for word in words
        if len(word) >= 2 and len(word) <= TOPIC_MAX and not word.isdigit() and word.lower() not in STOP_WORDS
    ]
    return list(dict.fromkeys(found))[:KEYWORDS_PER_CASE]


@dataclass(frozen=True)
class Topic:
    kind: str
    key: str  # a category's or area's id, or the word
    name: str
    name_en: str
    count: int  # in the last days
    before: int  # in as many days before them

    @property
    def change(self) -> int:
        return self.count - self.before


async def rising(kind: str, days: int, today: date, limit: int = 10) -> list[Topic]:
    """The topics of this kind counted more in the ``days`` up to ``today`` than in the ``days``
    before, by how much more, largest rise first."""
    since, middle = today - timedelta(days=2 * days - 1), today - timedelta(days=days - 1)
    recent = "SUM(CASE WHEN day >= {} THEN value ELSE 0 END)"
    rows = await TopicCount.raw(
        f"SELECT topic, {recent} AS count, SUM(value) - {recent} AS before FROM topic_count "
        "WHERE kind = {} AND day >= {} AND day <= {} GROUP BY topic "
        f"HAVING 2 * {recent} > SUM(value) ORDER BY 2 * {recent} - SUM(value) DESC, topic LIMIT {{}}",
        middle, middle, kind, since, today, middle, middle, limit,
    )
    names = await _names(kind, [row["topic"] for row in rows])
    return [Topic(kind, row["topic"], *names.get(row["topic"], (row["topic"], row["topic"])), row["count"], row["before"]) for row in rows]


async def _names(kind: str, keys: list[str]) -> dict[str, tuple[str, str]]:
    if kind == "keyword" or not keys:
        return {}
    table = Category if kind == "category" else Area
    rows = await table.select(table.id, table.name, table.name_en).where(table.id.is_in([int(key) for key in keys]))
    return {str(row["id"]): (row["name"], row["name_en"]) for row in rows}
