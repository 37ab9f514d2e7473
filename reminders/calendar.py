"""A person's open deadlines for the calendar feed: the same sources and people as the sweep (reminders.sweep)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from accounts.models import User
from reminders.deadlines import Deadline, Leaders, Mine, Policy, Words
from reminders.sources import SOURCES


def a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def deadlines_for(person: User, *, today: date | None = None) -> list[Deadline]:
    """The person's open deadlines of the next twelve months and the overdue ones, by date.

    The same sources and people as the sweep: two queries per source whatever the data.
    """
    today = today or timezone.localdate()
    policy = Policy.from_settings()
    mine = Mine.of(person)
    words = Words()
    horizon = a_year_after(today)
    found: list[Deadline] = []
    for source in SOURCES:
        rows = list(
            source.rows(today).filter(source.mine(mine), **{f"{source.due_field}__lte": horizon}).order_by("pk")
        )
        if not rows:
            continue
        leaders = Leaders.of(row["org_path"] for row in rows)
        for row in rows:
            deadline = source.deadline(row, leaders, words)
            if any(
                someone == person.pk and policy.reaches(role, due=deadline.due, today=today)
                for someone, role in deadline.people
            ):
                found.append(deadline)
    return sorted(found, key=lambda deadline: (deadline.due, deadline.key))
