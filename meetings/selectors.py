"""Reads of organizational life that pages and exports share; none grows its query count with the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Organization
from meetings import progress
from meetings.models import Attendance, KindYear, LifeLateMark, LifeYear, Meeting

HELD = Meeting.Status.HELD


def fresh_year(organization: Organization, year: int, today: date | None = None) -> LifeYear:
    """The organization's stored year, refreshed first when it was computed before today (the lights move
    with the calendar even when nothing is entered)."""
    today = today or timezone.localdate()
    stored = LifeYear.objects.filter(organization=organization, year=year).first()
    if stored is None or stored.state_date is None or stored.state_date < today:
        progress.refresh([organization.pk], year, today=today)
        stored = LifeYear.objects.get(organization=organization, year=year)
    return stored


def kind_years(organization: Organization, year: int) -> QuerySet[KindYear]:
    return KindYear.objects.filter(organization=organization, year=year).select_related("kind")


def meetings_of(organization: Organization, year: int) -> QuerySet[Meeting]:
    """The year's meetings, newest first, with what the list shows beside each."""
    return (
        Meeting.objects.filter(organization=organization, starts_at__year=year)
        .select_related("kind", "party_group", "host")
        .order_by("-starts_at", "-id")
    )


def late_marks(organization: Organization, year: int) -> QuerySet[LifeLateMark]:
    return LifeLateMark.objects.filter(organization=organization, period_start__year=year).select_related("kind")


@dataclass(frozen=True)
class MemberAttendance:
    member_id: int
    name: str
    status: str
    expected: int
    present: int
    leave: int

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.expected else None

    @property
    def unseen(self) -> bool:
        return self.expected > 0 and self.present == 0


def member_attendance(organization: Organization, year: int) -> list[MemberAttendance]:
    """Each member's part in the year's held meetings of the organization: one query."""
    held = Q(meeting__organization=organization, meeting__status=HELD, meeting__held_on__year=year)
    rows = (
        Attendance.objects.filter(held)
        .values("member_id", "member__name", "member__status")
        .annotate(
            expected=Count("id"),
            present=Count("id", filter=Q(status=Attendance.Status.PRESENT)),
            leave=Count("id", filter=Q(status=Attendance.Status.LEAVE)),
        )
        .order_by("member__name", "member_id")
    )
    return [
        MemberAttendance(
            row["member_id"], row["member__name"], row["member__status"], row["expected"], row["present"], row["leave"]
        )
        for row in rows
    ]


def attendance_sheet(meeting: Meeting) -> QuerySet[Attendance]:
    return meeting.attendances.select_related("member", "marked_by").order_by("member__name", "id")


def year_choices(today: date | None = None) -> list[int]:
    year = (today or timezone.localdate()).year
    return [year + 1, year, year - 1, year - 2]


def summary(life: LifeYear) -> dict[str, Any]:
    """The figures the year page's head shows."""
    return {
        "rate": life.present_total / life.expected_total if life.expected_total else None,
        "done": life.held_total,
        "required": life.required_total,
    }


@dataclass(frozen=True)
class HomeLife:
    awaiting: list[Meeting]
    """Open meetings that expect the person and where they have not signed in."""
    coming: list[Meeting]
    """The led organizations' meetings not yet held, soonest first."""


def home_life(user: Any, led: list[Organization], *, limit: int = 5) -> HomeLife:
    """What 我的工作 shows of organizational life: two queries."""
    awaiting = list(
        Meeting.objects.filter(
            status=Meeting.Status.OPEN,
            attendances__member__person=user,
            attendances__member__left_on__isnull=True,
        )
        .exclude(attendances__member__person=user, attendances__status=Attendance.Status.PRESENT)
        .select_related("organization", "kind")
        .distinct()
        .order_by("starts_at")
    )
    coming: list[Meeting] = []
    if led:
        coming = list(
            Meeting.objects.filter(organization__in=led, status__in=[Meeting.Status.PLANNED, Meeting.Status.OPEN])
            .select_related("organization", "kind")
            .order_by("starts_at")[:limit]
        )
    return HomeLife(awaiting, coming)
