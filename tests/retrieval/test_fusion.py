from __future__ import annotations

import pytest

from retrieval.fusion import (
    FusionMethod,
    fuse,
    min_max,
    ranks,
    reciprocal_rank_fusion,
    relative_score_fusion,
)


def test_min_max_scales_to_unit_range() -> None:
    assert min_max({1: 10.0, 2: 5.0, 3: 0.0}) == {1: 1.0, 2: 0.5, 3: 0.0}
    assert min_max({7: 3.0, 8: 3.0}) == {7: 1.0, 8: 1.0}
    assert min_max({}) == {}


def test_ranks_are_one_based_best_first() -> None:
    assert ranks({1: 0.2, 2: 0.9, 3: 0.5}) == {2: 1, 3: 2, 1: 3}


def test_relative_score_fusion_weights_the_normalised_lists() -> None:
    keyword = {1: 12.0, 2: 6.0, 3: 0.0}  # normalised 1.0, 0.5, 0.0
    vector = {2: 0.9, 4: 0.5, 3: 0.1}  # normalised 1.0, 0.5, 0.0
    hits = relative_score_fusion(keyword, vector, alpha=0.25)
    scores = {hit.key: hit.score for hit in hits}
    assert scores == pytest.approx({1: 0.75, 2: 0.625, 4: 0.125, 3: 0.0})
    assert [hit.key for hit in hits] == [1, 2, 4, 3]
    two = next(hit for hit in hits if hit.key == 2)
    assert (two.keyword_score, two.vector_score) == (0.5, 1.0)
    four = next(hit for hit in hits if hit.key == 4)
    assert four.keyword_score is None and four.vector_score == 0.5


def test_alpha_moves_the_ranking_between_the_lists() -> None:
    keyword = {1: 5.0, 2: 1.0}
    vector = {2: 0.8, 1: 0.2}
    assert relative_score_fusion(keyword, vector, alpha=0.0)[0].key == 1
    assert relative_score_fusion(keyword, vector, alpha=1.0)[0].key == 2
    assert reciprocal_rank_fusion(keyword, vector, alpha=0.1)[0].key == 1
    assert reciprocal_rank_fusion(keyword, vector, alpha=0.9)[0].key == 2


def test_reciprocal_rank_fusion_uses_ranks_not_scores() -> None:
    keyword = {1: 100.0, 2: 99.0, 3: 1.0}
    vector = {3: 0.99, 2: 0.98, 1: 0.01}
    hits = reciprocal_rank_fusion(keyword, vector, alpha=0.5, k=60)
    scores = {hit.key: hit.score for hit in hits}
    assert scores[2] == pytest.approx(0.5 / 62 + 0.5 / 62)
    assert scores[1] == pytest.approx(0.5 / 61 + 0.5 / 63)
    # First and last in either list tie (ties go by key) and edge out second in both.
    assert [hit.key for hit in hits] == [1, 3, 2]
    assert {hit.key: hit.keyword_score for hit in hits}[3] == 0.0


def test_ties_are_broken_by_key_and_empty_lists_fuse_to_nothing() -> None:
    hits = relative_score_fusion({5: 1.0, 3: 1.0}, {}, alpha=0.5)
    assert [hit.key for hit in hits] == [3, 5]
    assert relative_score_fusion({}, {}, alpha=0.5) == []
    assert reciprocal_rank_fusion({}, {}, alpha=0.5) == []


def test_fuse_dispatches_and_alpha_is_checked() -> None:
    keyword, vector = {1: 2.0, 2: 1.0}, {2: 0.9}
    assert fuse(FusionMethod.RELATIVE_SCORE, keyword, vector, 0.5) == relative_score_fusion(
        keyword, vector, 0.5
    )
    assert fuse(FusionMethod.RECIPROCAL_RANK, keyword, vector, 0.5) == reciprocal_rank_fusion(
        keyword, vector, 0.5
    )
    with pytest.raises(ValueError):
        relative_score_fusion(keyword, vector, alpha=1.5)
    with pytest.raises(ValueError):
        reciprocal_rank_fusion(keyword, vector, alpha=-0.1)


@pytest.mark.parametrize("method", list(FusionMethod))
def test_the_ends_of_alpha_are_one_list_alone(method: FusionMethod) -> None:
    keyword, vector = {1: 2.0, 2: 1.0}, {2: 0.9, 3: 0.8}
    words_only = fuse(method, keyword, vector, 0.0)
    assert [hit.key for hit in words_only] == [1, 2]
    assert all(hit.vector_score is None for hit in words_only)
    meaning_only = fuse(method, keyword, vector, 1.0)
    assert [hit.key for hit in meaning_only] == [2, 3]
    assert all(hit.keyword_score is None for hit in meaning_only)
