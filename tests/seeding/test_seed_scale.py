"""`manage.py seed_scale`: a small province, checked for shape, logins, permissions, lights and pages."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from accounts import permissions
from accounts.models import Organization, Position, User
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
