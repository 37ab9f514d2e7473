"""The reminder sweep reminds the secretary before a meeting of a kind falls due, and the nightly refresh
moves the lights with the calendar."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from meetings import progress
from meetings.models import KindYear, LifeYear, MeetingKind
from reminders.sweep import sweep

pytestmark = pytest.mark.django_db


def test_the_secretary_is_reminded_a_week_before_the_month_ends_without_a_committee_meeting(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    year = timezone.localdate().year
    day = date(year, 1, 24)
    progress.refresh([tree.branch.pk], year, today=day)
    committee = KindYear.objects.get(organization=tree.branch, year=year, kind__code=MeetingKind.COMMITTEE)
    assert committee.next_due == date(year, 1, 31)
    sweep(today=day)
    [reminder] = [
        notification
        for notification in people.branch_secretary.notifications.filter(kind="reminder.meeting")
        if "支部委员会" in notification.title
    ]
    assert "本期已召开 0 次" in reminder.title
    assert not people.branch_member.notifications.filter(kind="reminder.meeting").exists()


def test_the_nightly_refresh_turns_a_missed_month_red_and_marks_it_for_good(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    year = timezone.localdate().year
    assert progress.refresh_stale(today=date(year, 1, 10)) >= 1
    assert LifeYear.objects.get(organization=tree.branch, year=year).warning == "green"
    assert progress.refresh_stale(today=date(year, 1, 10)) == 0
    progress.refresh_stale(today=date(year, 2, 2))
    life_year = LifeYear.objects.get(organization=tree.branch, year=year)
    assert life_year.warning == "red"
    assert life_year.missed_periods >= 1
    assert tree.branch.life_late_marks.filter(kind__code=MeetingKind.COMMITTEE, outcome="missed").count() == 1
