"""Last year's rectification as the next duty report shows it (上年度整改落实情况), read through reviews.carried."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import Organization
from rectification.models import (
    Finding,
    RectificationTask,
)

TaskStatus = RectificationTask.Status


@dataclass(frozen=True)
class CarriedTask:
    """One task of a year as the next year's duty report shows it (上年度整改落实情况): read-only."""

    pk: int
    title: str
    problems: list[str]
    """The descriptions of the task's findings, in the order they were raised."""
    measures: str
    status: str
    status_label: str
    deadline: date
    accepted_on: date | None
    overdue_days: int
    """Days past the deadline: of an open task until today, of an accepted one until it was accepted."""
    returned_count: int
    recurring: bool = False
    """年年是问题: one of its problems is one of an earlier year, as the committee confirmed."""

    @property
    def is_accepted(self) -> bool:
        return self.status == TaskStatus.ACCEPTED

    @property
    def is_overdue(self) -> bool:
        """Not done by its deadline: still open after it, or accepted after it (a late close keeps its mark)."""
        return self.overdue_days > 0


def carried_tasks(organization: Organization, year: int, today: date | None = None) -> list[CarriedTask]:
    """The organization's rectification tasks of YEAR with their findings, by deadline (two queries)."""
    today = today or timezone.localdate()
    tasks = (
        RectificationTask.objects.filter(organization=organization, year=year)
        .prefetch_related(Prefetch("findings", queryset=Finding.objects.order_by("id")))
        .order_by("deadline", "id")
    )
    rows = []
    for task in tasks:
        accepted_on = timezone.localdate(task.accepted_at) if task.accepted_at else None
        closed_or_today = accepted_on if task.status == TaskStatus.ACCEPTED and accepted_on else today
        rows.append(
            CarriedTask(
                pk=task.pk,
                title=task.title,
                problems=[finding.description for finding in task.findings.all()],
                measures=task.measures,
                status=task.status,
                status_label=task.get_status_display(),
                deadline=task.deadline,
                accepted_on=accepted_on,
                overdue_days=max(0, (closed_or_today - task.deadline).days),
                returned_count=task.returned_count,
                recurring=any(finding.is_recurring for finding in task.findings.all()),
            )
        )
    return rows
