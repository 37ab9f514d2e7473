"""Deadline reminders: every deadline the product has, swept once a day, and the same deadlines as a calendar.

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

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts import permissions
from accounts.models import Organization, Position, User
from foundation.bulk import db_value, insert_rows
from notifications import services as notification_services
from notifications.models import Notification
from rectification.models import RectificationTask
from reminders.models import ReminderLog
from responsibility.models import DutyType, ListItem
from reviews.models import Cycle, DutyReport, ReviewerAssignment

BATCH_SIZE = 2000
"""Deadlines per batch (and per transaction). A batch's fixed costs (its queries, the staging tables
of its inserts, its commit) were a fifth of a province's first sweep at 500: 58.6 s at 500,
47.7 s at 2000 (docs/benchmarks.md)."""
LABEL_CHARS = 40


class Role(enum.IntEnum):
    """Why a person hears about a deadline; a higher role is an escalation."""

    OWNER = 1
    """Has to do it: reminded before the deadline and after it."""
    SECRETARY = 2
    """The organization's secretary, once an overdue rectification task reaches them."""
    COMMITTEE = 3
    """The committee one level up (督办), once it reaches them."""


@dataclass(frozen=True)
class Policy:
    """The thresholds, in days relative to a deadline, from settings."""

    before: tuple[int, ...] = (7, 3, 1)
    after: tuple[int, ...] = (1, 7, 14)
    secretary_after: int = 7
    committee_after: int = 14

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            before=tuple(settings.REMINDER_BEFORE_DAYS),
            after=tuple(settings.REMINDER_AFTER_DAYS),
            secretary_after=settings.RECTIFICATION_SECRETARY_AFTER_DAYS,
            committee_after=settings.RECTIFICATION_COMMITTEE_AFTER_DAYS,
        )

    def escalation_start(self, role: Role) -> int:
        return {Role.OWNER: 1, Role.SECRETARY: self.secretary_after, Role.COMMITTEE: self.committee_after}[role]

    def crossed(self, role: Role, *, due: date, today: date, after: bool = True) -> list[int]:
        """The thresholds this role has crossed today, most urgent last."""
        overdue = (today - due).days
        if role is Role.OWNER:
            if overdue <= 0:
                return sorted(-days for days in self.before if -overdue <= days)
            return sorted(days for days in self.after if days <= overdue) if after else []
        # An escalation is announced on the day it happens, then at the later AFTER thresholds.
        start = self.escalation_start(role)
        return sorted(days for days in {start, *self.after} if start <= days <= overdue)

    def reaches(self, role: Role, *, due: date, today: date) -> bool:
        """Whether the deadline is this person's today (an escalated role only once escalated)."""
        return role is Role.OWNER or (today - due).days >= self.escalation_start(role)


@dataclass(frozen=True)
class Deadline:
    """One deadline and the people who answer for it."""

    key: str
    """Stable and unique: the sent-log's key and the calendar event's UID. Holds the date where it can move."""
    due: date
    kind: str
    label: str
    organization: str
    url: str
    people: tuple[tuple[int, Role], ...]
    remind_after: bool = True
    responsible: str = ""


@dataclass
class Leaders:
    """The current secretaries and leading roles of some organizations, by path: one query a batch."""

    secretaries: dict[str, int] = field(default_factory=dict)
    leading: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, paths: Iterable[str]) -> Leaders:
        """The leaders of the organizations at these paths and of the committees one level up."""
        wanted: set[str] = set()
        for path in paths:
            wanted.add(path)
            if parent := Organization.parent_path_of(path):
                wanted.add(parent)
        leaders = cls()
        positions = (
            Position.objects.current()
            .filter(organization__path__in=sorted(wanted), organization__is_active=True, person__is_active=True)
            .exclude(role=Position.Role.MEMBER)
            .order_by("id")
            .values_list("organization__path", "role", "person_id")
        )
        for path, role, person_id in positions:
            if role == Position.Role.SECRETARY:
                leaders.secretaries[path] = person_id
            if person_id not in leaders.leading[path]:
                leaders.leading[path].append(person_id)
        return leaders

    def secretary(self, path: str) -> list[int]:
        person = self.secretaries.get(path)
        return [person] if person is not None else []

    def committee_above(self, path: str) -> list[int]:
        parent = Organization.parent_path_of(path)
        return self.leading.get(parent, []) if parent else []


