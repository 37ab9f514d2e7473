"""日常考核 scores organizational life by the rule the cycle states (一次录入，多处使用): the share of required
meetings held, less a deduction per period met late and per period missed, blended with the list's completion
by the cycle's share; a cycle with no share scores the daily part as before."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from meetings.models import LifeYear
from responsibility import services as list_services
from responsibility.models import ResponsibilityList
from reviews import scoring
from reviews.models import Cycle, DutyReport
from reviews.selectors import report_assessment
from reviews.services.closing import compute_results
from tests.clients import signed_in
from tests.reviews.test_cycle_views import draft_cycle, settings_data


def test_life_score_is_the_share_held_less_the_deductions() -> None:
    two, five = Decimal("2"), Decimal("5")
    assert scoring.life_score(required=10, held=8, late=1, missed=1, late_deduction=two, missed_deduction=five) == 73
    # More meetings than required count as all of them; deductions never take it below 0.
    assert scoring.life_score(required=4, held=9, late=0, missed=0, late_deduction=two, missed_deduction=five) == 100
    assert scoring.life_score(required=4, held=0, late=0, missed=30, late_deduction=two, missed_deduction=five) == 0
    # Nothing required: no data, never 0.
    assert scoring.life_score(required=0, held=3, late=0, missed=0, late_deduction=two, missed_deduction=five) is None


def test_the_daily_blend_leaves_a_part_without_data_alone() -> None:
    assert scoring.daily_blend(Decimal("50"), Decimal("73"), 40) == Decimal("59.2")
    assert scoring.daily_blend(Decimal("50"), Decimal("73"), 0) == Decimal("50.0")
    assert scoring.daily_blend(Decimal("50"), None, 40) == Decimal("50.0")
    assert scoring.daily_blend(None, Decimal("73"), 40) == Decimal("73.0")
    assert scoring.daily_blend(None, None, 40) is None


@given(
    completion=st.decimals(min_value=0, max_value=100, places=1),
    life=st.decimals(min_value=0, max_value=100, places=1),
    share=st.integers(min_value=0, max_value=100),
)
def test_the_blend_stays_between_its_parts(completion: Decimal, life: Decimal, share: int) -> None:
    blended = scoring.daily_blend(completion, life, share, places=2)
    assert blended is not None
    assert min(completion, life) - Decimal("0.01") <= blended <= max(completion, life) + Decimal("0.01")


@pytest.fixture
def report(open_cycle: Cycle, tree: Any, people: SimpleNamespace) -> DutyReport:
    """The branch's report, with a list half done and a year of meetings 8 of 10 held, 1 period late, 1 missed."""
    year = open_cycle.year
    the_list = list_services.list_start(organization=tree.branch, year=year, by=people.branch_secretary)
    ResponsibilityList.objects.filter(pk=the_list.pk).update(required_total=10, done_total=5)
    LifeYear.objects.create(
        organization=tree.branch, year=year, required_total=10, held_total=8, late_periods=1, missed_periods=1
    )
    return open_cycle.reports.select_related("cycle", "organization").get(organization=tree.branch)


@pytest.mark.django_db
def test_a_cycle_without_a_share_scores_the_list_alone(report: DutyReport) -> None:
    assert report.cycle.life_share == 0
    assert report_assessment(report).daily_score == Decimal("50.0")
    row = next(row for row in compute_results(report.cycle) if row["report"].pk == report.pk)
    assert row["daily_score"] == Decimal("50.0")


@pytest.mark.django_db
def test_the_cycles_share_blends_organizational_life_into_the_daily_score(
    report: DutyReport, people: SimpleNamespace
) -> None:
    Cycle.objects.filter(pk=report.cycle_id).update(life_share=40)
    report = DutyReport.objects.select_related("cycle", "organization").get(pk=report.pk)
    assessment = report_assessment(report)
    assert assessment.life_score == 73
    assert assessment.daily_score == Decimal("59.2")
    row = next(row for row in compute_results(report.cycle) if row["report"].pk == report.pk)
    assert row["daily_score"] == Decimal("59.2")
    # The committee's own figure still wins.
    DutyReport.objects.filter(pk=report.pk).update(daily_score=Decimal("88"))
    report = DutyReport.objects.select_related("cycle", "organization").get(pk=report.pk)
    assert report_assessment(report).daily_score == Decimal("88.0")


@pytest.mark.django_db
def test_the_cycle_page_states_the_rule(report: DutyReport, people: SimpleNamespace) -> None:
    url = reverse("cycle_detail", args=[report.cycle_id])
    page = signed_in(people.committee_secretary).get(url).content.decode()
    assert "日常考核" in page
    assert "责任清单完成率" in page
    Cycle.objects.filter(pk=report.cycle_id).update(life_share=40)
    page = signed_in(people.committee_secretary).get(url).content.decode()
    assert "责任清单完成率占 60%，组织生活占 40%" in page
    assert "每期逾期召开扣 2.0 分、每期未召开扣 5.0 分" in page


@pytest.mark.django_db
def test_the_committee_states_the_rule_in_the_cycles_settings(tree: Any, people: SimpleNamespace) -> None:
    cycle = draft_cycle(tree, people)
    url = reverse("cycle_settings", args=[cycle.pk])
    committee = signed_in(people.committee_secretary)
    assert "日常考核中组织生活占比（%）" in committee.get(url).content.decode()
    data = settings_data(cycle, life_share=30, life_late_deduction="1.5", life_missed_deduction="4")
    assert committee.post(url, data).status_code == 302
    cycle.refresh_from_db()
    assert (cycle.life_share, cycle.life_late_deduction, cycle.life_missed_deduction) == (
        30,
        Decimal("1.5"),
        Decimal("4"),
    )
    # Left blank, the rule keeps its defaults: no share.
    assert committee.post(url, settings_data(cycle, life_share="")).status_code == 302
    cycle.refresh_from_db()
    assert cycle.life_share == 0
    committee.post(url, settings_data(cycle, life_share=101))
    assert Cycle.objects.get(pk=cycle.pk).life_share == 0
