"""The meetings app's access layer: the views decide no permission (meetings.access does), the templates
compare no status string, allowed_actions follows the workflow's table, and every service that acts for a
person refuses someone without standing on the organization, however it is called, and writes nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Position
from accounts.permissions import Action
from foundation.errors import DomainError
from meetings import access, counting, services
from meetings.models import Attendance, FrequencyRule, ItemLink, Meeting, MeetingFile, MeetingKind
from meetings.workflow import MEETING_ACTIONS
from responsibility.models import Category
from tests.factories import UserFactory
from tests.meetings.conftest import kind, plan
from tests.responsibility.conftest import approved_branch_list
from tests.test_architecture import PERMISSION_DECISIONS, view_modules

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_the_meetings_views_decide_no_permission_and_call_access_by_name() -> None:
    for path in view_modules("meetings"):
        text = path.read_text(encoding="utf-8")
        assert not [word for word in PERMISSION_DECISIONS if word in text], path
        assert "from meetings.access import" not in text, path
        assert "from meetings import access" in text, path


def test_allowed_actions_follow_the_table_for_the_keeper_and_nobody_else(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    meeting = plan(tree.branch, people.branch_secretary)
    for status, actions in MEETING_ACTIONS.items():
        meeting.status = status
        assert access.allowed_actions(people.branch_secretary, meeting) == actions
        assert access.allowed_actions(people.committee_secretary, meeting) == frozenset()
        assert access.allowed_actions(people.branch_member, meeting) == frozenset()


def test_a_meeting_is_unseen_by_a_sibling_and_read_only_above(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    meeting = plan(tree.branch, people.branch_secretary)
    with pytest.raises(Http404):
        access.meeting_for(people.outsider, meeting.pk)
    assert access.meeting_for(people.committee_secretary, meeting.pk) == meeting
    with pytest.raises(PermissionDenied):
        access.meeting_for(people.committee_secretary, meeting.pk, Action.MANAGE)
    # The 流动党员 has a login and no position: the meeting expects them, so they reach it, not its sheet.
    assert access.meeting_for(life.migrant_person, meeting.pk) == meeting
    assert not access.reads_sheet(life.migrant_person, meeting)


def _outsiders(tree: Any, people: SimpleNamespace) -> dict[str, Any]:
    sibling_secretary = UserFactory(username="sibling_secretary")
    account_services.position_assign(
        person=sibling_secretary, organization=tree.branch_sibling, role=Position.Role.SECRETARY
    )
    other_township = UserFactory(username="other_township")
    account_services.position_assign(
        person=other_township, organization=tree.sibling_township, role=Position.Role.SECRETARY
    )
    ended = UserFactory(username="ended_deputy")
    position = account_services.position_assign(person=ended, organization=tree.branch, role=Position.Role.DEPUTY)
    committee_ended = UserFactory(username="ended_committee")
    committee_position = account_services.position_assign(
        person=committee_ended, organization=tree.township, role=Position.Role.DEPUTY
    )
    account_services.position_end(position=position)
    account_services.position_end(position=committee_position)
    return {
        "a sibling branch's secretary": sibling_secretary,
        "another township's secretary": other_township,
        "a deputy whose position ended": ended,
        "a committee deputy whose position ended": committee_ended,
        "a plain member": people.branch_member,
    }


def _counts() -> tuple[int, ...]:
    return (
        Meeting.objects.count(),
        Attendance.objects.exclude(status=Attendance.Status.EXPECTED).count(),
        MeetingFile.objects.count(),
        FrequencyRule.objects.count(),
        MeetingKind.objects.count(),
        ItemLink.objects.count(),
        Meeting.objects.filter(status=Meeting.Status.HELD).count(),
    )


def test_every_service_refuses_those_without_standing_and_writes_nothing(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    the_list = approved_branch_list(tree, people, Category.objects.get(name="组织建设"), timezone.localdate().year)
    item = the_list.items.first()
    meeting = plan(tree.branch, people.branch_secretary)
    held = services.meeting_close(
        meeting=plan(tree.branch, people.branch_secretary), by=people.branch_secretary, minutes="记录"
    )
    [stored] = services.meeting_files_add(
        meeting=held, by=people.branch_secretary, files=[SimpleUploadedFile("a.png", PNG)]
    )
    row = meeting.attendances.first()
    fields = services.MeetingFields(
        kind=kind(MeetingKind.ASSEMBLY), starts_at=meeting.starts_at, place="某处", topic="某题"
    )
    calls: dict[str, Callable[[Any], Any]] = {
        "meeting_plan": lambda by: services.meeting_plan(organization=tree.branch, by=by, fields=fields),
        "meeting_update": lambda by: services.meeting_update(meeting=meeting, by=by, fields=fields),
        "meeting_open": lambda by: services.meeting_open(meeting=meeting, by=by),
        "meeting_cancel": lambda by: services.meeting_cancel(meeting=meeting, by=by, reason="不开了"),
        "attendance_mark": lambda by: services.attendance_mark(row=row, by=by, status="leave", reason="外出"),
        "meeting_close": lambda by: services.meeting_close(meeting=meeting, by=by, minutes="记录"),
        "meeting_minutes_update": lambda by: services.meeting_minutes_update(meeting=held, by=by, minutes="改"),
        "meeting_files_add": lambda by: services.meeting_files_add(
            meeting=held, by=by, files=[SimpleUploadedFile("b.png", PNG)]
        ),
        "meeting_file_remove": lambda by: services.meeting_file_remove(stored=stored, by=by),
        "rule_set": lambda by: services.rule_set(
            organization=tree.township, kind=kind(MeetingKind.LECTURE), by=by, period="month", count=2
        ),
        "rule_clear": lambda by: services.rule_clear(organization=tree.township, kind=kind(MeetingKind.LECTURE), by=by),
        "kind_add": lambda by: services.kind_add(organization=tree.township, by=by, name="党员冬训", attendees="all"),
        "item_link_set": lambda by: counting.item_link_set(item=item, kind=kind(MeetingKind.GROUP), by=by),
    }
    services.rule_set(
        organization=tree.township,
        kind=kind(MeetingKind.LECTURE),
        by=people.committee_secretary,
        period="half",
        count=1,
    )
    for who, person in _outsiders(tree, people).items():
        for name, call in calls.items():
            before = _counts()
            with pytest.raises(PermissionDenied), contextlib.suppress(DomainError):
                call(person)
            assert _counts() == before, f"{name} by {who} wrote something"
