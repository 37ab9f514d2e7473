"""Meetings' services: planning with the people expected, sign-in by the rotating code and by hand, closing,
and every refusal the issue names (an expired or replayed code, someone not expected, twice, after the
meeting closed), with nothing saved on a refusal."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from foundation.errors import DomainError
from meetings import services
from meetings.models import Attendance, KindYear, LifeYear, Meeting, MeetingKind, MeetingRecord
from members import services as roll_services
from notifications.models import Notification
from responsibility import services as list_services
from responsibility.models import Category, DutyRecord
from tests.meetings.conftest import plan
from tests.responsibility.conftest import approved_branch_list

pytestmark = pytest.mark.django_db


def test_a_meeting_expects_the_people_its_kind_names(tree: Any, people: SimpleNamespace, life: SimpleNamespace) -> None:
    assembly = plan(tree.branch, people.branch_secretary)
    committee = plan(tree.branch, people.branch_secretary, MeetingKind.COMMITTEE)
    assert {row.member for row in assembly.attendances.all()} == {
        life.secretary,
        life.deputy,
        life.committee,
        life.member,
        life.no_login,
        life.migrant,
    }
    assert {row.member for row in committee.attendances.all()} == {life.secretary, life.deputy, life.committee}
    assert assembly.expected_count == 6


def test_members_sign_in_with_the_code_of_the_minute_and_the_host_marks_the_rest(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    meeting = plan(tree.branch, people.branch_secretary)
    services.meeting_open(meeting=meeting, by=people.branch_secretary)
    now = timezone.now()
    code = services.sign_in_code(meeting, now)
    row = services.meeting_sign_in(meeting=meeting, by=people.branch_member, code=code, at=now)
    assert row.status == Attendance.Status.PRESENT
    assert row.way == Attendance.Way.CODE
    remote = services.meeting_sign_in(
        meeting=meeting, by=life.migrant_person, code=code, at=now + timedelta(seconds=61)
    )
    assert remote.way == Attendance.Way.REMOTE
    leave = meeting.attendances.get(member=life.deputy)
    services.attendance_mark(row=leave, by=people.branch_secretary, status=Attendance.Status.LEAVE, reason="出差")
    hand = meeting.attendances.get(member=life.no_login)
    marked = services.attendance_mark(row=hand, by=people.branch_secretary, status=Attendance.Status.PRESENT)
    assert marked.way == Attendance.Way.HAND
    assert marked.marked_by == people.branch_secretary
    services.meeting_close(meeting=meeting, by=people.branch_secretary, minutes="传达学习……")
    meeting.refresh_from_db()
    assert (meeting.expected_count, meeting.present_count, meeting.leave_count, meeting.remote_count) == (6, 3, 1, 1)
    assert meeting.attendances.filter(status=Attendance.Status.ABSENT).count() == 2
    life_year = LifeYear.objects.get(organization=tree.branch, year=meeting.held_on.year)
    assert life_year.meetings_held == 1
    assert life_year.present_total == 3


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("expired", "签到码已过期"),
        ("wrong", "签到码不正确"),
        ("not_expected", "不在本次会议的应到人员中"),
        ("twice", "无需重复签到"),
        ("closed", "签到已关闭"),
        ("not_open", "签到尚未开始"),
    ],
)
def test_bad_sign_ins_are_refused_and_change_nothing(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace, case: str, message: str
) -> None:
    meeting = plan(tree.branch, people.branch_secretary)
    now = timezone.now()
    if case != "not_open":
        services.meeting_open(meeting=meeting, by=people.branch_secretary)
    code = services.sign_in_code(meeting, now)
    who, at = people.branch_member, now
    if case == "expired":
        at = now + timedelta(minutes=3)
    elif case == "wrong":
        code = "000000" if code != "000000" else "111111"
    elif case == "not_expected":
        who = people.branch_staff
    elif case == "twice":
        services.meeting_sign_in(meeting=meeting, by=who, code=code, at=now)
    elif case == "closed":
        services.meeting_close(meeting=meeting, by=people.branch_secretary, minutes="会议记录")
    before = list(Attendance.objects.filter(meeting=meeting).values_list("pk", "status", "signed_at"))
    with pytest.raises(DomainError, match=message):
        services.meeting_sign_in(meeting=meeting, by=who, code=code, at=at)
    assert list(Attendance.objects.filter(meeting=meeting).values_list("pk", "status", "signed_at")) == before


def test_a_held_committee_meeting_is_the_record_of_the_monthly_item(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    year = timezone.localdate().year
    the_list = approved_branch_list(tree, people, Category.objects.get(name="组织建设"), year)
    item = the_list.items.get(content="每月召开支委会")
    meeting = plan(tree.branch, people.branch_secretary, MeetingKind.COMMITTEE)
    services.meeting_close(meeting=meeting, by=people.branch_secretary, minutes="研究发展党员工作")
    link = MeetingRecord.objects.get(meeting=meeting)
    assert link.record.item == item
    item.refresh_from_db()
    assert item.period_done == 1
    assert KindYear.objects.get(organization=tree.branch, year=year, kind__code=MeetingKind.COMMITTEE).period_done == 1


def test_only_the_branch_keepers_plan_and_close(tree: Any, people: SimpleNamespace, life: SimpleNamespace) -> None:
    for outsider in (people.branch_member, people.committee_secretary, people.outsider):
        with pytest.raises(PermissionDenied):
            plan(tree.branch, outsider)
    meeting = plan(tree.branch, people.branch_secretary)
    with pytest.raises(PermissionDenied):
        services.meeting_close(meeting=meeting, by=people.committee_secretary, minutes="x")
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.PLANNED


def test_the_members_expected_with_a_login_are_told_of_a_planned_meeting(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    meeting = plan(tree.branch, people.branch_secretary, starts_at=timezone.now() + timedelta(days=2))
    told = set(Notification.objects.filter(kind="meeting_planned").values_list("recipient__username", flat=True))
    assert told == {"branch_secretary", "branch_deputy", "branch_committee_member", "branch_member", "migrant"}
    assert Notification.objects.filter(kind="meeting_planned", url__endswith=f"/meetings/{meeting.pk}/").count() == 5


def test_a_meeting_record_returned_for_its_minutes_goes_back_for_review_when_the_minutes_are_completed(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    approved_branch_list(tree, people, Category.objects.get(name="组织建设"), timezone.localdate().year)
    meeting = services.meeting_close(
        meeting=plan(tree.branch, people.branch_secretary, MeetingKind.COMMITTEE),
        by=people.branch_secretary,
        minutes="略",
    )
    record = MeetingRecord.objects.get(meeting=meeting).record
    list_services.record_return(record=record, by=people.committee_secretary, reason="会议记录过于简单")
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.RETURNED
    services.meeting_minutes_update(meeting=meeting, by=people.branch_secretary, minutes="一、研究了……二、决定了……")
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.SUBMITTED
    assert record.counts


def test_a_member_transferred_out_before_the_meeting_is_not_counted_absent(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    meeting = plan(tree.branch, people.branch_secretary)
    roll_services.member_transfer_out(
        member=life.no_login, by=people.branch_secretary, on=timezone.localdate(), to_code=tree.direct_branch.code
    )
    held = services.meeting_close(meeting=meeting, by=people.branch_secretary, minutes="记录")
    assert not held.attendances.filter(member=life.no_login).exists()
    assert held.expected_count == 5
