"""Organizational life's pages: the secretary plans, opens the sign-in, marks by hand and closes; a member
signs in from the code on the screen; the committee reads; a sibling branch sees nothing."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Attendance, Meeting, MeetingKind
from tests.clients import signed_in
from tests.meetings.conftest import plan

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_secretary_runs_a_meeting_from_plan_to_minutes(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    secretary = signed_in(people.branch_secretary)
    starts = timezone.localtime() - timedelta(minutes=10)
    response = secretary.post(
        reverse("meeting_plan", args=[tree.branch.pk]),
        {
            "kind": MeetingKind.objects.get(code=MeetingKind.COMMITTEE).pk,
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "place": "村部会议室",
            "topic": "研究十二月工作",
            "host": life.secretary.pk,
        },
    )
    meeting = Meeting.objects.get(topic="研究十二月工作")
    assert response.status_code == 302
    assert meeting.expected_count == 3
    assert secretary.post(reverse("meeting_open", args=[meeting.pk])).status_code == 302
    screen = secretary.get(reverse("meeting_code", args=[meeting.pk]))
    code = services.sign_in_code(meeting)
    assert code in screen.content.decode()
    assert 'http-equiv="refresh"' in screen.content.decode()
    assert "data:image/svg+xml;base64," in screen.content.decode()

    member = signed_in(people.branch_member_of_committee)
    page = member.get(reverse("meeting_sign_in", args=[meeting.pk]) + f"?code={code}")
    assert code in page.content.decode()
    assert member.post(reverse("meeting_sign_in", args=[meeting.pk]), {"code": code}).status_code == 302
    leave = meeting.attendances.get(member=life.deputy)
    secretary.post(reverse("meeting_mark", args=[leave.pk]), {"status": "leave", "reason": "外出学习"})
    secretary.post(reverse("meeting_files", args=[meeting.pk]), {"uploads": [SimpleUploadedFile("photo.png", PNG)]})
    response = secretary.post(reverse("meeting_close", args=[meeting.pk]), {"minutes": "一、研究发展党员工作。"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert (meeting.present_count, meeting.leave_count) == (1, 1)
    assert meeting.files.count() == 1
    detail = signed_in(people.committee_secretary).get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "一、研究发展党员工作。" in detail
    assert "外出学习" in detail


def test_a_bad_code_on_the_page_says_why_and_signs_nobody_in(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    meeting = plan(tree.branch, people.branch_secretary)
    services.meeting_open(meeting=meeting, by=people.branch_secretary)
    stale = services.sign_in_code(meeting, timezone.now() - timedelta(minutes=5))
    response = signed_in(people.branch_member).post(reverse("meeting_sign_in", args=[meeting.pk]), {"code": stale})
    assert response.status_code == 200
    assert "签到码已过期" in response.content.decode()
    assert not meeting.attendances.filter(status=Attendance.Status.PRESENT).exists()
    typed = signed_in(people.branch_member).post(reverse("meeting_sign_in_code"), {"code": "12"})
    assert "签到码不正确" in typed.content.decode()


def test_a_member_types_the_short_code_to_sign_in(tree: Any, people: SimpleNamespace, life: SimpleNamespace) -> None:
    meeting = plan(tree.branch, people.branch_secretary)
    services.meeting_open(meeting=meeting, by=people.branch_secretary)
    client = signed_in(life.migrant_person)
    response = client.post(reverse("meeting_sign_in_code"), {"code": services.sign_in_code(meeting)})
    assert response.status_code == 302
    row = meeting.attendances.get(member=life.migrant)
    assert row.status == Attendance.Status.PRESENT
    assert row.way == Attendance.Way.REMOTE


def test_a_sibling_branch_sees_no_meeting_and_no_minutes(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    meeting = services.meeting_close(
        meeting=plan(tree.branch, people.branch_secretary), by=people.branch_secretary, minutes="不外传的会议记录"
    )
    sibling = signed_in(people.outsider)
    for url in (
        reverse("meeting_detail", args=[meeting.pk]),
        reverse("meeting_year", args=[tree.branch.pk, meeting.held_on.year]),
        reverse("meeting_sign_in", args=[meeting.pk]),
    ):
        assert sibling.get(url).status_code == 404
    committee = signed_in(people.committee_secretary)
    assert committee.get(reverse("meeting_plan", args=[tree.branch.pk])).status_code == 403
    assert committee.get(reverse("meeting_year", args=[tree.branch.pk, meeting.held_on.year])).status_code == 200


def test_the_year_page_query_count_does_not_grow_with_meetings(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    client = signed_in(people.branch_secretary)
    year = timezone.localdate().year
    url = reverse("meeting_year", args=[tree.branch.pk, year])
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    meeting = plan(tree.branch, people.branch_secretary)
    services.meeting_close(meeting=meeting, by=people.branch_secretary, minutes="记录")
    small = count()
    for number in range(4):
        extra = plan(tree.branch, people.branch_secretary, MeetingKind.THEME_DAY)
        services.meeting_close(meeting=extra, by=people.branch_secretary, minutes=f"记录{number}")
    assert count() == small


def test_a_committee_sets_a_rule_its_branches_follow(tree: Any, people: SimpleNamespace, life: SimpleNamespace) -> None:
    client = signed_in(people.committee_secretary)
    kind = MeetingKind.objects.get(code=MeetingKind.LECTURE)
    response = client.post(
        reverse("meeting_rules", args=[tree.township.pk]),
        {"kind": kind.pk, f"k{kind.pk}-period": "month", f"k{kind.pk}-count": "1", f"k{kind.pk}-required": "on"},
    )
    assert response.status_code == 302
    year = timezone.localdate().year
    page = signed_in(people.branch_secretary).get(reverse("meeting_year", args=[tree.branch.pk, year]))
    lecture = next(row for row in page.context["kind_years"] if row.kind == kind)
    assert lecture.period == "month"
    assert signed_in(people.branch_secretary).get(reverse("meeting_rules", args=[tree.township.pk])).status_code == 404
    assert (
        signed_in(people.committee_party_member).get(reverse("meeting_rules", args=[tree.township.pk])).status_code
        == 403
    )


def test_my_work_shows_the_meeting_waiting_for_my_sign_in_and_the_secretary_s_coming_meetings(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    meeting = plan(tree.branch, people.branch_secretary, starts_at=timezone.now() + timedelta(hours=1))
    secretary_home = signed_in(people.branch_secretary).get(reverse("home")).content.decode()
    assert reverse("meeting_detail", args=[meeting.pk]) in secretary_home
    services.meeting_open(meeting=meeting, by=people.branch_secretary)
    member_home = signed_in(people.branch_member).get(reverse("home")).content.decode()
    assert reverse("meeting_sign_in", args=[meeting.pk]) in member_home
    sibling_home = signed_in(people.outsider).get(reverse("home")).content.decode()
    assert reverse("meeting_sign_in", args=[meeting.pk]) not in sibling_home