@dataclass(frozen=True)
class Mine:
    """A person's current leading positions, for the calendar's filters."""

    person: User
    secretary_of: frozenset[int]
    leading: tuple[tuple[int, str, int], ...]
    """(organization id, path, depth) of every organization where the person holds a leading role."""

    @classmethod
    def of(cls, person: User) -> Mine:
        rows = list(
            Position.objects.current()
            .filter(person=person, organization__is_active=True)
            .exclude(role=Position.Role.MEMBER)
            .values_list("role", "organization_id", "organization__path", "organization__depth")
        )
        return cls(
            person=person,
            secretary_of=frozenset(org for role, org, _path, _depth in rows if role == Position.Role.SECRETARY),
            leading=tuple((org, path, depth) for _role, org, path, depth in rows),
        )

    def below(self, prefix: str) -> Q:
        """The organizations one level below those the person leads."""
        condition = Q(pk__in=[])
        for _org, path, depth in self.leading:
            condition |= Q(**{f"{prefix}path__startswith": path, f"{prefix}depth": depth + 1})
        return condition


class Words:
    """The wording of deadlines and reminders, translated, reversed and formatted once per run, not per row.

    A province's first sweep words a quarter of a million reminders from a few sentences, five
    addresses and a year's dates; the language is the one active when the run begins.
    """

    URL_MARK = 2147483647
    """An id no row has, reversed in the place of the real one."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._urls: dict[str, tuple[str, str]] = {}
        self._dates: dict[date, str] = {}

    def gettext(self, message: str) -> str:
        """`message` in the active language (makemessages finds the calls by this method's name)."""
        text = self._texts.get(message)
        if text is None:
            text = self._texts[message] = gettext(message)
        return text

    def url(self, name: str, pk: int) -> str:
        """reverse(name, args=[pk]) for a route whose only argument is an id."""
        parts = self._urls.get(name)
        if parts is None:
            before, mark, after = reverse(name, args=[self.URL_MARK]).partition(str(self.URL_MARK))
            assert mark, name
            parts = self._urls[name] = (before, after)
        return f"{parts[0]}{pk}{parts[1]}"

    def date(self, day: date) -> str:
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = date_format(day)
        return text


def _people(*groups: tuple[Role, Iterable[int]]) -> tuple[tuple[int, Role], ...]:
    return tuple((person, role) for role, persons in groups for person in persons)


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > LABEL_CHARS:
        text = text[: LABEL_CHARS - 1] + "…"
    return "「" + text + "」"


# Sources -----------------------------------------------------------------------------------------
#
# A source reads its open rows as dicts of the few values a deadline needs (model instances with
# their related rows cost more than the rest of a day's sweep over a province). Every row has its
# id as "pk" and its organization's path and name as "org_path" and "org_name".


@dataclass(frozen=True)
class Source:
    """One kind of deadline: its open rows, where their date is, and how a row becomes a Deadline."""

    name: str
    due_field: str
    rows: Callable[[date], QuerySet[Any, Any]]
    deadline: Callable[[dict[str, Any], Leaders, Words], Deadline]
    mine: Callable[[Mine], Q]


def _organization_of(prefix: str) -> dict[str, F]:
    return {"org_path": F(f"{prefix}path"), "org_name": F(f"{prefix}name")}


def _item_rows(today: date) -> QuerySet[Any, Any]:
    return ListItem.objects.filter(
        list__closed_at__isnull=True, next_due__isnull=False, list__organization__is_active=True
    ).values(
        "pk",
        "next_due",
        "content",
        "duty_type",
        "responsible_id",
        responsible_is_current=F("responsible__is_current"),
        responsible_person=F("responsible__person_id"),
        responsible_is_active=F("responsible__person__is_active"),
        **_organization_of("list__organization__"),
    )


def _item_deadline(item: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    # 主体责任 is the organization's own: its secretary answers for it, as for an item whose
    # responsible person has left the post.
    if (
        item["duty_type"] != DutyType.ORGANIZATION
        and item["responsible_id"] is not None
        and item["responsible_is_current"]
        and item["responsible_is_active"]
    ):
        owners = [item["responsible_person"]]
    else:
        owners = leaders.secretary(item["org_path"])
    return Deadline(
        key=f"item:{item['pk']}:{item['next_due'].isoformat()}",
        due=item["next_due"],
        kind="reminder.item",
        label=words.gettext("责任清单事项%(content)s") % {"content": _quoted(item["content"])},
        organization=item["org_name"],
        url=words.url("item_detail", item["pk"]),
        people=_people((Role.OWNER, owners)),
    )


def _report_rows(today: date) -> QuerySet[Any, Any]:
    return DutyReport.objects.filter(
        cycle__status=Cycle.Status.OPEN,
        status__in=[DutyReport.Status.DRAFT, DutyReport.Status.RETURNED],
        organization__is_active=True,
    ).values("pk", due=F("cycle__report_due"), cycle_title=F("cycle__title"), **_organization_of("organization__"))


def _report_deadline(report: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    return Deadline(
        key=f"report:{report['pk']}",
        due=report["due"],
        kind="reminder.report",
        label=words.gettext("述职报告%(cycle)s") % {"cycle": _quoted(report["cycle_title"])},
        organization=report["org_name"],
        url=words.url("report_edit", report["pk"]),
        people=_people((Role.OWNER, leaders.secretary(report["org_path"]))),
    )


def _scoring_rows(today: date) -> QuerySet[Any, Any]:
    # An assignment asks something of its reviewer only while they supervise the report's organization:
    # one whose position has ended is neither reminded nor shown the deadline in their calendar.
    return ReviewerAssignment.objects.filter(
        permissions.supervises_q("reviewer", "report__organization__path"),
        submitted_at__isnull=True,
        report__status=DutyReport.Status.SUBMITTED,
        report__cycle__status=Cycle.Status.OPEN,
    ).values(
        "pk",
        "reviewer_id",
        due=F("report__cycle__scoring_due"),
        reviewer_is_active=F("reviewer__is_active"),
        **_organization_of("report__organization__"),
    )


def _scoring_deadline(assignment: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    return Deadline(
        key=f"scoring:{assignment['pk']}",
        due=assignment["due"],
        kind="reminder.scoring",
        label=words.gettext("述职评分%(organization)s") % {"organization": _quoted(assignment["org_name"])},
        organization=assignment["org_name"],
        url=words.url("report_score", assignment["pk"]),
        people=_people((Role.OWNER, [assignment["reviewer_id"]] if assignment["reviewer_is_active"] else [])),
    )


def _ballot_rows(today: date) -> QuerySet[Any, Any]:
    # A closed window asks nothing more of anyone: no reminders after it.
    return Cycle.objects.filter(
        status=Cycle.Status.OPEN, ballot_closes__gte=today, organization__is_active=True
    ).values("pk", "ballot_closes", "title", **_organization_of("organization__"))


def _ballot_deadline(cycle: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    return Deadline(
        key=f"ballot:{cycle['pk']}",
        due=cycle["ballot_closes"],
        kind="reminder.ballot",
        label=words.gettext("民主测评%(cycle)s") % {"cycle": _quoted(cycle["title"])},
        organization=cycle["org_name"],
        url=words.url("ballot_codes", cycle["pk"]),
        people=_people((Role.OWNER, leaders.leading.get(cycle["org_path"], []))),
        remind_after=False,
    )


def _task_rows(today: date) -> QuerySet[Any, Any]:
    in_office = Position.objects.current().filter(person=OuterRef("responsible"), organization=OuterRef("organization"))
    return (
        RectificationTask.objects.exclude(status=RectificationTask.Status.ACCEPTED)
        .filter(organization__is_active=True)
        .values(
            "pk",
            "deadline",
            "title",
            "responsible_id",
            responsible_is_active=F("responsible__is_active"),
            responsible_in_office=Exists(in_office),
            responsible_name=F("responsible__full_name"),
            responsible_username=F("responsible__username"),
            **_organization_of("organization__"),
        )
    )


def _task_deadline(task: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    path = task["org_path"]
    # A responsible person whose position in the organization has ended no longer answers for the task:
    # its secretary does, as for a list item.
    if task["responsible_is_active"] and task["responsible_in_office"]:
        owners = [task["responsible_id"]]
    else:
        owners = leaders.secretary(path)
    return Deadline(
        key=f"task:{task['pk']}:{task['deadline'].isoformat()}",
        due=task["deadline"],
        kind="reminder.task",
        label=words.gettext("整改任务%(title)s") % {"title": _quoted(task["title"])},
        organization=task["org_name"],
        url=words.url("task_detail", task["pk"]),
        people=_people(
            (Role.OWNER, owners),
            (Role.SECRETARY, leaders.secretary(path)),
            (Role.COMMITTEE, leaders.committee_above(path)),
        ),
        # As User.__str__ gives it.
        responsible=task["responsible_name"] or task["responsible_username"],
    )


SOURCES: tuple[Source, ...] = (
    Source(
        name="items",
        due_field="next_due",
        rows=_item_rows,
        deadline=_item_deadline,
        mine=lambda mine: Q(responsible__person=mine.person) | Q(list__organization_id__in=mine.secretary_of),
    ),
    Source(
        name="reports",
        due_field="cycle__report_due",
        rows=_report_rows,
        deadline=_report_deadline,
        mine=lambda mine: Q(organization_id__in=mine.secretary_of),
    ),
    Source(
        name="scoring",
        due_field="report__cycle__scoring_due",
        rows=_scoring_rows,
        deadline=_scoring_deadline,
        mine=lambda mine: Q(reviewer=mine.person),
    ),
    Source(
        name="ballots",
        due_field="ballot_closes",
        rows=_ballot_rows,
        deadline=_ballot_deadline,
        mine=lambda mine: Q(organization_id__in=[org for org, _path, _depth in mine.leading]),
    ),
    Source(
        name="tasks",
        due_field="deadline",
        rows=_task_rows,
        deadline=_task_deadline,
        mine=lambda mine: (
            Q(responsible=mine.person) | Q(organization_id__in=mine.secretary_of) | mine.below("organization__")
        ),
    ),
)


# The sweep ---------------------------------------------------------------------------------------


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
            sent += _remind(deadlines, today=today, policy=policy, words=words)
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


def _remind(deadlines: list[Deadline], *, today: date, policy: Policy, words: Words) -> int:
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
    return _send(pending, today=today, words=words) if pending else 0


def _send(pending: list[_Plan], *, today: date, words: Words) -> int:
    """Writes the pending reminders and their sent-log rows in one transaction; returns how many were sent.

    The notifications are written first, so that each sent-log row is inserted with its
    notification (no second pass over the rows). A row another sweep logged first,
    committed while we were wording, is not inserted (the insert waits for that sweep's
    transaction and skips the conflict): its notification is taken back before we commit.
    """
    with transaction.atomic():
        recipients = User.objects.in_bulk({plan.person for plan in pending})
        now = timezone.now()
        written = notification_services.notify_many(
            [
                notification_services.Draft(
                    recipient=recipients[plan.person],
                    kind=plan.deadline.kind,
                    title=reminder_title(plan.deadline, today=today, words=words),
                    body=_body(plan, today=today, words=words),
                    url=plan.deadline.url,
                )
                for plan in pending
            ],
            at=now,
        )
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


def reminder_title(deadline: Deadline, *, today: date, words: Words) -> str:
    days = (deadline.due - today).days
    if days > 0:
        return words.gettext("%(label)s还有 %(days)s 天截止") % {"label": deadline.label, "days": days}
    if days == 0:
        return words.gettext("%(label)s今天截止") % {"label": deadline.label}
    return words.gettext("%(label)s已逾期 %(days)s 天") % {"label": deadline.label, "days": -days}


def _body(plan: _Plan, *, today: date, words: Words) -> str:
    deadline = plan.deadline
    overdue = (today - deadline.due).days
    lines = [
        words.gettext("党组织：%(organization)s") % {"organization": deadline.organization},
        words.gettext("截止日期：%(date)s") % {"date": words.date(deadline.due)},
    ]
    if plan.role is Role.COMMITTEE:
        lines.append(
            words.gettext("下级组织的整改任务已逾期 %(days)s 天（责任人：%(person)s），请挂牌督办。")
            % {"days": overdue, "person": deadline.responsible}
        )
    elif plan.role is Role.SECRETARY:
        lines.append(
            words.gettext("本组织的整改任务已逾期 %(days)s 天（责任人：%(person)s），请督促整改。")
            % {"days": overdue, "person": deadline.responsible}
        )
    elif overdue > 0:
        lines.append(words.gettext("已超过截止日期，请尽快办理。"))
    else:
        lines.append(words.gettext("请在截止日期前办理。"))
    return "\n".join(lines)


# The calendar ------------------------------------------------------------------------------------


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
