"""The arithmetic of 述职评议考核 (reviews/scoring.py), property by property."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from reviews import scoring
from reviews.models import Classification, IndicatorKind, Rating

ZERO, HUNDRED = Decimal("0"), Decimal("100")
RATINGS = [Rating.GOOD, Rating.FAIR, Rating.AVERAGE, Rating.POOR]
DEFAULT_POINTS = {Rating.GOOD: 100, Rating.FAIR: 80, Rating.AVERAGE: 60, Rating.POOR: 40}

tenths = st.integers(min_value=0, max_value=1000).map(lambda n: Decimal(n) / 10)
scores = tenths.filter(lambda value: value <= HUNDRED)
positive_points = st.integers(min_value=1, max_value=1000).map(lambda n: Decimal(n) / 10)


@st.composite
def rubrics(draw: st.DrawFn) -> tuple[list[scoring.IndicatorSpec], dict[int, list[Decimal]]]:
    """A rubric of every kind of indicator and each reviewer's points within each indicator's range."""
    reviewers = draw(st.integers(min_value=0, max_value=8))
    kinds = draw(
        st.lists(
            st.sampled_from([IndicatorKind.STANDARD, IndicatorKind.BONUS, IndicatorKind.DEDUCTION, IndicatorKind.VETO]),
            min_size=1,
            max_size=8,
        )
    )
    indicators = []
    points: dict[int, list[Decimal]] = {}
    for number, kind in enumerate(kinds, start=1):
        maximum = ZERO if kind == IndicatorKind.VETO else draw(positive_points)
        indicators.append(scoring.IndicatorSpec(id=number, kind=kind, max_points=maximum))
        within = st.integers(min_value=0, max_value=int(maximum * 10)).map(lambda n: Decimal(n) / 10)
        points[number] = draw(st.lists(within, min_size=reviewers, max_size=reviewers))
    return indicators, points


def spec(number: int, kind: str, maximum: int | str) -> scoring.IndicatorSpec:
    return scoring.IndicatorSpec(id=number, kind=kind, max_points=Decimal(maximum))


# 述职评议 ---------------------------------------------------------------------


@given(rubrics(), st.booleans())
def test_review_score_always_lies_between_0_and_100(
    rubric: tuple[list[scoring.IndicatorSpec], dict[int, list[Decimal]]], trim: bool
) -> None:
    indicators, points = rubric
    assert ZERO <= scoring.review_score(indicators, points, trim=trim) <= HUNDRED


@given(
    st.lists(st.integers(min_value=0, max_value=2000), min_size=1, max_size=5),
    st.lists(st.integers(min_value=0, max_value=2000), min_size=1, max_size=5),
)
def test_review_score_stays_in_range_even_with_points_beyond_the_rubric(standard: list[int], bonus: list[int]) -> None:
    indicators = [spec(1, IndicatorKind.STANDARD, 10), spec(2, IndicatorKind.BONUS, 5)]
    points = {1: [Decimal(n) for n in standard], 2: [Decimal(n) for n in bonus]}
    assert ZERO <= scoring.review_score(indicators, points, trim=True) <= HUNDRED


@given(rubrics(), st.booleans(), st.randoms(use_true_random=False))
def test_permuting_reviewers_never_changes_the_review_score(
    rubric: tuple[list[scoring.IndicatorSpec], dict[int, list[Decimal]]], trim: bool, random: object
) -> None:
    indicators, points = rubric
    reviewers = len(next(iter(points.values())))
    order = list(range(reviewers))
    random.shuffle(order)  # type: ignore[attr-defined]
    # The same reviewer moves to another place on every indicator at once.
    permuted = {indicator: [values[index] for index in order] for indicator, values in points.items()}
    assert scoring.review_score(indicators, permuted, trim=trim) == scoring.review_score(indicators, points, trim=trim)


@given(st.lists(tenths, min_size=0, max_size=4))
def test_trimming_does_not_apply_below_five_reviewers(points: list[Decimal]) -> None:
    assert scoring.reviewers_mean(points, trim=True) == scoring.reviewers_mean(points, trim=False)
    if points:
        assert scoring.reviewers_mean(points, trim=True) == sum(points, ZERO) / len(points)


@given(st.lists(tenths, min_size=5, max_size=12))
def test_from_five_reviewers_the_highest_and_the_lowest_are_dropped(points: list[Decimal]) -> None:
    ordered = sorted(points)
    middle = ordered[1:-1]
    assert scoring.reviewers_mean(points, trim=True) == sum(middle, ZERO) / len(middle)
    assert scoring.reviewers_mean(points, trim=False) == sum(points, ZERO) / len(points)


def test_trimmed_mean_of_five_reviewers_on_a_worked_example() -> None:
    indicators = [spec(1, IndicatorKind.STANDARD, 60), spec(2, IndicatorKind.STANDARD, 40)]
    points = {
        1: [Decimal(n) for n in (60, 50, 55, 20, 45)],  # drop 60 and 20: (50 + 55 + 45) / 3 = 50
        2: [Decimal(n) for n in (40, 30, 30, 30, 0)],  # drop 40 and 0: 30
    }
    assert scoring.review_score(indicators, points, trim=True) == Decimal("80.0")
    # Without trimming: (46 + 26) = 72.
    assert scoring.review_score(indicators, points, trim=False) == Decimal("72.0")
    four = {indicator: values[:4] for indicator, values in points.items()}
    assert scoring.review_score(indicators, four, trim=True) == scoring.review_score(indicators, four, trim=False)


def test_standard_points_scale_to_100() -> None:
    indicators = [spec(1, IndicatorKind.STANDARD, 30), spec(2, IndicatorKind.STANDARD, 20)]
    assert scoring.review_score(indicators, {1: [Decimal(30)], 2: [Decimal(10)]}, trim=False) == Decimal("80.0")
    assert scoring.review_score(indicators, {}, trim=False) == ZERO
    assert scoring.review_score([spec(1, IndicatorKind.BONUS, 5)], {1: [Decimal(5)]}, trim=False) == Decimal("5.0")


@given(tenths, tenths)
def test_bonus_counts_up_to_its_cap_only(bonus: Decimal, more: Decimal) -> None:
    indicators = [spec(1, IndicatorKind.STANDARD, 100), spec(2, IndicatorKind.BONUS, 5)]
    base = {1: [Decimal(50)]}
    score = scoring.review_score(indicators, {**base, 2: [bonus]}, trim=False)
    assert score == scoring.rounded(Decimal(50) + min(bonus, Decimal(5)))
    assert score <= Decimal("55.0")
    if bonus >= 5:
        assert scoring.review_score(indicators, {**base, 2: [bonus + more]}, trim=False) == score


@given(tenths, tenths)
def test_deduction_takes_off_at_most_its_cap(deduction: Decimal, more: Decimal) -> None:
    indicators = [spec(1, IndicatorKind.STANDARD, 100), spec(2, IndicatorKind.DEDUCTION, 10)]
    base = {1: [Decimal(50)]}
    score = scoring.review_score(indicators, {**base, 2: [deduction]}, trim=False)
    assert score == scoring.rounded(Decimal(50) - min(deduction, Decimal(10)))
    assert score >= Decimal("40.0")
    if deduction >= 10:
        assert scoring.review_score(indicators, {**base, 2: [deduction + more]}, trim=False) == score


def test_caps_add_up_over_several_bonus_items_and_the_total_stays_within_100() -> None:
    indicators = [
        spec(1, IndicatorKind.STANDARD, 100),
        spec(2, IndicatorKind.BONUS, 3),
        spec(3, IndicatorKind.BONUS, 2),
        spec(4, IndicatorKind.DEDUCTION, 4),
    ]
    points = {1: [Decimal(98)], 2: [Decimal(3)], 3: [Decimal(2)], 4: [Decimal(1)]}
    assert scoring.review_score(indicators, points, trim=False) == HUNDRED
    points = {1: [Decimal(2)], 2: [ZERO], 3: [ZERO], 4: [Decimal(4)]}
    assert scoring.review_score(indicators, points, trim=False) == ZERO


def test_veto_items_carry_no_points() -> None:
    indicators = [spec(1, IndicatorKind.STANDARD, 10), spec(2, IndicatorKind.VETO, 0)]
    assert scoring.review_score(indicators, {1: [Decimal(10)], 2: [Decimal(50)]}, trim=False) == HUNDRED


# 民主测评 ---------------------------------------------------------------------


@st.composite
def ballot_points(draw: st.DrawFn) -> dict[str, int]:
    """Points per rating, better ratings worth at least as much (what cycle settings allow)."""
    values = sorted(draw(st.lists(st.integers(min_value=0, max_value=100), min_size=4, max_size=4)), reverse=True)
    return dict(zip(RATINGS, values, strict=True))


counts = st.fixed_dictionaries({rating: st.integers(min_value=0, max_value=500) for rating in RATINGS})


@given(counts, ballot_points())
def test_ballot_score_always_lies_between_0_and_100(tally: dict[str, int], points: dict[str, int]) -> None:
    assert ZERO <= scoring.ballot_score(tally, points) <= HUNDRED


def test_ballot_score_with_the_default_points_on_a_worked_example() -> None:
    tally = {Rating.GOOD: 6, Rating.FAIR: 2, Rating.AVERAGE: 1, Rating.POOR: 1}
    # (6 × 100 + 2 × 80 + 60 + 40) ÷ 10 = 86
    assert scoring.ballot_score(tally, DEFAULT_POINTS) == Decimal("86.0")
    assert scoring.ballot_score({}, DEFAULT_POINTS) == ZERO
    assert scoring.ballot_score(Counter({Rating.GOOD: 2, Rating.FAIR: 1}), DEFAULT_POINTS) == Decimal("93.3")


@given(counts, ballot_points())
def test_adding_a_good_ballot_never_lowers_the_ballot_score(tally: dict[str, int], points: dict[str, int]) -> None:
    more = {**tally, Rating.GOOD: tally[Rating.GOOD] + 1}
    assert scoring.ballot_score(more, points) >= scoring.ballot_score(tally, points)


@given(counts, ballot_points(), st.data())
def test_a_better_rating_never_lowers_the_ballot_score(
    tally: dict[str, int], points: dict[str, int], data: st.DataObject
) -> None:
    worse = data.draw(st.sampled_from([rating for rating in RATINGS[1:] if tally[rating]] or [None]))
    assume(worse is not None)
    better = data.draw(st.sampled_from(RATINGS[: RATINGS.index(worse)]))
    upgraded = {**tally, worse: tally[worse] - 1, better: tally[better] + 1}
    assert scoring.ballot_score(upgraded, points) >= scoring.ballot_score(tally, points)


@given(counts, ballot_points(), st.sampled_from(RATINGS))
def test_adding_a_ballot_rated_at_least_the_best_cast_never_lowers_the_score(
    tally: dict[str, int], points: dict[str, int], rating: str
) -> None:
    cast = [candidate for candidate in RATINGS if tally[candidate]]
    assume(cast and RATINGS.index(rating) <= RATINGS.index(cast[0]))
    more = {**tally, rating: tally[rating] + 1}
    assert scoring.ballot_score(more, points) >= scoring.ballot_score(tally, points)


# 综合得分 ---------------------------------------------------------------------


@st.composite
def weights(draw: st.DrawFn) -> tuple[int, int, int]:
    daily = draw(st.integers(min_value=0, max_value=100))
    review = draw(st.integers(min_value=0, max_value=100 - daily))
    return daily, review, 100 - daily - review


@given(scores, scores, scores, weights())
def test_composite_always_lies_between_0_and_100(
    daily: Decimal, review: Decimal, ballot: Decimal, weight: tuple[int, int, int]
) -> None:
    assert ZERO <= scoring.composite(daily=daily, review=review, ballot=ballot, weights=weight) <= HUNDRED


@given(scores, scores, scores, weights(), st.integers(min_value=0, max_value=2), scores)
def test_composite_never_falls_when_a_component_rises(
    daily: Decimal, review: Decimal, ballot: Decimal, weight: tuple[int, int, int], which: int, other: Decimal
) -> None:
    components = [daily, review, ballot]
    raised = list(components)
    raised[which] = max(components[which], other)

    def total(values: list[Decimal]) -> Decimal:
        return scoring.composite(daily=values[0], review=values[1], ballot=values[2], weights=weight)

    assert total(raised) >= total(components)


def test_composite_on_a_worked_example() -> None:
    total = scoring.composite(daily=Decimal("75"), review=Decimal("80"), ballot=Decimal("86"), weights=(40, 30, 30))
    # 75 × 0.4 + 80 × 0.3 + 86 × 0.3 = 30 + 24 + 25.8
    assert total == Decimal("79.8")


@given(scores, weights())
def test_equal_components_give_that_score_back(score: Decimal, weight: tuple[int, int, int]) -> None:
    assert scoring.composite(daily=score, review=score, ballot=score, weights=weight) == scoring.rounded(score)


# 等次 -----------------------------------------------------------------------

BANDS = scoring.Bands(good=Decimal(90), fair=Decimal(80), average=Decimal(60), poor_share=Decimal("0.25"))


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ("100", Rating.GOOD),
        ("90", Rating.GOOD),
        ("89.9", Rating.FAIR),
        ("80", Rating.FAIR),
        ("79.9", Rating.AVERAGE),
        ("60", Rating.AVERAGE),
        ("59.9", Rating.POOR),
        ("0", Rating.POOR),
    ],
)
def test_grade_follows_the_bands_with_floors_included(score: str, expected: str) -> None:
    verdict = scoring.grade(Decimal(score), BANDS, vetoed=False, poor=0, valid=10)
    assert verdict == scoring.Grade(expected)


@given(scores, st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=50))
def test_a_veto_hit_always_makes_the_grade_poor(score: Decimal, poor: int, others: int) -> None:
    assert scoring.grade(score, BANDS, vetoed=True, poor=poor, valid=poor + others) == scoring.Grade(
        Rating.POOR, "veto"
    )


def test_poor_ballots_strictly_above_the_share_make_the_grade_poor() -> None:
    # Threshold 0.25: 3 of 10 is above it, 1 of 4 is exactly at it, 2 of 10 below.
    assert scoring.grade(HUNDRED, BANDS, vetoed=False, poor=3, valid=10) == scoring.Grade(Rating.POOR, "poor_ballots")
    assert scoring.grade(HUNDRED, BANDS, vetoed=False, poor=1, valid=4) == scoring.Grade(Rating.GOOD)
    assert scoring.grade(HUNDRED, BANDS, vetoed=False, poor=2, valid=10) == scoring.Grade(Rating.GOOD)
    assert scoring.grade(HUNDRED, BANDS, vetoed=False, poor=0, valid=0) == scoring.Grade(Rating.GOOD)


@given(scores, st.integers(min_value=1, max_value=300), st.data())
def test_the_poor_ballot_override_applies_exactly_above_the_share(
    score: Decimal, valid: int, data: st.DataObject
) -> None:
    poor = data.draw(st.integers(min_value=0, max_value=valid))
    verdict = scoring.grade(score, BANDS, vetoed=False, poor=poor, valid=valid)
    if poor * 4 > valid:
        assert verdict == scoring.Grade(Rating.POOR, "poor_ballots")
    else:
        assert verdict.reason == ""


@given(scores, scores)
def test_a_higher_score_never_earns_a_lower_grade(first: Decimal, second: Decimal) -> None:
    low, high = sorted([first, second])
    order = [Rating.POOR, Rating.AVERAGE, Rating.FAIR, Rating.GOOD]
    low_grade = scoring.grade(low, BANDS, vetoed=False, poor=0, valid=0).rating
    high_grade = scoring.grade(high, BANDS, vetoed=False, poor=0, valid=0).rating
    assert order.index(high_grade) >= order.index(low_grade)


# 分类定级 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "grade", "expected"),
    [
        ("95", Rating.GOOD, Classification.ADVANCED),
        ("90", Rating.GOOD, Classification.ADVANCED),
        ("89.9", Rating.FAIR, Classification.STANDARD),
        ("60", Rating.AVERAGE, Classification.STANDARD),
        ("59.9", Rating.POOR, Classification.LAGGING),
        ("59.9", Rating.AVERAGE, Classification.LAGGING),
        # A 差 grade (a veto or too many 差 ballots) is 后进 whatever the score.
        ("99", Rating.POOR, Classification.LAGGING),
    ],
)
def test_classification_by_floors_and_poor_grade(score: str, grade: str, expected: str) -> None:
    assert scoring.classify(Decimal(score), grade, advanced=Decimal(90), standard=Decimal(60)) == expected


# 排名 -----------------------------------------------------------------------


def test_ties_share_a_rank_and_the_next_rank_skips() -> None:
    ranks = scoring.competition_ranks([Decimal("80"), Decimal("95"), Decimal("80"), Decimal("70"), Decimal("95")])
    assert ranks == [3, 1, 3, 5, 1]
    assert scoring.competition_ranks([]) == []
    assert scoring.competition_ranks([Decimal("80.0"), Decimal("80")]) == [1, 1]


@given(st.lists(scores, max_size=30), st.randoms(use_true_random=False))
def test_ranks_do_not_depend_on_the_order_given(values: list[Decimal], random: object) -> None:
    ranks = dict(zip(values, scoring.competition_ranks(values), strict=True))
    shuffled = list(values)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert dict(zip(shuffled, scoring.competition_ranks(shuffled), strict=True)) == ranks


@given(st.lists(scores, min_size=1, max_size=30))
def test_rank_is_one_plus_the_number_of_higher_scores(values: list[Decimal]) -> None:
    for value, rank in zip(values, scoring.competition_ranks(values), strict=True):
        assert rank == 1 + sum(other > value for other in values)


def test_the_default_share_means_more_than_a_third() -> None:
    bands = scoring.Bands()  # poor_share 0.333
    assert scoring.grade(HUNDRED, bands, vetoed=False, poor=3, valid=9) == scoring.Grade(Rating.GOOD)
    assert scoring.grade(HUNDRED, bands, vetoed=False, poor=1, valid=3) == scoring.Grade(Rating.GOOD)
    assert scoring.grade(HUNDRED, bands, vetoed=False, poor=4, valid=11).reason == "poor_ballots"
    assert scoring.grade(HUNDRED, bands, vetoed=False, poor=334, valid=1000).reason == "poor_ballots"
