"""Scoring names in Python: how much of the query a name holds, then how close it is."""

from __future__ import annotations

from kamkor_registry.search.scoring import closeness, score


def test_a_name_holding_the_query_scores_one_in_any_order() -> None:
    assert score("aidai adilbekov", "adilbekov aidai") == 1.0
    assert score("adilbekov", "adilbekov aidai") == 1.0


def test_a_typo_scores_below_one_and_a_stranger_far_below() -> None:
    typo = score("aidai adilbkov", "adilbekov aidai")
    stranger = score("nurlan asanov", "adilbekov aidai")
    assert 0.8 < typo < 1.0
    assert stranger < 0.6


def test_closeness_prefers_the_whole_name() -> None:
    assert closeness("adilbekov aidai", "adilbekov aidai") == 1.0
    assert closeness("adilbekov", "adilbekov aidai") < 1.0


def test_empty_keys_score_nothing() -> None:
    assert score("", "adilbekov aidai") == 0.0
    assert score("aidai", "") == 0.0
