"""Deadline reminders: every deadline the product has, swept once a day (the calendar shows the same deadlines:
reminders.calendar). What a deadline is and who answers for it is reminders.deadlines'; its five sources are
reminders.sources'. Their names stay importable from here.

Five sources turn their open rows into `Deadline`s with the people who answer for them: list items
(`next_due`), duty reports, scoring, ballot windows and rectification tasks. The sweep reminds each
person at the thresholds crossed today: `REMINDER_BEFORE_DAYS` before a deadline, `REMINDER_AFTER_DAYS`
after it; an overdue rectification task climbs to the organization's secretary and then to the
committee one level up (`RECTIFICATION_SECRETARY_AFTER_DAYS`, `RECTIFICATION_COMMITTEE_AFTER_DAYS`).

A threshold is a number of days relative to the deadline: -3 is three days before, 0 the day itself,
7 a week after. Exactly one reminder goes out per (deadline key, threshold, person): the unique
sent-log `ReminderLog` is written in the same transaction as the notification, so a second run, a
retry after a crash or a second beat process finds the row and sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from foundation.bulk import db_value, insert_rows
from notifications import services as notification_services
from notifications.models import Notification

# The deadlines, their sources and the calendar live beside the sweep; their names stay reachable here.
from reminders.calendar import a_year_after as a_year_after
from reminders.calendar import deadlines_for as deadlines_for
from reminders.deadlines import Deadline as Deadline
from reminders.deadlines import Leaders as Leaders
from reminders.deadlines import Mine as Mine
from reminders.deadlines import Policy as Policy
from reminders.deadlines import Role as Role
from reminders.deadlines import Words as Words
from reminders.models import ReminderLog
from reminders.sources import SOURCES as SOURCES
from reminders.sources import Source as Source

BATCH_SIZE = 2000
"""Deadlines per batch (and per transaction). A batch's fixed costs (its queries, the staging tables
of its inserts, its commit) were a fifth of a province's first sweep at 500: 58.6 s at 500,
47.7 s at 2000 (docs/benchmarks.md)."""


@dataclass
class SweepResult:
    today: date
    scanned: int = 0
    sent: int = 0
    by_source: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.today.isoformat(), "scanned": self.scanned, "sent": self.sent, **self.by_source}


@dataclass(frozen=True)
class _Plan:
    deadline: Deadline
    person: int
    role: Role
    thresholds: tuple[int, ...]

    @property
    def urgent(self) -> int:
        return self.thresholds[-1]


def sweep(*, today: date | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Reminds everyone of the deadlines that crossed a threshold today; safe to run again, or twice at once.

    Each source is read in batches by id; a batch costs a constant number of queries whatever it
    sends, and commits on its own, so a crash loses at most the batch it was in and a re-run sends
    exactly what is still missing.
    """
    today = today or timezone.localdate()
    policy = Policy.from_settings()
    words = Words()
    # Nothing further away than the earliest threshold can be due a reminder today.
    horizon = today + timedelta(days=max(policy.before, default=0))
    result = SweepResult(today=today)
    for source in SOURCES:
        rows = source.rows(today).filter(**{f"{source.due_field}__lte": horizon}).order_by("pk")
        sent = 0
        last = 0
        while True:
            batch = list(rows.filter(pk__gt=last)[:batch_size])
            if not batch:
                break
            result.scanned += len(batch)
            leaders = Leaders.of(row["org_path"] for row in batch)
            deadlines = [source.deadline(row, leaders, words) for row in batch]
            sent += _remind(deadlines, today=today, policy=policy)
            if len(batch) < batch_size:
                break
            last = batch[-1]["pk"]
        result.by_source[source.name] = sent
        result.sent += sent
    return result


