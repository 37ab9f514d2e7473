"""The arithmetic of 述职评议考核 (reviews/scoring.py), property by property."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from reviews import scoring
from reviews.models import Classification, Component, Grade, GradeRule, IndicatorKind, MissingRule, Rating

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
    score = scoring.ballot_score(tally, points)
    assert score is None if not sum(tally.values()) else ZERO <= score <= HUNDRED


def test_ballot_score_with_the_default_points_on_a_worked_example() -> None:
    tally = {Rating.GOOD: 6, Rating.FAIR: 2, Rating.AVERAGE: 1, Rating.POOR: 1}
    # (6 × 100 + 2 × 80 + 60 + 40) ÷ 10 = 86
    assert scoring.ballot_score(tally, DEFAULT_POINTS) == Decimal("86.0")
    # Nobody voted: no score at all, never 0.
    assert scoring.ballot_score({}, DEFAULT_POINTS) is None
    assert scoring.ballot_score(Counter({Rating.GOOD: 2, Rating.FAIR: 1}), DEFAULT_POINTS) == Decimal("93.3")
    assert scoring.ballot_score(Counter({Rating.GOOD: 2, Rating.FAIR: 1}), DEFAULT_POINTS, 2) == Decimal("93.33")
    assert scoring.ballot_score(Counter({Rating.GOOD: 2, Rating.FAIR: 1}), DEFAULT_POINTS, 0) == Decimal("93")


def _ballot(tally: dict[str, int], points: dict[str, int]) -> Decimal:
    return scoring.ballot_score(tally, points) or ZERO


@given(counts, ballot_points())
def test_adding_a_good_ballot_never_lowers_the_ballot_score(tally: dict[str, int], points: dict[str, int]) -> None:
    assume(sum(tally.values()))
    more = {**tally, Rating.GOOD: tally[Rating.GOOD] + 1}
    assert _ballot(more, points) >= _ballot(tally, points)


@given(counts, ballot_points(), st.data())
def test_a_better_rating_never_lowers_the_ballot_score(
    tally: dict[str, int], points: dict[str, int], data: st.DataObject
) -> None:
    worse = data.draw(st.sampled_from([rating for rating in RATINGS[1:] if tally[rating]] or [None]))
    assume(worse is not None)
    better = data.draw(st.sampled_from(RATINGS[: RATINGS.index(worse)]))
    upgraded = {**tally, worse: tally[worse] - 1, better: tally[better] + 1}
    assert _ballot(upgraded, points) >= _ballot(tally, points)


@given(counts, ballot_points(), st.sampled_from(RATINGS))
def test_adding_a_ballot_rated_at_least_the_best_cast_never_lowers_the_score(
    tally: dict[str, int], points: dict[str, int], rating: str
) -> None:
    cast = [candidate for candidate in RATINGS if tally[candidate]]
    assume(cast and RATINGS.index(rating) <= RATINGS.index(cast[0]))
    more = {**tally, rating: tally[rating] + 1}
    assert _ballot(more, points) >= _ballot(tally, points)


# 综合得分 ---------------------------------------------------------------------


@st.composite
def weights(draw: st.DrawFn) -> dict[str, int]:
    daily = draw(st.integers(min_value=0, max_value=100))
    review = draw(st.integers(min_value=0, max_value=100 - daily))
    return {Component.DAILY: daily, Component.REVIEW: review, Component.BALLOT: 100 - daily - review}


def components(daily: Decimal | None, review: Decimal | None, ballot: Decimal | None) -> dict[str, Decimal | None]:
    return {Component.DAILY: daily, Component.REVIEW: review, Component.BALLOT: ballot}


maybe_scores = st.one_of(st.none(), scores)
rules = st.sampled_from(MissingRule.values)


def composite(values: dict[str, Decimal | None], weight: dict[str, int], rule: str = MissingRule.REDISTRIBUTE) -> Any:
    return scoring.composite(values, weight, rule=rule).composite


@given(maybe_scores, maybe_scores, maybe_scores, weights(), rules)
def test_composite_always_lies_between_0_and_100_or_is_missing(
    daily: Decimal | None, review: Decimal | None, ballot: Decimal | None, weight: dict[str, int], rule: str
) -> None:
    weighted = scoring.composite(components(daily, review, ballot), weight, rule=rule)
    if weighted.composite is not None:
        assert ZERO <= weighted.composite <= HUNDRED
        # The weights applied are those of the components with data, and add up to 100 (to rounding).
        assert set(weighted.weights) == {name for name, value in weight.items() if value} - set(weighted.missing)
        assert abs(sum(weighted.weights.values()) - HUNDRED) <= Decimal("0.2")


@given(maybe_scores, maybe_scores, maybe_scores, weights())
def test_a_missing_component_is_never_counted_as_zero(
    daily: Decimal | None, review: Decimal | None, ballot: Decimal | None, weight: dict[str, int]
) -> None:
    values = components(daily, review, ballot)
    weighted = scoring.composite(values, weight, rule=MissingRule.REDISTRIBUTE)
    present = {name: value for name, value in values.items() if value is not None and weight[name]}
    if not present:
        assert weighted.composite is None
        return
    # The composite lies between the lowest and the highest component with data, whatever is missing.
    assert scoring.rounded(min(present.values())) <= weighted.composite <= scoring.rounded(max(present.values()))
    pending = scoring.composite(values, weight, rule=MissingRule.PENDING)
    assert (pending.composite is None) == bool(weighted.missing)


def test_a_missing_components_weight_goes_to_the_others_in_proportion() -> None:
    weight = {Component.DAILY: 40, Component.REVIEW: 30, Component.BALLOT: 30}
    weighted = scoring.composite(components(Decimal("70"), Decimal("90"), None), weight, rule=MissingRule.REDISTRIBUTE)
    # 70 × 40/70 + 90 × 30/70 = 40 + 38.57…
    assert weighted.composite == Decimal("78.6")
    assert weighted.weights == {Component.DAILY: Decimal("57.1"), Component.REVIEW: Decimal("42.9")}
    assert weighted.missing == (Component.BALLOT,)
    held = scoring.composite(components(Decimal("70"), Decimal("90"), None), weight, rule=MissingRule.PENDING)
    assert (held.composite, held.weights) == (None, {})
    # A component the cycle does not weigh is not missing.
    zero = {Component.DAILY: 50, Component.REVIEW: 50, Component.BALLOT: 0}
    assert scoring.composite(components(Decimal(70), Decimal(90), None), zero, rule=MissingRule.PENDING).missing == ()


@given(scores, scores, scores, weights(), st.sampled_from(Component.values), scores)
def test_composite_never_falls_when_a_component_rises(
    daily: Decimal, review: Decimal, ballot: Decimal, weight: dict[str, int], which: str, other: Decimal
) -> None:
    values = components(daily, review, ballot)
    raised = {**values, which: max(values[which] or ZERO, other)}
    assert composite(raised, weight) >= composite(values, weight)


def test_composite_on_a_worked_example() -> None:
    weight = {Component.DAILY: 40, Component.REVIEW: 30, Component.BALLOT: 30}
    # 75 × 0.4 + 80 × 0.3 + 86 × 0.3 = 30 + 24 + 25.8
    assert composite(components(Decimal("75"), Decimal("80"), Decimal("86")), weight) == Decimal("79.8")
    exact = scoring.composite(
        components(Decimal("88.55"), Decimal("88.65"), Decimal("88.6")), weight, rule=MissingRule.REDISTRIBUTE, places=2
    )
    # 35.42 + 26.595 + 26.58 = 88.595, half up at two places; exact, never 88.59999999999999.
    assert str(exact.composite) == "88.60"


@given(scores, weights())
def test_equal_components_give_that_score_back(score: Decimal, weight: dict[str, int]) -> None:
    assert composite(components(score, score, score), weight) == scoring.rounded(score)


# 等次 -----------------------------------------------------------------------

BANDS = scoring.Bands(good=Decimal(90), fair=Decimal(80), average=Decimal(60), poor_share=Decimal("0.25"))


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ("100", Grade.GOOD),
        ("90", Grade.GOOD),
        ("89.9", Grade.FAIR),
        ("80", Grade.FAIR),
        ("79.9", Grade.AVERAGE),
        ("60", Grade.AVERAGE),
        ("59.9", Grade.POOR),
        ("0", Grade.POOR),
    ],
)
def test_grade_follows_the_bands_with_floors_included(score: str, expected: str) -> None:
    verdict = scoring.grade(Decimal(score), BANDS, poor=0, valid=10)
    assert verdict == scoring.Verdict(expected, GradeRule.BAND)


@given(maybe_scores, st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=50), st.booleans())
def test_a_veto_hit_always_makes_the_grade_poor(score: Decimal | None, poor: int, others: int, submitted: bool) -> None:
    verdict = scoring.grade(score, BANDS, vetoed=True, submitted=submitted, poor=poor, valid=poor + others)
    assert verdict == scoring.Verdict(Grade.POOR, GradeRule.VETO)


@given(maybe_scores, st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=50))
def test_a_report_never_submitted_is_poor_whatever_its_other_figures(
    score: Decimal | None, poor: int, others: int
) -> None:
    verdict = scoring.grade(score, BANDS, submitted=False, poor=poor, valid=poor + others)
    assert verdict == scoring.Verdict(Grade.POOR, GradeRule.NOT_SUBMITTED)


def test_no_composite_holds_the_grade_as_pending() -> None:
    assert scoring.grade(None, BANDS) == scoring.Verdict(Grade.PENDING, GradeRule.PENDING)


def test_poor_ballots_strictly_above_the_share_make_the_grade_poor() -> None:
    # Threshold 0.25: 3 of 10 is above it, 1 of 4 is exactly at it, 2 of 10 below.
    assert scoring.grade(HUNDRED, BANDS, poor=3, valid=10) == scoring.Verdict(Grade.POOR, GradeRule.POOR_BALLOTS)
    assert scoring.grade(HUNDRED, BANDS, poor=1, valid=4) == scoring.Verdict(Grade.GOOD, GradeRule.BAND)
    assert scoring.grade(HUNDRED, BANDS, poor=2, valid=10) == scoring.Verdict(Grade.GOOD, GradeRule.BAND)
    assert scoring.grade(HUNDRED, BANDS, poor=0, valid=0) == scoring.Verdict(Grade.GOOD, GradeRule.BAND)
    # Ballots not published (below the cycle's minimum) decide nothing.
    assert scoring.grade(HUNDRED, BANDS, poor=3, valid=3, ballots_published=False).rule == GradeRule.BAND


@given(scores, st.integers(min_value=1, max_value=300), st.data())
def test_the_poor_ballot_override_applies_exactly_above_the_share(
    score: Decimal, valid: int, data: st.DataObject
) -> None:
    poor = data.draw(st.integers(min_value=0, max_value=valid))
    verdict = scoring.grade(score, BANDS, poor=poor, valid=valid)
    if poor * 4 > valid:
        assert verdict == scoring.Verdict(Grade.POOR, GradeRule.POOR_BALLOTS)
    else:
        assert verdict.rule == GradeRule.BAND


@given(scores, scores)
def test_a_higher_score_never_earns_a_lower_grade(first: Decimal, second: Decimal) -> None:
    low, high = sorted([first, second])
    order = [Grade.POOR, Grade.AVERAGE, Grade.FAIR, Grade.GOOD]
    low_grade = scoring.grade(low, BANDS).rating
    high_grade = scoring.grade(high, BANDS).rating
    assert order.index(high_grade) >= order.index(low_grade)


# 分类定级 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "grade", "expected"),
    [
        ("95", Grade.GOOD, Classification.ADVANCED),
        ("90", Grade.GOOD, Classification.ADVANCED),
        ("89.9", Grade.FAIR, Classification.STANDARD),
        ("60", Grade.AVERAGE, Classification.STANDARD),
        ("59.9", Grade.POOR, Classification.LAGGING),
        ("59.9", Grade.AVERAGE, Classification.LAGGING),
        # A 差 grade (a veto, too many 差 ballots, no report) is 后进 whatever the score.
        ("99", Grade.POOR, Classification.LAGGING),
        (None, Grade.POOR, Classification.LAGGING),
        # A 待定 grade has no class yet.
        (None, Grade.PENDING, Classification.PENDING),
    ],
)
def test_classification_by_floors_and_poor_grade(score: str | None, grade: str, expected: str) -> None:
    value = None if score is None else Decimal(score)
    assert scoring.classify(value, grade, advanced=Decimal(90), standard=Decimal(60)) == expected


# 排名 -----------------------------------------------------------------------


def plain(values: list[Decimal]) -> list[int | None]:
    return scoring.competition_ranks([(0, value) for value in values])


def test_ties_share_a_rank_and_the_next_rank_skips() -> None:
    assert plain([Decimal("80"), Decimal("95"), Decimal("80"), Decimal("70"), Decimal("95")]) == [3, 1, 3, 5, 1]
    assert plain([]) == []
    assert plain([Decimal("80.0"), Decimal("80")]) == [1, 1]


def test_a_vetoed_organization_ranks_below_every_one_not_vetoed_and_a_pending_one_has_no_rank() -> None:
    entries = [
        (scoring.tier(GradeRule.VETO), Decimal("99")),
        (scoring.tier(GradeRule.BAND), Decimal("60")),
        (scoring.tier(GradeRule.NOT_SUBMITTED), Decimal("95")),
        None,
        (scoring.tier(GradeRule.POOR_BALLOTS), Decimal("70")),
        (scoring.tier(GradeRule.NOT_SUBMITTED), None),
    ]
    assert scoring.competition_ranks(entries) == [5, 2, 3, None, 1, 4]


@given(st.lists(scores, max_size=30), st.randoms(use_true_random=False))
def test_ranks_do_not_depend_on_the_order_given(values: list[Decimal], random: object) -> None:
    ranks = dict(zip(values, plain(values), strict=True))
    shuffled = list(values)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert dict(zip(shuffled, plain(shuffled), strict=True)) == ranks


@given(st.lists(scores, min_size=1, max_size=30))
def test_rank_is_one_plus_the_number_of_higher_scores(values: list[Decimal]) -> None:
    for value, rank in zip(values, plain(values), strict=True):
        assert rank == 1 + sum(other > value for other in values)


def test_the_default_share_means_more_than_a_third() -> None:
    bands = scoring.Bands()  # poor_share 0.333
    assert scoring.grade(HUNDRED, bands, poor=3, valid=9).rule == GradeRule.BAND
    assert scoring.grade(HUNDRED, bands, poor=1, valid=3).rule == GradeRule.BAND
    assert scoring.grade(HUNDRED, bands, poor=4, valid=11).rule == GradeRule.POOR_BALLOTS
    assert scoring.grade(HUNDRED, bands, poor=334, valid=1000).rule == GradeRule.POOR_BALLOTS


@given(st.integers(min_value=-(10**6), max_value=10**6), st.integers(min_value=0, max_value=2))
def test_rounding_is_half_up_at_the_cycles_places(hundredths: int, places: int) -> None:
    value = Decimal(hundredths) / 1000
    rounded = scoring.rounded(value, places)
    assert rounded.as_tuple().exponent == -places
    assert abs(rounded - value) <= Decimal(5).scaleb(-places - 1)
