"""The demo's year of organizational life (seeding/demo/meetings.py): what the issue lists is there for a
newcomer to see, the meetings are the list items' records, and a second run builds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Organization, User
from meetings.counting import kind_code_by_rule
from meetings.models import Attendance, KindYear, LifeLateMark, LifeYear, Meeting, MeetingKind, MeetingRecord
from members.models import Member
from responsibility.models import DutyRecord, ListItem
from seeding.demo.meetings import meetings_demo_build
from seeding.demo.people import FIRST_VILLAGE_CODE
from seeding.demo.responsibility import JOURNEY_ITEM, RED_ITEM
from tests.clients import signed_in

# Before April the year has too few months behind it for a missed and a late month (the demo picks them
# from the months already over).
STORY_TOLD = (timezone.localdate() - timedelta(days=7)).month > 3


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("life-demo-media")


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any, media: Path) -> Iterator[str]:
    """Seeds once for the module inside a transaction rolled back at its end (seeding takes seconds)."""
    out = StringIO()
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded: str, db: None, settings: Any, media: Path) -> str:
    settings.MEDIA_ROOT = media
    return seeded


def held() -> Any:
    return Meeting.objects.filter(organization__code=FIRST_VILLAGE_CODE, status=Meeting.Status.HELD)


def test_the_summary_tells_the_year_of_meetings(demo: str) -> None:
    assert "组织生活：柳塘村党支部本年度召开会议" in demo


def test_every_kind_a_branch_holds_is_held_this_year(demo: str) -> None:
    codes = set(held().values_list("kind__code", flat=True))
    today = timezone.localdate()
    if today.month > 1 or today.day > 28:
        assert {MeetingKind.COMMITTEE, MeetingKind.THEME_DAY, MeetingKind.GROUP} <= codes
    for meeting in held():
        assert meeting.minutes
        assert meeting.closed_at is not None
        assert meeting.closed_at <= timezone.now()


@pytest.mark.skipif(not STORY_TOLD, reason="the missed and late months come from months already over")
def test_a_month_is_missed_and_one_is_late(demo: str) -> None:
    marks = LifeLateMark.objects.filter(organization__code=FIRST_VILLAGE_CODE)
    assert marks.filter(kind__code=MeetingKind.COMMITTEE, outcome=LifeLateMark.Outcome.MISSED).exists()
    assert marks.filter(kind__code=MeetingKind.GROUP, outcome=LifeLateMark.Outcome.MISSED).exists()
    late = marks.get(outcome=LifeLateMark.Outcome.LATE)
    assert late.kind.code == MeetingKind.COMMITTEE
    meeting = held().get(kind__code=MeetingKind.COMMITTEE, held_on__range=(late.period_start, late.period_end))
    assert meeting.closed_at is not None
    assert timezone.localtime(meeting.closed_at).date() > late.period_end
    # Its duty record was submitted when it was recorded: the list item is late for that month too.
    record = DutyRecord.objects.get(meeting_link__meeting=meeting)
    assert record.submitted_at == meeting.closed_at
    assert record.item.late_marks.filter(period_start=late.period_start, outcome="late").exists()
    year = KindYear.objects.get(organization__code=FIRST_VILLAGE_CODE, kind__code=MeetingKind.COMMITTEE)
    assert (year.late_periods, year.missed_periods) == (1, 1)


def test_the_latest_assembly_has_a_leave_and_the_migrant_remote(demo: str) -> None:
    if not held().filter(kind__code=MeetingKind.ASSEMBLY).exists():
        pytest.skip("the year's first 党员大会 is on 20 January")
    assembly = held().filter(kind__code=MeetingKind.ASSEMBLY).order_by("-starts_at").first()
    assert assembly is not None
    leave = assembly.attendances.get(status=Attendance.Status.LEAVE)
    assert leave.reason
    remote = assembly.attendances.get(way=Attendance.Way.REMOTE)
    assert remote.status == Attendance.Status.PRESENT
    assert remote.member.status == Member.Status.MIGRANT
    assert (assembly.leave_count, assembly.remote_count) == (1, 1)
    assert assembly.files.count() == 1
    life = LifeYear.objects.get(organization__code=FIRST_VILLAGE_CODE)
    assert life.migrants == 1
    assert life.migrants_unreached == 0


def test_members_sign_in_by_code_and_by_hand_and_some_are_absent(demo: str) -> None:
    rows = Attendance.objects.filter(meeting__in=held())
    if not rows.exists():
        pytest.skip("nothing held yet this year")
    assert rows.filter(way=Attendance.Way.CODE).exists()
    assert rows.filter(way=Attendance.Way.HAND).exists()
    assert rows.filter(status=Attendance.Status.ABSENT).exists()
    for row in rows.exclude(signed_at=None).select_related("meeting"):
        assert abs(row.signed_at - row.meeting.starts_at) < timedelta(hours=1)


def test_the_secretary_gives_a_lecture(demo: str) -> None:
    if not held().filter(kind__code=MeetingKind.LECTURE).exists():
        pytest.skip("the year's first 党课 is on 25 January")
    lecture = held().get(kind__code=MeetingKind.LECTURE, lecturer_is_secretary=True)
    assert lecture.lecturer is not None
    assert lecture.lecturer.person.username == "demo-secretary"


def test_the_meetings_are_the_records_of_the_items_a_kind_counts(demo: str) -> None:
    items = ListItem.objects.filter(list__organization__code=FIRST_VILLAGE_CODE, list__year=timezone.localdate().year)
    unlinked = (JOURNEY_ITEM, RED_ITEM)
    counted = [item for item in items if kind_code_by_rule(item.content) and item.content not in unlinked]
    assert {kind_code_by_rule(item.content) for item in counted} >= {MeetingKind.COMMITTEE, MeetingKind.ASSEMBLY}
    for item in counted:
        typed = item.records.filter(meeting_link__isnull=True)
        assert not typed.exists(), item.content
    committee = next(item for item in counted if kind_code_by_rule(item.content) == MeetingKind.COMMITTEE)
    assert MeetingRecord.objects.filter(record__item=committee).count() == held().filter(kind__code="committee").count()
    # The browser journey's one-off stays to be recorded by hand, and the red item counts no meeting either.
    for content in unlinked:
        item = items.get(content=content)
        assert not item.records.exists()
        assert item.meeting_link.by_hand
        assert item.meeting_link.kind is None


def test_seeding_again_builds_no_meeting(demo: str, media: Path) -> None:
    before = (Meeting.objects.count(), Attendance.objects.count(), DutyRecord.objects.count())
    summary = meetings_demo_build()
    assert not summary.created
    call_command("seed_demo", stdout=StringIO())
    assert (Meeting.objects.count(), Attendance.objects.count(), DutyRecord.objects.count()) == before


@pytest.mark.parametrize("login", ["demo-secretary", "demo-township"])
def test_the_branchs_year_page_shows_the_demo_year(demo: str, login: str) -> None:
    branch = Organization.objects.get(code=FIRST_VILLAGE_CODE)
    year = timezone.localdate().year
    response = signed_in(User.objects.get(username=login)).get(f"/meetings/o/{branch.pk}/{year}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert branch.name in page
    for meeting in held().select_related("kind"):
        assert meeting.topic in page
    for name in ("支部委员会", "主题党日", "党小组会"):
        assert name in page
    migrant = Member.objects.get(organization=branch, status=Member.Status.MIGRANT)
    assert migrant.name in page
    if STORY_TOLD:
        assert str(LifeLateMark.Outcome.LATE.label) in page
        assert str(LifeLateMark.Outcome.MISSED.label) in page
