"""Closing a cycle over any mix of missing reports, scores and ballots (reviews.services.cycle_close).

For every mix hypothesis draws, closing either refuses and names the gaps that need a reason, changing
nothing, or gives every organization a result that follows the rules the cycle states: a component with
no data is never 0, the first rule that applies decides the grade and is named, the vetoed rank last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviews import services
from reviews.models import (
    Cycle,
    DutyReport,
    GapKind,
    Grade,
    GradeRule,
    IndicatorKind,
    MissingRule,
    Rating,
    Result,
    ReviewerAssignment,
)
from tests.conftest import Tree
from tests.reviews.conftest import make_codes


@dataclass(frozen=True)
class Plan:
    """What one organization brings to the closing."""

    submitted: bool
    reviewers: int
    veto: bool
    ballots: tuple[str, ...]
    daily: int | None


plans = st.builds(
    Plan,
    submitted=st.booleans(),
    reviewers=st.integers(min_value=0, max_value=3),
    veto=st.booleans(),
    ballots=st.lists(st.sampled_from(Rating.values), max_size=7).map(tuple),
    daily=st.one_of(st.none(), st.integers(min_value=0, max_value=100)),
)


def _prepare(cycle: Cycle, tree: Tree, people: SimpleNamespace, drawn: list[Plan]) -> dict[int, Plan]:
    reviewers = [people.committee_member, people.committee_deputy, people.committee_staff]
    indicators = list(cycle.indicators.all())
    by_org: dict[int, Plan] = {}
    for organization, plan in zip((tree.branch, tree.branch_sibling, tree.direct_branch), drawn, strict=True):
        by_org[organization.pk] = plan
        report = DutyReport.objects.get(cycle=cycle, organization=organization)
        if plan.daily is not None:
            services.report_comment_save(
                report=report, comment="", daily_score=plan.daily, daily_reason="督查", by=people.committee_secretary
            )
        codes = make_codes(cycle, organization, len(plan.ballots), people) if plan.ballots else []
        for code, rating in zip(codes, plan.ballots, strict=True):
            services.ballot_cast(code=code, rating=rating)
        if not plan.submitted:
            continue
        report.refresh_from_db()
        sections = {title: f"<p>{title}</p>" for title in cycle.section_titles()}
        services.report_save(report=report, sections=sections, revision=report.revision, by=people.admin)
        services.report_submit(report=report, by=people.admin)
        for number, reviewer in enumerate(reviewers[: plan.reviewers]):
            assignment, _created = ReviewerAssignment.objects.get_or_create(report=report, reviewer=reviewer)
            entries: dict[int, dict[str, Any]] = {}
            for indicator in indicators:
                if indicator.kind == IndicatorKind.STANDARD:
                    entries[indicator.pk] = {"points": indicator.max_points * (number + 1) / 4}
                elif indicator.kind == IndicatorKind.VETO:
                    entries[indicator.pk] = {"vetoed": plan.veto and number == 0}
            services.scores_save(assignment=assignment, entries=entries, comment="", by=reviewer)
            services.scores_submit(assignment=assignment, by=reviewer)
    return by_org


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    drawn=st.lists(plans, min_size=3, max_size=3),
    rule=st.sampled_from(MissingRule.values),
    window_over=st.booleans(),
    explain=st.booleans(),
)
def test_closing_refuses_with_its_gaps_or_grades_by_the_stated_rules(
    tree: Tree,
    people: SimpleNamespace,
    open_cycle: Cycle,
    drawn: list[Plan],
    rule: str,
    window_over: bool,
    explain: bool,
) -> None:
    with transaction.atomic():
        Cycle.objects.filter(pk=open_cycle.pk).update(missing_rule=rule)
        cycle = Cycle.objects.get(pk=open_cycle.pk)
        plan_of = _prepare(cycle, tree, people, drawn)
        if window_over:
            Cycle.objects.filter(pk=cycle.pk).update(ballot_closes=timezone.localdate() - timedelta(days=1))
        cycle = Cycle.objects.get(pk=cycle.pk)
        gaps = services.closing_gaps(cycle)
        needing = {gap.key for gap in gaps if gap.needs_reason}
        expected_needing = {
            f"few_reviewers:{org}" for org, plan in plan_of.items() if plan.submitted and plan.reviewers < 3
        }
        if not window_over:
            expected_needing.add("ballots_open:cycle")
        assert needing == expected_needing
        reasons = dict.fromkeys(needing, "说明") if explain else {}

        if needing and not explain:
            with pytest.raises(services.ClosingRefused) as refused:
                services.cycle_close(cycle=cycle, by=people.committee_secretary, reasons=reasons)
            assert {gap.key for gap in refused.value.gaps} == needing
            assert Cycle.objects.get(pk=cycle.pk).status == Cycle.Status.OPEN
            assert not Result.objects.filter(report__cycle=cycle).exists()
        else:
            services.cycle_close(cycle=cycle, by=people.committee_secretary, reasons=reasons)
            _check_results(Cycle.objects.get(pk=cycle.pk), plan_of)
        transaction.set_rollback(True)


def _check_results(cycle: Cycle, plan_of: dict[int, Plan]) -> None:
    results = list(Result.objects.filter(report__cycle=cycle).select_related("report"))
    assert len(results) == 3
    for result in results:
        plan = plan_of[result.report.organization_id]
        vetoed = plan.submitted and plan.reviewers > 0 and plan.veto
        published = len(plan.ballots) >= cycle.min_ballots
        # A component with no data is None, never 0.
        assert (result.daily_score is None) == (plan.daily is None)
        assert (result.review_score is None) == (not plan.submitted or plan.reviewers == 0)
        assert (result.ballot_score is None) == (not published)
        assert result.ballots_published == published
        present = [
            value for value in (result.daily_score, result.review_score, result.ballot_score) if value is not None
        ]
        missing = len(present) < 3
        if result.composite is not None:
            assert min(present) - Decimal("0.1") <= result.composite <= max(present) + Decimal("0.1")
        else:
            assert not present or (missing and cycle.missing_rule == MissingRule.PENDING)
        # The first rule that applies decides, and is named.
        poor_share = (
            published and Decimal(plan.ballots.count(Rating.POOR)) / len(plan.ballots) > cycle.poor_ballot_share
        )
        if vetoed:
            expected = (Grade.POOR, GradeRule.VETO)
        elif not plan.submitted:
            expected = (Grade.POOR, GradeRule.NOT_SUBMITTED)
        elif poor_share:
            expected = (Grade.POOR, GradeRule.POOR_BALLOTS)
        elif result.composite is None:
            expected = (Grade.PENDING, GradeRule.PENDING)
        else:
            expected = (result.grade, GradeRule.BAND)
            band = (
                Grade.GOOD
                if result.composite >= cycle.band_good
                else Grade.FAIR
                if result.composite >= cycle.band_fair
                else Grade.AVERAGE
                if result.composite >= cycle.band_average
                else Grade.POOR
            )
            assert result.grade == band
        assert (result.grade, result.grade_reason) == expected
        assert (result.rank is None) == (result.grade == Grade.PENDING)
    ranked = [result for result in results if result.rank is not None]
    for result in ranked:
        if result.grade_reason == GradeRule.VETO:
            assert all(result.rank > other.rank for other in ranked if other.grade_reason != GradeRule.VETO), (
                "a vetoed organization ranks below every one not vetoed"
            )
    notes = {note["gap"] for result in results for note in result.notes}
    if GapKind.BALLOTS_OPEN in notes:
        assert all(GapKind.BALLOTS_OPEN in {note["gap"] for note in result.notes} for result in results)
