"""`manage.py seed_demo` fills this year's lists, records, warnings, commitments and a contact point."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import filetype
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from accounts import permissions
from accounts.models import Organization, User
from foundation.files import evidence_check
from responsibility import progress, services
from responsibility.models import (
    Category,
    ContactPoint,
    DutyRecord,
    Evidence,
    Light,
    ListItem,
    ListTemplate,
    Period,
    PublicCommitment,
    ResponsibilityList,
    WorkPlan,
)
from seeding.demo.responsibility import JOURNEY_ITEM, RETURNABLE_RECORD, colour_target, demo_pdf, demo_png

Status = ResponsibilityList.Status
RecordStatus = DutyRecord.Status


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any, media: Path) -> Iterator[str]:
    """Seeds once for the module inside a transaction that is rolled back at its end (seeding takes seconds)."""
    out = StringIO()
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded: str, db: None, settings: Any, media: Path) -> str:
    settings.MEDIA_ROOT = media
    return seeded


def user(login: str) -> User:
    return User.objects.get(username=login)


def village_list() -> ResponsibilityList:
    return ResponsibilityList.objects.select_related("organization").get(
        organization__code="QS-DH-01", year=timezone.localdate().year
    )


def test_the_summary_tells_what_was_built(demo: str) -> None:
    assert f"{timezone.localdate().year} 年责任清单 34 份（新建 34 份）" in demo
    assert "红灯" in demo


def test_every_organization_has_this_years_list(demo: str) -> None:
    year = timezone.localdate().year
    without = Organization.objects.exclude(responsibility_lists__year=year)
    assert not without.exists(), list(without.values_list("code", flat=True))
    assert not ResponsibilityList.objects.annotate(count=Count("items")).filter(count=0).exists()


def test_lists_are_in_every_state_and_one_has_two_versions(demo: str) -> None:
    statuses = dict(ResponsibilityList.objects.values_list("status").annotate(count=Count("id")))
    assert set(statuses) == set(Status.values)
    assert statuses[Status.APPROVED] > sum(statuses.values()) / 2
    returned = ResponsibilityList.objects.get(status=Status.RETURNED)
    assert returned.review_comment
    revised = ResponsibilityList.objects.get(organization__code="QS-DH-02")
    assert (revised.status, revised.version) == (Status.APPROVED, 2)
    assert sorted(revised.versions.values_list("number", flat=True)) == [1, 2]
    # Approved lists were approved by the committee above them.
    village = village_list()
    assert village.reviewed_by == user("demo-township")


def test_approved_lists_have_every_item_assigned(demo: str) -> None:
    unassigned = ListItem.objects.filter(list__status=Status.APPROVED, responsible__isnull=True).exclude(
        duty_type="organization"
    )
    assert not unassigned.exists()


def test_the_county_publishes_work_points_and_a_template_per_sector(demo: str) -> None:
    plan = WorkPlan.objects.get(organization__code="QS", year=timezone.localdate().year)
    assert plan.is_published
    assert 6 <= plan.points.count() <= 8
    assert set(plan.points.values_list("category__name", flat=True)) == set(
        Category.objects.values_list("name", flat=True)
    )
    templates = ListTemplate.objects.filter(organization__code="QS", is_published=True)
    assert set(templates.values_list("sector", flat=True)) == {
        Organization.Sector.RURAL,
        Organization.Sector.ORGAN,
        Organization.Sector.STATE_ENTERPRISE,
    }
    assert ListItem.objects.filter(work_point__plan=plan).exists()


def test_every_colour_appears_among_items_and_lists(demo: str) -> None:
    assert set(ListItem.objects.values_list("warning", flat=True)) == set(Light.values)
    # A list is red if any item is; the "model" organizations are green whatever the day.
    lights = set(ResponsibilityList.objects.values_list("warning", flat=True))
    assert {Light.RED, Light.GREEN} <= lights
    assert ResponsibilityList.objects.get(organization__code="QS-JG-01").warning == Light.GREEN


def test_the_stored_states_are_todays(demo: str) -> None:
    today = timezone.localdate()
    assert set(ListItem.objects.values_list("state_date", flat=True)) == {today}
    assert progress.refresh_stale(today=today) == 0


def test_demo_secretary_has_a_green_a_yellow_and_a_red_item(demo: str) -> None:
    lights = set(village_list().items.values_list("warning", flat=True))
    assert lights == {Light.GREEN, Light.YELLOW, Light.RED}


def test_the_journey_item_turns_green_with_one_record_today(demo: str, media: Path) -> None:
    item = village_list().items.select_related("list", "responsible__person").get(content=JOURNEY_ITEM)
    assert item.responsible.person == user("demo-secretary")
    assert item.period_done < item.period_required
    assert not item.records.exists()
    secretary = user("demo-secretary")
    services.record_add(
        item=item,
        occurred_on=timezone.localdate(),
        content="开展“党员进网格”主题党日活动",
        done_by=secretary,
        by=secretary,
        files=[SimpleUploadedFile("主题党日.png", demo_png((200, 30, 30)), content_type="image/png")],
    )
    item.refresh_from_db()
    assert item.warning == Light.GREEN


def test_demo_secretary_has_one_submitted_record_the_township_can_return(demo: str) -> None:
    records = DutyRecord.objects.filter(content__startswith="组织党员学习")
    assert records.count() == 1
    record = records.select_related("organization").get()
    assert record.content == RETURNABLE_RECORD
    assert record.status == RecordStatus.SUBMITTED
    assert record.done_by == record.created_by == user("demo-secretary")
    township = user("demo-township")
    assert permissions.can(township, permissions.Action.SUPERVISE, record.organization)
    # It is the newest record awaiting review, so it heads the township's queue.
    queue = DutyRecord.objects.filter(
        permissions.supervised_q(township, "organization__"), status=RecordStatus.SUBMITTED
    ).order_by("-submitted_at", "-id")
    assert queue.first() == record
    services.record_return(record=record, by=township, reason="请补充学习研讨记录。")


def test_records_are_on_time_late_accepted_and_returned_with_reasons(demo: str) -> None:
    statuses = dict(DutyRecord.objects.values_list("status").annotate(count=Count("id")))
    assert set(statuses) == set(RecordStatus.values)
    assert not DutyRecord.objects.filter(status=RecordStatus.RETURNED, review_reason="").exists()
    assert not DutyRecord.objects.filter(occurred_on__gt=timezone.localdate()).exists()
    assert not DutyRecord.objects.filter(submitted_at__gt=timezone.now()).exists()
    if timezone.localdate() > date(timezone.localdate().year, 2, 15):
        # Once a month has ended there is lateness to show.
        assert ListItem.objects.filter(late_periods__gt=0).exists()
        assert ListItem.objects.filter(missed_periods__gt=0).exists()


def test_the_demo_marks_the_lateness_its_records_show_and_no_other(demo: str) -> None:
    today = timezone.localdate()
    items = ListItem.objects.select_related("list").prefetch_related("records", "late_marks")
    for item in items:
        counting = [(r.occurred_on, timezone.localtime(r.submitted_at).date()) for r in item.records.all() if r.counts]
        state = progress.item_state(
            year=item.list.year,
            period=item.target_period,
            target=item.target_count,
            due_date=item.due_date,
            records=counting,
            today=today,
        )
        expected = {(span.start, span.end, "late") for span in state.late_spans}
        expected |= {(span.start, span.end, "missed") for span in state.missed_spans}
        marks = {(mark.period_start, mark.period_end, mark.outcome) for mark in item.late_marks.all()}
        assert marks == expected, item.content


def test_demo_secretarys_records_carry_real_evidence_files(demo: str, media: Path) -> None:
    evidence = list(Evidence.objects.filter(record__organization__code="QS-DH-01"))
    assert len(evidence) >= 5
    assert {file.content_type for file in evidence} == {"image/png", "application/pdf"}
    for file in evidence:
        path = media / file.file.name
        assert path.is_file()
        kind = filetype.guess(path.read_bytes())
        assert kind is not None
        assert kind.mime == file.content_type


def test_the_branch_publishes_its_commitment_and_others_some(demo: str) -> None:
    commitment = PublicCommitment.objects.get(organization__code="QS-DH-01")
    assert commitment.is_published
    assert commitment.secretary == user("demo-secretary")
    assert PublicCommitment.objects.filter(published_at__isnull=True).exists()
    assert PublicCommitment.objects.filter(published_at__isnull=False).count() > 3


def test_the_county_reviewer_has_a_weak_contact_point_with_two_visits(demo: str) -> None:
    point = ContactPoint.objects.select_related("organization").get(member=user("demo-county"))
    assert point.organization.code == "QS-DH-03"
    assert point.visits.count() == 2
    assert permissions.can(user("demo-county"), permissions.Action.SUPERVISE, point.organization)


def test_seeding_again_creates_nothing(demo: str) -> None:
    models = [WorkPlan, ListTemplate, ResponsibilityList, ListItem, DutyRecord, Evidence, PublicCommitment]
    before = [model.objects.count() for model in models]
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert [model.objects.count() for model in models] == before
    assert "（新建 0 份）" in out.getvalue()
    assert "（新建 0 条）" in out.getvalue()


# The colour targets, whatever the day ------------------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2028])
def test_every_colour_can_be_made_on_every_day_of_the_year(year: int) -> None:
    thresholds = progress.Thresholds()
    days = 366 if calendar.isleap(year) else 365
    for offset in range(days):
        today = date(year, 1, 1) + timedelta(days=offset)
        for light in Light.values:
            target = colour_target(light, today, thresholds)
            state = progress.item_state(
                year=year,
                period=target.period,
                target=target.count,
                due_date=target.due_date,
                records=[(day, day) for day in target.records],
                today=today,
                thresholds=thresholds,
            )
            assert state.warning == light, (today, light, target)
            assert all(date(year, 1, 1) <= day <= today for day in target.records)
            assert target.due_date is None or target.due_date.year == year
            assert (target.period == Period.ONCE) == (target.due_date is not None)


def test_demo_files_pass_the_evidence_check() -> None:
    png = SimpleUploadedFile("a.png", demo_png((10, 20, 30)))
    pdf = SimpleUploadedFile("a.pdf", demo_pdf("Hello (world)"))
    assert evidence_check(png) == "image/png"
    assert evidence_check(pdf) == "application/pdf"
    assert demo_pdf("x").endswith(b"%%EOF\n")
