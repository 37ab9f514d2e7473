"""seed_demo builds last year's closed review and this year's open one at 东湖镇."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from reviews.models import BallotCode, Cycle, DutyReport, Grade, GradeRule, Result, SpentCode
from seeding.demo.people import FIRST_TOWNSHIP_CODE, FIRST_VILLAGE_CODE


@pytest.fixture
def seeded(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())


def test_last_year_is_closed_with_a_result_for_every_report(seeded: None) -> None:
    cycle = Cycle.objects.get(organization__code=FIRST_TOWNSHIP_CODE, year=timezone.localdate().year - 1)
    assert cycle.status == Cycle.Status.CLOSED
    reports = cycle.reports.count()
    assert reports == Result.objects.filter(report__cycle=cycle).count() == 5
    # The ranking starts at 1, and one branch is graded 差 by its members' ballots, whatever its score.
    assert Result.objects.filter(report__cycle=cycle, rank=1).exists()
    overridden = Result.objects.get(report__cycle=cycle, grade_reason=GradeRule.POOR_BALLOTS)
    assert overridden.grade == Grade.POOR
    # Every result names the rule that decided it.
    assert not Result.objects.filter(report__cycle=cycle, grade_reason="").exists()
    assert overridden.ballots_poor * 3 > overridden.ballots_valid
    assert all(report.comment and report.problems.exists() for report in cycle.reports.all())


def test_this_year_is_open_and_the_demo_secretary_has_a_draft_to_finish(seeded: None) -> None:
    cycle = Cycle.objects.get(organization__code=FIRST_TOWNSHIP_CODE, year=timezone.localdate().year)
    assert cycle.status == Cycle.Status.OPEN
    own = cycle.reports.get(organization__code=FIRST_VILLAGE_CODE)
    assert own.status == DutyReport.Status.DRAFT
    assert own.sections.get("履职情况")
    assert own.assignments.filter(reviewer__username="demo-township").exists()
    assert BallotCode.objects.filter(cycle=cycle, organization=own.organization).count() == 20
    assert not SpentCode.objects.filter(cycle=cycle, organization=own.organization).exists()
    assert cycle.reports.filter(status=DutyReport.Status.SUBMITTED).exists()
    assert cycle.ballot_opens <= timezone.localdate() <= cycle.ballot_closes


def test_seeding_again_creates_no_second_cycle(seeded: None) -> None:
    ballots = SpentCode.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Cycle.objects.count() == 2
    assert SpentCode.objects.count() == ballots


def test_one_selector_gives_the_whole_report_and_its_result_only_after_closing(
    seeded: None, django_assert_max_num_queries: Any
) -> None:
    from reviews.selectors import report_document

    closed = DutyReport.objects.get(cycle__status=Cycle.Status.CLOSED, organization__code=FIRST_VILLAGE_CODE)
    with django_assert_max_num_queries(12):
        document = report_document(closed)
    assert [title for title, _html in document.body.sections] == closed.cycle.section_titles()
    assert document.result is not None
    assert document.result.rank >= 1
    assert document.comment
    assert document.problems
    assert document.versions
    assert document.facts.year == closed.cycle.year

    draft = DutyReport.objects.get(cycle__status=Cycle.Status.OPEN, organization__code=FIRST_VILLAGE_CODE)
    document = report_document(draft)
    assert document.result is None
    assert document.comment == ""
    assert document.problems == []
