"""The arithmetic of 述职评议考核, pure and property-tested.

- Review (述职评议): per indicator the mean of the reviewers' points, dropping the
  highest and the lowest when at least five scored and the cycle says so; the
  standard indicators scale to 100; bonus and deduction sums are capped; the
  result is clamped to 0..100.
- Ballots (民主测评): Σ points × count ÷ valid ballots.
- Composite: the weighted sum of the three components (weights sum to 100).
- Grade: by bands, overridden to 差 by a veto hit or by too large a share of 差 ballots.
- Rank: competition ranking (1, 2, 2, 4) on the composite.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from reviews.models import Classification, IndicatorKind, Rating

ZERO = Decimal("0")
HUNDRED = Decimal("100")
TENTH = Decimal("0.1")
SHARE_PRECISION = Decimal("0.001")
TRIM_FROM = 5


def rounded(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def clamp(value: Decimal, low: Decimal = ZERO, high: Decimal = HUNDRED) -> Decimal:
    return max(low, min(high, value))


def reviewers_mean(points: Sequence[Decimal], *, trim: bool) -> Decimal:
    """The mean of the reviewers' points, without the highest and the lowest when trimming five or more."""
    if not points:
        return ZERO
    ordered = sorted(points)
    if trim and len(ordered) >= TRIM_FROM:
        ordered = ordered[1:-1]
    return sum(ordered, ZERO) / len(ordered)


@dataclass(frozen=True)
class IndicatorSpec:
    id: int
    kind: str
    max_points: Decimal


def review_score(
    indicators: Iterable[IndicatorSpec], points: Mapping[int, Sequence[Decimal]], *, trim: bool
) -> Decimal:
    """The 述职评议 component on 0..100 from every reviewer's points per indicator."""
    standard_max = standard = bonus = deduction = ZERO
    bonus_cap = deduction_cap = ZERO
    for indicator in indicators:
        mean = reviewers_mean(points.get(indicator.id, ()), trim=trim)
        if indicator.kind == IndicatorKind.STANDARD:
            standard_max += indicator.max_points
            standard += min(mean, indicator.max_points)
        elif indicator.kind == IndicatorKind.BONUS:
            bonus += mean
            bonus_cap += indicator.max_points
        elif indicator.kind == IndicatorKind.DEDUCTION:
            deduction += mean
            deduction_cap += indicator.max_points
    scaled = standard * HUNDRED / standard_max if standard_max else ZERO
    return rounded(clamp(scaled + min(bonus, bonus_cap) - min(deduction, deduction_cap)))


def ballot_score(counts: Mapping[str, int], points: Mapping[str, int]) -> Decimal:
    """民主测评得分: Σ points × count ÷ valid ballots (0 when nobody voted)."""
    valid = sum(counts.get(rating, 0) for rating in Rating.values)
    if not valid:
        return ZERO
    total = sum((Decimal(points[rating]) * counts.get(rating, 0) for rating in Rating.values), ZERO)
    return rounded(clamp(total / valid))


def composite(*, daily: Decimal, review: Decimal, ballot: Decimal, weights: tuple[int, int, int]) -> Decimal:
    """The weighted composite; the weights sum to 100."""
    weight_daily, weight_review, weight_ballot = weights
    total = daily * weight_daily + review * weight_review + ballot * weight_ballot
    return rounded(clamp(total / HUNDRED))


@dataclass(frozen=True)
class Bands:
    good: Decimal = Decimal("90")
    fair: Decimal = Decimal("80")
    average: Decimal = Decimal("60")
    poor_share: Decimal = Decimal("0.333")


@dataclass(frozen=True)
class Grade:
    rating: str
    reason: str = ""
    """Empty when the bands decided; otherwise which rule overrode them ("veto" or "poor_ballots")."""


def grade(score: Decimal, bands: Bands, *, vetoed: bool, poor: int, valid: int) -> Grade:
    """The grade by bands, overridden to 差 by a veto hit or by more than the set share of 差 ballots."""
    if vetoed:
        return Grade(Rating.POOR, "veto")
    # The share is compared at the setting's precision (0.1 %), so the default 0.333 means
    # "more than a third": 3 差 of 9 ballots is exactly a third and does not trigger it.
    if valid and (Decimal(poor) / valid).quantize(SHARE_PRECISION, rounding=ROUND_HALF_UP) > bands.poor_share:
        return Grade(Rating.POOR, "poor_ballots")
    if score >= bands.good:
        return Grade(Rating.GOOD)
    if score >= bands.fair:
        return Grade(Rating.FAIR)
    if score >= bands.average:
        return Grade(Rating.AVERAGE)
    return Grade(Rating.POOR)


def classify(score: Decimal, grade_rating: str, *, advanced: Decimal, standard: Decimal) -> str:
    """先进 / 达标 / 后进 by the composite; a 差 grade is always 后进."""
    if grade_rating == Rating.POOR:
        return Classification.LAGGING
    if score >= advanced:
        return Classification.ADVANCED
    if score >= standard:
        return Classification.STANDARD
    return Classification.LAGGING


def competition_ranks(scores: Sequence[Decimal]) -> list[int]:
    """Ranks in the given order, highest first, ties sharing a rank (1, 2, 2, 4)."""
    ordered = sorted(scores, reverse=True)
    first_position: dict[Decimal, int] = {}
    for position, score in enumerate(ordered, start=1):
        first_position.setdefault(score, position)
    return [first_position[score] for score in scores]
