"""The arithmetic of 述职评议考核, pure and property-tested.

- Review (述职评议): per indicator the mean of the reviewers' points, dropping the
  highest and the lowest when at least five scored and the cycle says so; the
  standard indicators scale to 100; bonus and deduction sums are capped; the
  result is clamped to 0..100. No reviewer: no review score (None), never 0.
- Ballots (民主测评): Σ points × count ÷ valid ballots.
- Daily (日常考核): the committee's own score when it set one; otherwise the list's completion rate,
  blended with the year's organizational life when the cycle gives it a share: life = the share of the
  required meetings held × 100, less the cycle's deduction per period met late and per period missed,
  clamped to 0..100. Either part without data leaves the other alone, never a 0.
- Composite: the weighted sum of the components that have data. A component
  without data is never counted as 0: the cycle's missing rule either shares
  its weight among the others in proportion or holds the grade as 待定.
- Grade, by the first rule that applies: a veto hit → 差; a report never
  submitted → 差; more than the set share of 差 ballots (when the ballots are
  published) → 差; no composite → 待定; otherwise the bands.
- Rank: competition ranking (1, 2, 2, 4) on the composite within tiers: every
  organization not vetoed and submitted, then those that never submitted, then
  the vetoed; a 待定 grade has no rank.
- Every figure is an exact Decimal rounded half up to the cycle's places.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from reviews.models import Classification, Grade, GradeRule, IndicatorKind, MissingRule, Rating

ZERO = Decimal("0")
HUNDRED = Decimal("100")
SHARE_PRECISION = Decimal("0.001")
TRIM_FROM = 5


def rounded(value: Decimal, places: int = 1) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


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
    indicators: Iterable[IndicatorSpec], points: Mapping[int, Sequence[Decimal]], *, trim: bool, places: int = 1
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
    return rounded(clamp(scaled + min(bonus, bonus_cap) - min(deduction, deduction_cap)), places)


def ballot_score(counts: Mapping[str, int], points: Mapping[str, int], places: int = 1) -> Decimal | None:
    """民主测评得分: Σ points × count ÷ valid ballots; None when nobody voted."""
    valid = sum(counts.get(rating, 0) for rating in Rating.values)
    if not valid:
        return None
    total = sum((Decimal(points[rating]) * counts.get(rating, 0) for rating in Rating.values), ZERO)
    return rounded(clamp(total / valid), places)


@dataclass(frozen=True)
class Weighted:
    """A composite and the weights it was made with (percent per component that had data)."""

    composite: Decimal | None
    weights: dict[str, Decimal]
    missing: tuple[str, ...]
    """Components with a weight but no data."""


def composite(
    components: Mapping[str, Decimal | None], weights: Mapping[str, int], *, rule: str, places: int = 1
) -> Weighted:
    """The weighted composite of the components with data (weights sum to 100), by the cycle's missing rule.

    REDISTRIBUTE: a missing component's weight goes to the others in proportion to theirs.
    PENDING: any missing component leaves no composite (the grade is then 待定).
    """
    present = {name: weight for name, weight in weights.items() if weight and components.get(name) is not None}
    missing = tuple(name for name, weight in weights.items() if weight and components.get(name) is None)
    total_weight = sum(present.values())
    if not total_weight or (missing and rule == MissingRule.PENDING):
        return Weighted(None, {}, missing)
    total = sum((Decimal(components[name] or 0) * weight for name, weight in present.items()), ZERO)
    applied = {name: rounded(Decimal(weight) * HUNDRED / total_weight, 1) for name, weight in present.items()}
    return Weighted(rounded(clamp(total / total_weight), places), applied, missing)


@dataclass(frozen=True)
class Bands:
    good: Decimal = Decimal("90")
    fair: Decimal = Decimal("80")
    average: Decimal = Decimal("60")
    poor_share: Decimal = Decimal("0.333")


@dataclass(frozen=True)
class Verdict:
    rating: str
    rule: str


def grade(
    score: Decimal | None,
    bands: Bands,
    *,
    vetoed: bool = False,
    submitted: bool = True,
    poor: int = 0,
    valid: int = 0,
    ballots_published: bool = True,
) -> Verdict:
    """The grade and the rule that decided it (see the module's docstring for their order)."""
    if vetoed:
        return Verdict(Grade.POOR, GradeRule.VETO)
    if not submitted:
        return Verdict(Grade.POOR, GradeRule.NOT_SUBMITTED)
    # The share is compared at the setting's precision (0.1 %), so the default 0.333 means
    # "more than a third": 3 差 of 9 ballots is exactly a third and does not trigger it.
    if (
        ballots_published
        and valid
        and (Decimal(poor) / valid).quantize(SHARE_PRECISION, rounding=ROUND_HALF_UP) > bands.poor_share
    ):
        return Verdict(Grade.POOR, GradeRule.POOR_BALLOTS)
    if score is None:
        return Verdict(Grade.PENDING, GradeRule.PENDING)
    if score >= bands.good:
        return Verdict(Grade.GOOD, GradeRule.BAND)
    if score >= bands.fair:
        return Verdict(Grade.FAIR, GradeRule.BAND)
    if score >= bands.average:
        return Verdict(Grade.AVERAGE, GradeRule.BAND)
    return Verdict(Grade.POOR, GradeRule.BAND)


def classify(score: Decimal | None, grade_rating: str, *, advanced: Decimal, standard: Decimal) -> str:
    """先进 / 达标 / 后进 by the composite; a 差 grade is always 后进, a 待定 grade stays 待定."""
    if grade_rating == Grade.POOR:
        return Classification.LAGGING
    if grade_rating == Grade.PENDING or score is None:
        return Classification.PENDING
    if score >= advanced:
        return Classification.ADVANCED
    if score >= standard:
        return Classification.STANDARD
    return Classification.LAGGING


def tier(rule: str) -> int:
    """Ranking tiers: those not vetoed who submitted, then those who never submitted, then the vetoed."""
    if rule == GradeRule.VETO:
        return 2
    if rule == GradeRule.NOT_SUBMITTED:
        return 1
    return 0


def competition_ranks(entries: Sequence[tuple[int, Decimal | None] | None]) -> list[int | None]:
    """Ranks in the given order for (tier, composite) entries, lower tiers first and the highest composite first
    within a tier, equal entries sharing a rank (1, 2, 2, 4); an entry of None (a 待定 grade) has no rank."""
    # Within a tier a missing composite sorts after every number.
    keys = [
        None if entry is None else (entry[0], -(Decimal(-1) if entry[1] is None else entry[1])) for entry in entries
    ]
    ordered = sorted(key for key in keys if key is not None)
    first_position: dict[tuple[int, Decimal], int] = {}
    for position, key in enumerate(ordered, start=1):
        first_position.setdefault(key, position)
    return [None if key is None else first_position[key] for key in keys]


def life_score(
    *,
    required: int,
    held: int,
    late: int,
    missed: int,
    late_deduction: Decimal,
    missed_deduction: Decimal,
) -> Decimal | None:
    """组织生活 out of 100: the required meetings held (at most all of them) as a share, less the deductions;
    None when nothing was required (no data, never 0)."""
    if required <= 0:
        return None
    held_share = Decimal(min(held, required)) * HUNDRED / Decimal(required)
    return clamp(held_share - late * late_deduction - missed * missed_deduction)


def daily_blend(completion: Decimal | None, life: Decimal | None, share: int, places: int = 1) -> Decimal | None:
    """The daily score from the list's completion and the year's organizational life: SHARE percent of it is
    life; a part without data leaves the other whole."""
    if life is None or share <= 0:
        return None if completion is None else rounded(completion, places)
    if completion is None:
        return rounded(life, places)
    return rounded((completion * (HUNDRED - share) + life * share) / HUNDRED, places)
