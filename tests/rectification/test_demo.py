"""seed_demo fills 督查 and 整改 at the demo county: every state, overdue, recurring by meaning, the demo secretary's
tasks."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from rectification import rules, services
from rectification.models import (
    ExtensionRequest,
    Finding,
    Inspection,
    RectificationTask,
    TaskEvent,
    TaskEvidence,
)
from reviews.models import Cycle
from reviews.selectors import report_facts
from seeding.demo.people import FIRST_VILLAGE_CODE
from similarity.text import problem_likeness

Status = RectificationTask.Status
Recurrence = Finding.Recurrence


@pytest.fixture
def seeded(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())


def open_tasks() -> list[RectificationTask]:
    return list(RectificationTask.objects.exclude(status=Status.ACCEPTED))


def test_every_state_and_every_source_appears(seeded: None) -> None:
    assert set(RectificationTask.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Finding.objects.values_list("source", flat=True)) == set(Finding.Source.values)
    assert Finding.objects.filter(task=None).exists()  # raised, not yet assigned


def test_tasks_are_overdue_by_a_few_days_by_more_than_a_week_and_by_more_than_two(seeded: None) -> None:
    today = timezone.localdate()
    limits = rules.Limits.from_settings()
    overdue = [task.overdue_days(today) for task in open_tasks()]
    assert any(0 < days < limits.secretary_after for days in overdue)
    assert any(limits.secretary_after <= days < limits.committee_after for days in overdue)
    assert any(days >= limits.committee_after for days in overdue)
    assert RectificationTask.objects.filter(supervised=True, events__kind=TaskEvent.Kind.SUPERVISED).exists()


def test_tasks_were_returned_once_and_twice_and_the_weak_one_has_a_measure(seeded: None) -> None:
    assert RectificationTask.objects.filter(returned_count=1, status=Status.IN_PROGRESS).exists()
    weak = RectificationTask.objects.get(returned_count__gte=settings.RECTIFICATION_WEAK_RETURNS)
    assert weak.events.filter(kind=TaskEvent.Kind.MEASURE).exists()


def test_one_extension_waits_for_the_committee(seeded: None) -> None:
    assert ExtensionRequest.objects.filter(status=ExtensionRequest.Status.PENDING).count() == 1


def test_reworded_repeats_are_linked_one_confirmed_one_waiting(seeded: None) -> None:
    linked = list(Finding.objects.exclude(recurring_of=None).select_related("recurring_of"))
    assert {finding.recurring_state for finding in linked} == {Recurrence.SUGGESTED, Recurrence.CONFIRMED}
    for finding in linked:
        assert finding.recurring_of is not None
        assert finding.recurring_of.organization_id == finding.organization_id
        assert finding.recurring_of.year < finding.year
        assert finding.recurring_of.description != finding.description  # reworded, not copied
        assert finding.recurring_likeness == problem_likeness(finding.description, finding.recurring_of.description)
        assert finding.recurring_likeness >= services.RECURRING_SAME_CATEGORY


def test_the_dues_ledger_is_not_linked_to_last_years_recruitment_problem(seeded: None) -> None:
    dues = Finding.objects.get(description="党费台账未按月登记。")
    recruitment = Finding.objects.get(
        organization=dues.organization, year=dues.year - 1, description__contains="发展党员梯队"
    )
    assert recruitment.category_id == dues.category_id  # the old rule's false repeat
    assert dues.recurring_of is None


def test_the_random_inspection_can_be_redrawn_from_its_seed(seeded: None) -> None:
    random_one = Inspection.objects.get(kind=Inspection.Kind.RANDOM)
    assert random_one.draw_seed
    recorded = set(random_one.targets.values_list("organization_id", flat=True))
    assert set(services.redraw(random_one)) == recorded
    assert Inspection.objects.filter(kind=Inspection.Kind.SCHEDULED).exists()
    assert Finding.objects.filter(inspection=random_one).count() == len(recorded)


def test_the_demo_secretary_has_a_review_task_awaiting_a_plan_and_one_in_progress(seeded: None) -> None:
    mine = RectificationTask.objects.filter(responsible__username="demo-secretary")
    awaiting = mine.get(status=Status.AWAITING_PLAN)
    assert awaiting.organization.code == FIRST_VILLAGE_CODE
    assert awaiting.findings.get().problem is not None
    assert awaiting.deadline > timezone.localdate()
    # (The random inspection may draw 柳塘村 too, in some years: its task is in progress as well.)
    working = mine.get(status=Status.IN_PROGRESS, findings__source=Finding.Source.FEEDBACK)
    assert working.findings.get().is_recurring
    assert TaskEvidence.objects.filter(event__task=working).count() == 2


def test_evidence_files_are_written_to_media_root(seeded: None) -> None:
    evidence = list(TaskEvidence.objects.all())
    assert {item.content_type for item in evidence} == {"image/png", "application/pdf"}
    assert all((Path(settings.MEDIA_ROOT) / item.file.name).is_file() for item in evidence)


def test_last_years_accepted_task_shows_in_this_years_duty_report(seeded: None) -> None:
    year = timezone.localdate().year
    report = Cycle.objects.get(year=year, status=Cycle.Status.OPEN).reports.get(organization__code=FIRST_VILLAGE_CODE)
    summary = report_facts(report).rectification
    assert summary is not None
    assert summary.accepted >= 1
    accepted = next(row for row in summary.rows if row.is_accepted)
    assert accepted.accepted_on is not None
    assert accepted.accepted_on.year == year - 1
    assert accepted.measures
    assert any(row.status == Status.AWAITING_PLAN for row in summary.rows)


def test_seeding_again_creates_nothing(seeded: None) -> None:
    counts = (
        Finding.objects.count(),
        RectificationTask.objects.count(),
        TaskEvent.objects.count(),
        Inspection.objects.count(),
        TaskEvidence.objects.count(),
    )
    call_command("seed_demo", stdout=StringIO())
    assert (
        Finding.objects.count(),
        RectificationTask.objects.count(),
        TaskEvent.objects.count(),
        Inspection.objects.count(),
        TaskEvidence.objects.count(),
    ) == counts
    assert not RectificationTask.objects.filter(~Q(year__in=[timezone.localdate().year - 1, timezone.localdate().year]))
