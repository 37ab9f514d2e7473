"""`manage.py seed_scale`: a small province, checked for shape, logins, permissions, lights and pages."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse

from accounts import permissions
from accounts.models import Organization, Position, User
from meetings import progress as life_progress
from meetings.models import Attendance, KindYear, LifeLateMark, LifeYear, Meeting, MeetingKind
from members.models import Member, PartyGroup
from rectification.models import Finding, RectificationTask, TaskEvent
from responsibility import progress
from responsibility.models import DutyRecord, LateMark, ListItem, ResponsibilityList
from reviews.models import Cycle, DutyReport, ReviewerAssignment, Score
from seeding.scale.people import (
    COUNTY_LOGIN,
    PROVINCE_LOGIN,
    REVIEWER_LOGIN,
    SCALE_PASSWORD,
    SECRETARY_LOGIN,
    child_path,
    path_step,
    scale_wipe,
)

ORGS = 300
Kind = Organization.Kind

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """One load for the whole module (a few seconds), committed; each test still runs in its own transaction."""
    out = StringIO()
    with django_db_blocker.unblock():
        call_command("seed_scale", orgs=ORGS, stdout=out)
        yield out.getvalue()
        scale_wipe()


def user(login: str) -> User:
    return User.objects.get(username=login)


def test_path_steps_are_numbered_as_treebeard_numbers_them() -> None:
    assert path_step(1) == "0001"
    assert path_step(36) == "0010"
    assert child_path("0001", 37) == "00010011"


def test_the_province_has_the_asked_size_and_a_sound_tree(seeded: str) -> None:
    assert Organization.objects.count() == ORGS
    assert all(not problems for problems in Organization.objects.find_problems())
    province = Organization.objects.get_root_nodes().get()
    assert province.name == "省委"
    assert Organization.objects.get_descendant_count(province) == ORGS - 1
    counties = Organization.objects.filter(depth=3)
    assert counties.count() >= 2
    assert all(county.name.endswith(("县委", "区委")) for county in counties)
    assert (
        Organization.objects.filter(depth=5, kind=Kind.BRANCH).count()
        == ORGS - Organization.objects.filter(depth__lt=5).count()
    )
    assert "合计" in seeded


def test_every_organization_has_a_secretary_who_can_sign_in_without_a_forced_change(seeded: str) -> None:
    secretaries = Position.objects.current().filter(role=Position.Role.SECRETARY)
    assert secretaries.count() == ORGS
    assert secretaries.values("organization").distinct().count() == ORGS
    secretary = user(SECRETARY_LOGIN)
    assert secretary.check_password(SCALE_PASSWORD)
    assert not User.objects.filter(last_login__isnull=True).exists()
    branch = Organization.objects.get(positions__person=secretary)
    assert branch.kind == Kind.BRANCH
    assert branch.path.startswith(Organization.objects.filter(depth=3).order_by("path").first().path)


def test_fixed_logins_see_what_their_role_reaches(seeded: str) -> None:
    first_county, second_county = Organization.objects.filter(depth=3).order_by("path")[:2]
    province = user(PROVINCE_LOGIN)
    assert permissions.visible_organizations(province).count() == ORGS
    assert permissions.can(province, permissions.Action.SUPERVISE, second_county)

    county = user(COUNTY_LOGIN)
    seen = permissions.visible_organizations(county)
    assert seen.count() == Organization.objects.get_descendant_count(first_county) + 1
    assert not seen.filter(pk=second_county.pk).exists()
    assert permissions.can(
        county, permissions.Action.SUPERVISE, Organization.objects.get_children(first_county).first()
    )
    assert not permissions.can(county, permissions.Action.VIEW, second_county)

    secretary = user(SECRETARY_LOGIN)
    branch = Organization.objects.get(positions__person=secretary)
    assert list(permissions.visible_organizations(secretary)) == [branch]
    assert permissions.can(secretary, permissions.Action.MANAGE, branch)


def test_the_year_has_lists_reviews_and_about_three_tasks_per_organization(seeded: str) -> None:
    assert ResponsibilityList.objects.count() == ORGS
    assert ListItem.objects.count() == 4 * ORGS
    assert DutyRecord.objects.exists()
    # One open cycle per committee with children; every organization but the province reports once.
    assert (
        Cycle.objects.filter(status=Cycle.Status.OPEN).count() == Organization.objects.exclude(kind=Kind.BRANCH).count()
    )
    assert DutyReport.objects.count() == ORGS - 1
    assert DutyReport.objects.filter(status=DutyReport.Status.SUBMITTED).exists()
    assert Score.objects.exists()
    tasks = RectificationTask.objects.count()
    assert 2.5 * ORGS <= tasks <= 3.5 * ORGS
    assert Finding.objects.filter(task__isnull=False).count() == tasks
    statuses = set(RectificationTask.objects.values_list("status", flat=True))
    assert statuses == set(RectificationTask.Status.values)
    assert TaskEvent.objects.filter(kind=TaskEvent.Kind.CREATED).count() == tasks


def test_the_lights_are_what_the_nightly_refresh_computes(seeded: str) -> None:
    def snapshot() -> list[Any]:
        items = list(ListItem.objects.order_by("id").values_list("id", *progress.STATE_FIELDS))
        lists = list(ResponsibilityList.objects.order_by("id").values_list("id", *progress.LIST_TOTAL_FIELDS))
        marks = list(LateMark.objects.order_by("id").values_list("item_id", "period_start", "period_end", "outcome"))
        return [items, lists, marks]

    before = snapshot()
    assert before[2], "the seeded year has late marks"
    progress.refresh_items(ListItem.objects.all())
    assert snapshot() == before


def test_the_reviewer_has_reports_waiting_to_be_scored(seeded: str) -> None:
    reviewer = user(REVIEWER_LOGIN)
    waiting = ReviewerAssignment.objects.filter(
        reviewer=reviewer, submitted_at__isnull=True, report__status=DutyReport.Status.SUBMITTED
    )
    assert waiting.exists()
    client = Client()
    client.force_login(reviewer)
    assert client.get(reverse("review_queue")).status_code == 200
    assert client.get(reverse("report_score", args=[waiting.first().pk])).status_code == 200  # type: ignore[union-attr]


@pytest.mark.parametrize("page", ["home", "dashboard", "progress_overview", "rectification_board", "review_queue"])
def test_the_county_login_opens_the_main_pages(seeded: str, page: str) -> None:
    client = Client()
    client.force_login(user(COUNTY_LOGIN))
    assert client.get(reverse(page)).status_code == 200


def test_a_database_with_organizations_is_refused_unless_wiped(seeded: str) -> None:
    with pytest.raises(CommandError):
        call_command("seed_scale", orgs=20, stdout=StringIO())
    assert Organization.objects.count() == ORGS

    call_command("seed_scale", orgs=20, wipe=True, stdout=StringIO())
    assert Organization.objects.count() == 20
    assert all(not problems for problems in Organization.objects.find_problems())
    assert User.objects.filter(username=PROVINCE_LOGIN).count() == 1


def test_every_branch_keeps_a_roll_of_about_thirty_in_three_party_groups(seeded: str) -> None:
    branches = Organization.objects.filter(kind=Kind.BRANCH).count()
    members = Member.objects.count()
    assert 24 * branches <= members <= 36 * branches
    assert PartyGroup.objects.count() == 3 * branches
    assert not Member.objects.exclude(organization__kind=Kind.BRANCH).exists()
    assert set(Member.objects.values_list("status", flat=True)) >= {Member.Status.NORMAL, Member.Status.MIGRANT}
    # The secretary's login is their roll entry.
    assert Member.objects.filter(person=user(SECRETARY_LOGIN)).count() == 1


def test_a_year_of_meetings_with_sign_in_sheets_that_match_their_counts(seeded: str) -> None:
    held = Meeting.objects.filter(status=Meeting.Status.HELD)
    assert held.count() > 20 * Organization.objects.filter(kind=Kind.BRANCH).count()
    assert Meeting.objects.filter(status=Meeting.Status.PLANNED).exists()
    every_month = {MeetingKind.COMMITTEE, MeetingKind.GROUP, MeetingKind.THEME_DAY}
    assert every_month | {MeetingKind.ASSEMBLY, MeetingKind.LECTURE} <= set(held.values_list("kind__code", flat=True))
    Status = Attendance.Status
    sheets = Meeting.objects.annotate(
        rows=Count("attendances"),
        present=Count("attendances", filter=Q(attendances__status=Status.PRESENT)),
        leave=Count("attendances", filter=Q(attendances__status=Status.LEAVE)),
        remote=Count("attendances", filter=Q(attendances__way=Attendance.Way.REMOTE)),
    ).values_list(
        "expected_count", "rows", "present_count", "present", "leave_count", "leave", "remote_count", "remote"
    )
    for expected, rows, present, present_rows, leave, leave_rows, remote, remote_rows in sheets:
        assert (expected, present, leave, remote) == (rows, present_rows, leave_rows, remote_rows)
    assert not Attendance.objects.filter(meeting__status=Meeting.Status.HELD, status=Status.EXPECTED).exists()


def test_the_stored_year_of_organizational_life_is_what_the_refresh_computes(seeded: str) -> None:
    def snapshot() -> list[Any]:
        lives = list(
            LifeYear.objects.order_by("organization_id").values_list(
                "organization_id",
                "warning",
                "required_total",
                "held_total",
                "late_periods",
                "missed_periods",
                "meetings_held",
                "expected_total",
                "present_total",
                "members",
                "members_unseen",
                "migrants",
                "migrants_unreached",
            )
        )
        kinds = list(
            KindYear.objects.order_by("organization_id", "kind_id").values_list(
                "organization_id", "kind_id", "warning", "held_total", "late_periods", "missed_periods"
            )
        )
        marks = list(
            LifeLateMark.objects.order_by("organization_id", "kind_id", "period_start", "outcome").values_list(
                "organization_id", "kind_id", "period_start", "outcome"
            )
        )
        return [lives, kinds, marks]

    before = snapshot()
    assert len(before[0]) == ORGS
    assert any(row[5] for row in before[0]), "some branch missed a period"
    assert any(row[4] for row in before[0]), "some branch held a period late"
    assert before[2]
    year = LifeYear.objects.values_list("year", flat=True).first()
    assert year is not None
    life_progress.refresh(Organization.objects.values_list("pk", flat=True), year)
    assert snapshot() == before


def test_the_province_opens_its_organizational_life(seeded: str) -> None:
    client = Client()
    client.force_login(user(PROVINCE_LOGIN))
    province = Organization.objects.get(depth=1)
    response = client.get(reverse("life_overview_org", args=[province.pk]))
    assert response.status_code == 200
    assert response.context["overview"].total.organizations == ORGS
