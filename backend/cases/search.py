"""Full-text search of public cases, in Chinese and English, on an index in the database.

Chinese has no spaces between words, so the public text of a case (title, description as
published after redaction, address) is cut into words by jieba in search mode (long words and
the shorter words inside them) plus every pair of neighbouring Chinese characters, so that any
two-character word is found wherever it occurs, however jieba cut the sentence around it. The
words, separated by spaces, go into ``case_search``; SQLite's FTS5 table over it and
PostgreSQL's GIN index on its ``to_tsvector('simple', …)`` do the rest (see the migration).
A query is cut the same way (accurate mode: whole words) and a case matches when it has every
word of the query.

The index is written in the transaction that publishes a case or edits its public text, by
``on_public_text_changed`` (a listener of ``workflow.perform``'s event); ``index_cases``
(re)builds it for cases written some other way.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import jieba
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.query import WhereRaw

from backend.cases.tables import Case, CaseSearch
from backend.db import engine
from backend.events import PublicTextChanged
from backend.settings import get_settings

_CHINESE_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")
QUERY_WORDS_MAX = 12  # a longer query adds little and costs a word lookup each


def load(data_dir: Path) -> None:
    """Load jieba's dictionary now (about a second) rather than on the first search; its cache
    file lives in the data directory, not in a shared /tmp."""
    data_dir.mkdir(parents=True, exist_ok=True)
    jieba.dt.tmp_dir = str(data_dir)
    jieba.initialize()


def _jieba() -> jieba.Tokenizer:
    """The tokenizer, loaded (in processes that did not load it at start-up, such as commands)."""
    if not jieba.dt.initialized:
        load(get_settings().data_dir)
    return jieba.dt


def _word(token: str) -> str | None:
    """A token that carries meaning (letters or digits), lower-cased; punctuation and spaces are none."""
    token = token.strip().lower()
    return token if any(ch.isalnum() for ch in token) else None


def words_of(text: str) -> list[str]:
    """The words a text is found by, each once."""
    words = dict.fromkeys(filter(None, map(_word, _jieba().cut_for_search(text))))
    for run in _CHINESE_RUN.findall(text):
        words.update(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
    return list(words)


def query_words(query: str) -> list[str]:
    """The words a case must have to match ``query``."""
    return list(dict.fromkeys(filter(None, map(_word, _jieba().cut(query)))))[:QUERY_WORDS_MAX]


async def on_public_text_changed(changed: set[PublicTextChanged]) -> None:
    """Listener (before commit): write the public words of the cases, as published."""
    await index_cases(sorted({event.case_id for event in changed}))


async def index_cases(case_ids: list[int]) -> None:
    """(Re)write the words of these cases: the public ones are indexed, the others dropped."""
    rows = await Case.select(Case.id, Case.title, Case.description, Case.address).where(
        Case.id.is_in(case_ids), Case.published_at.is_not_null()
    ) if case_ids else []
    public = {row["id"] for row in rows}
    if gone := [case_id for case_id in case_ids if case_id not in public]:
        await CaseSearch.delete().where(CaseSearch.case.is_in(gone))
    for row in rows:
        words = " ".join(words_of("\n".join((row["title"], row["description"], row["address"]))))
        await CaseSearch.raw(
            'INSERT INTO case_search ("case", words) VALUES ({}, {}) '
            'ON CONFLICT ("case") DO UPDATE SET words = excluded.words',
            row["id"],
            words,
        )




async def _few_matches(in_id_order: bool = False) -> int:
    """How many matches are few among the cases there are. A page of a search either lists
    the matching cases and sorts them (work grows with the matches, m), or reads the cases in
    the list's order and looks each up in the index until the page is full (work grows with
    N / m for N cases; a lookup costs a few times a listed match): the two cost about the same
    when m is near sqrt(70 N), some 8,000 of a million cases, so a page never costs much more.
    A list in the order of the cases' ids (the staff search) reads the set of the matches' ids
    in that order and sorts nothing: a listed match costs some 3 µs against 100 µs a lookup,
    and its pages are of 25, so there m is near sqrt(850 N), some 29,000 of a million
    (measured on SQLite at 100,000 and 1,000,000 cases: ``bench/scale.py``)."""
    last = await Case.select(Case.id).order_by(Case.id, ascending=False).first()
    return max(200, math.isqrt((850 if in_id_order else 70) * (last["id"] if last else 0)))


async def matching(words: list[str], in_id_order: bool = False) -> WhereRaw:
    """A condition on ``cases``: the case has every one of ``words`` (from ``query_words``).
    ``in_id_order``: for a list in the order of the cases' ids (``_few_matches``)."""
    if isinstance(engine(), SQLiteEngine):
        # Each word a quoted FTS5 string, side by side: all of them must match.
        match = " ".join(_fts_string(word) for word in words)
        if await _few(match, in_id_order):
            return WhereRaw(
                'cases.id IN (SELECT cs."case" FROM case_search_fts JOIN case_search cs ON cs.id = case_search_fts.rowid '
                "WHERE case_search_fts MATCH {})",
                match,
            )
        # FTS5 answers a MATCH for one rowid with a seek in its word lists.
        return WhereRaw(
            'EXISTS (SELECT 1 FROM case_search cs, case_search_fts WHERE cs."case" = cases.id '
            "AND case_search_fts.rowid = cs.id AND case_search_fts MATCH {})",
            match,
        )
    return WhereRaw(
        "cases.id IN (SELECT cs.\"case\" FROM case_search cs "
        "WHERE to_tsvector('simple', cs.words) @@ plainto_tsquery('simple', {}))",
        " ".join(words),
    )


async def _few(match: str, in_id_order: bool) -> bool:
    few = await _few_matches(in_id_order)
    found = await CaseSearch.raw(
        f"SELECT count(*) AS found FROM (SELECT rowid FROM case_search_fts WHERE case_search_fts MATCH {{}} LIMIT {few})", match
    )
    return found[0]["found"] < few


async def most_alike(words: list[str], limit: int = 50) -> list[int]:
    """The ids of cases that share the most telling of ``words`` with them, best first."""
    return await ranked("case_search", '"case"', words, limit)


async def ranked(index: str, key: str, words: list[str], limit: int) -> list[int]:
    """The ``key`` column's values of the rows of ``index`` (a table of words with its full-text
    index, ``db.word_search_sql``) that share the most telling of ``words``, best first. Single
    Chinese characters (的, 了, 在 …) tell too little to count."""
    words = [word for word in words if len(word) > 1 or word.isascii()]
    if not words:
        return []
    if isinstance(engine(), SQLiteEngine):
        rows = await CaseSearch.raw(
            f"SELECT ws.{key} AS found FROM {index}_fts JOIN {index} ws ON ws.id = {index}_fts.rowid "
            f"WHERE {index}_fts MATCH {{}} ORDER BY bm25({index}_fts) LIMIT {{}}",
            " OR ".join(_fts_string(word) for word in words),
            limit,
        )
    else:
        rows = await CaseSearch.raw(
            f"SELECT ws.{key} AS found FROM {index} ws, to_tsquery('simple', {{}}) query "
            "WHERE to_tsvector('simple', ws.words) @@ query "
            "ORDER BY ts_rank(to_tsvector('simple', ws.words), query) DESC LIMIT {}",
            " | ".join("'" + word.replace("'", "''").replace("\\", "") + "'" for word in words),
            limit,
        )
    return [row["found"] for row in rows]


def _fts_string(word: str) -> str:
    """A word as an FTS5 string: quoted, its quotes doubled (no FTS5 syntax gets through)."""
    return '"' + word.replace('"', '""') + '"'