def _plans(deadlines: Iterable[Deadline], *, today: date, policy: Policy) -> list[_Plan]:
    """Per deadline and person: every threshold crossed today, under the strongest role that crossed one."""
    plans: list[_Plan] = []
    for deadline in deadlines:
        crossed: dict[int, set[int]] = defaultdict(set)
        roles: dict[int, Role] = {}
        for person, role in deadline.people:
            thresholds = policy.crossed(role, due=deadline.due, today=today, after=deadline.remind_after)
            if thresholds:
                crossed[person].update(thresholds)
                roles[person] = max(role, roles.get(person, role))
        plans.extend(
            _Plan(deadline=deadline, person=person, role=roles[person], thresholds=tuple(sorted(thresholds)))
            for person, thresholds in crossed.items()
        )
    return plans


def _remind(deadlines: list[Deadline], *, today: date, policy: Policy) -> int:
    """Sends the batch's reminders not yet in the sent-log; returns how many were sent."""
    plans = _plans(deadlines, today=today, policy=policy)
    if not plans:
        return 0
    keys = {plan.deadline.key for plan in plans}
    logged = set(
        ReminderLog.objects.filter(deadline_key__in=keys).values_list("deadline_key", "threshold", "recipient_id")
    )
    # Only the most urgent threshold is sent, so someone added late (or a sweep that missed days)
    # gets one reminder, not three. The less urgent ones need no row: the thresholds a deadline has
    # crossed only grow from day to day, so none of them can be the most urgent again.
    pending = [plan for plan in plans if (plan.deadline.key, plan.urgent, plan.person) not in logged]
    return _send(pending, today=today) if pending else 0


def _send(pending: list[_Plan], *, today: date) -> int:
    """Writes the pending reminders and their sent-log rows in one transaction; returns how many were sent.

    The notifications are written first, so that each sent-log row is inserted with its
    notification (no second pass over the rows). A row another sweep logged first,
    committed while we were preparing ours, is not inserted (the insert waits for that sweep's
    transaction and skips the conflict): its notification is taken back before we commit.
    Nothing is worded here: a reminder stores its message key and raw values (reminder_wording) and
    is worded when read, in the reader's language.
    """
    with transaction.atomic():
        recipients = User.objects.in_bulk({plan.person for plan in pending})
        now = timezone.now()
        drafts = []
        for plan in pending:
            key, params = reminder_wording(plan, today=today)
            drafts.append(
                notification_services.Draft(
                    recipient=recipients[plan.person],
                    kind=plan.deadline.kind,
                    key=key,
                    params=params,
                    url=plan.deadline.url,
                )
            )
        written = notification_services.notify_many(drafts, at=now)
        created_at = db_value(ReminderLog, "created_at", now)
        kept = {
            notification
            for (notification,) in insert_rows(
                ReminderLog,
                ["deadline_key", "threshold", "recipient_id", "notification_id", "created_at"],
                [
                    (plan.deadline.key, plan.urgent, plan.person, notification, created_at)
                    for plan, notification in zip(pending, written, strict=True)
                ],
                returning=["notification_id"],
                skip_conflicts=True,
            )
        }
        lost = [notification for notification in written if notification not in kept]
        if lost:
            Notification.objects.filter(pk__in=lost).delete()
    return len(written) - len(lost)


def reminder_wording(plan: _Plan, *, today: date) -> tuple[str, dict[str, Any]]:
    """The message key and parameters of a reminder (notifications.messages): raw values, worded when read."""
    deadline = plan.deadline
    days = (deadline.due - today).days
    if plan.role is Role.COMMITTEE:
        advice = "committee"
    elif plan.role is Role.SECRETARY:
        advice = "secretary"
    else:
        advice = "late" if days < 0 else "before"
    key = "reminder.due_in" if days > 0 else "reminder.due_today" if days == 0 else "reminder.overdue"
    return key, {
        "subject": deadline.subject,
        **deadline.params,
        "days": abs(days),
        "organization": deadline.organization,
        "date": deadline.due.isoformat(),
        "advice": advice,
        "person": deadline.responsible,
    }
