"""Scoring a name against a search in Python, where the database has no trigram search."""

from __future__ import annotations

from rapidfuzz import fuzz


def score(query_key: str, full_key: str) -> float:
    """How much of the query the name holds (0 to 1): each query word's best match among the
    name's words, weighted by its length, in whatever order the words were typed."""
    query_words, name_words = query_key.split(), full_key.split()
    if not query_words or not name_words:
        return 0.0
    found = sum(len(w) * max(fuzz.ratio(w, n) for n in name_words) for w in query_words)
    return found / (100 * sum(len(w) for w in query_words))


def closeness(query_key: str, full_key: str) -> float:
    """How close the whole name is to the query (0 to 1); orders names that hold it equally."""
    return fuzz.token_sort_ratio(query_key, full_key) / 100
