"""Reads of 整改任务 for the people who keep them: 我的整改, the task page and its timeline, the home page's part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Position
from accounts.permissions import scope_for, supervised_q
from rectification import rules, services
from rectification.models import (
    ExtensionRequest,
    Finding,
    RectificationTask,
    TaskEvent,
    TaskEvidence,
)

TaskStatus = RectificationTask.Status
HOME_TASKS_SHOWN = 5
"""How many escalated tasks and pending extensions the home page lists; the rest are a link away."""


@dataclass(frozen=True)
class TaskLine:
    """A task with what time has made of it: days overdue, who it has climbed to, 整改不力."""

    task: RectificationTask
    overdue_days: int
    escalation: rules.Escalation
    is_weak: bool
    is_mine: bool = False

    @property
    def is_overdue(self) -> bool:
        return self.overdue_days > 0

    @property
    def is_escalated(self) -> bool:
        """Past the point where the organization's secretary is told to press for it."""
        return self.escalation >= rules.Escalation.SECRETARY

    @property
    def escalation_label(self) -> str:
        return {
            rules.Escalation.NONE: "",
            rules.Escalation.RESPONSIBLE: _("提醒责任人"),
            rules.Escalation.SECRETARY: _("提醒组织书记"),
            rules.Escalation.COMMITTEE: _("上级党组织督办"),
        }[self.escalation]

    @property
    def next_step(self) -> str:
        """What the task waits for, in the words of its workflow."""
        task = self.task
        if task.status == TaskStatus.AWAITING_PLAN:
            return _("制定整改方案")
        if task.status == TaskStatus.IN_PROGRESS:
            return _("申请销号") if getattr(task, "has_evidence", False) else _("报告进展")
        if task.status == TaskStatus.AWAITING_ACCEPTANCE:
            return _("等待验收")
        return _("已销号")


def task_line(task: RectificationTask, *, today: date, limits: rules.Limits, user: Any = None) -> TaskLine:
    return TaskLine(
        task=task,
        overdue_days=task.overdue_days(today),
        escalation=rules.escalation(deadline=task.deadline, is_open=task.is_open, today=today, limits=limits),
        is_weak=rules.is_weak(
            deadline=task.deadline, is_open=task.is_open, returned=task.returned_count, today=today, limits=limits
        ),
        is_mine=user is not None and task.responsible_id == user.pk,
    )


def with_task_flags(tasks: QuerySet[RectificationTask]) -> QuerySet[RectificationTask]:
    """Annotates `has_evidence` and `pending_extension` so a list of tasks costs one query."""
    return tasks.annotate(
        has_evidence=Exists(TaskEvidence.objects.filter(event__task=OuterRef("pk"))),
        pending_extension=Exists(
            ExtensionRequest.objects.filter(task=OuterRef("pk"), status=ExtensionRequest.Status.PENDING)
        ),
    )


@dataclass
class MyTasks:
    mine: list[TaskLine]
    """Open tasks the user is responsible for, the most overdue first."""
    organizations: list[TaskLine]
    """Open tasks of the organizations the user keeps (others' tasks), the escalated first."""
    closed: list[TaskLine]
    """This year's accepted tasks of either kind, the latest first."""
    keeps_any: bool


def _answered_by(user: Any) -> Q:
    """Tasks the user is the responsible person of now (`services.answers_for`): not those of a post they left."""
    in_office = Position.objects.current().filter(person_id=user.pk, organization=OuterRef("organization"))
    return Q(responsible_id=user.pk) & Q(Exists(in_office))


def my_tasks(user: Any, today: date) -> MyTasks:
    """我的整改: two queries whatever the number of tasks."""
    limits = rules.Limits.from_settings()
    scope = scope_for(user)
    kept = _answered_by(user)
    if scope.manage_paths:
        kept |= Q(organization__path__in=sorted(scope.manage_paths))
    tasks = (
        RectificationTask.objects.filter(kept)
        .select_related("organization", "responsible")
        .annotate(responsible_in_office=services.responsible_in_office())
    )
    mine: list[TaskLine] = []
    organizations: list[TaskLine] = []
    for task in with_task_flags(tasks.exclude(status=TaskStatus.ACCEPTED)):
        line = task_line(task, today=today, limits=limits, user=user)
        (mine if line.is_mine else organizations).append(line)
    mine.sort(key=lambda line: (-line.overdue_days, line.task.deadline, line.task.pk))
    organizations.sort(
        key=lambda line: (not line.is_escalated, -line.overdue_days, line.task.organization.path, line.task.deadline)
    )
    closed = [
        task_line(task, today=today, limits=limits, user=user)
        for task in tasks.filter(status=TaskStatus.ACCEPTED, accepted_at__year=today.year).order_by("-accepted_at")
    ]
    return MyTasks(mine=mine, organizations=organizations, closed=closed, keeps_any=bool(scope.manage_paths))


@dataclass
class TaskPage:
    line: TaskLine
    findings: list[Finding]
    events: list[TaskEvent]
    """The whole timeline, oldest first, each event with its evidence prefetched."""
    extensions: list[ExtensionRequest]

    @property
    def task(self) -> RectificationTask:
        return self.line.task

    @property
    def pending_extension(self) -> ExtensionRequest | None:
        return next((ext for ext in self.extensions if ext.status == ExtensionRequest.Status.PENDING), None)

    @property
    def has_evidence(self) -> bool:
        return any(event.evidence.all() for event in self.events)

    @property
    def evidence(self) -> list[TaskEvidence]:
        """Every file of the timeline, oldest first: what the committee weighs before accepting."""
        return [file for event in self.events for file in event.evidence.all()]

    @property
    def last_submit(self) -> TaskEvent | None:
        """The latest 销号 application, while it awaits the committee's acceptance."""
        if self.task.status != TaskStatus.AWAITING_ACCEPTANCE:
            return None
        submits = [event for event in self.events if event.kind == TaskEvent.Kind.SUBMITTED]
        return submits[-1] if submits else None

    @property
    def last_return(self) -> TaskEvent | None:
        """The latest 退回, whose reason the organization works to while the task is back in progress."""
        returns = [event for event in self.events if event.kind == TaskEvent.Kind.RETURNED]
        return returns[-1] if returns else None

    @property
    def return_to_answer(self) -> TaskEvent | None:
        """The latest 退回 while the task is back at work on it (in progress); None once it moved on."""
        return self.last_return if self.task.status == TaskStatus.IN_PROGRESS else None


def task_page(task: RectificationTask, today: date) -> TaskPage:
    """Findings, timeline with evidence and extension history: four queries however long the timeline."""
    findings = list(task.findings.select_related("category", "recurring_of", "inspection").order_by("id"))
    events = list(task.events.select_related("by").prefetch_related("evidence").order_by("at", "id"))
    extensions = list(task.extensions.select_related("requested_by", "decided_by").order_by("id"))
    line = task_line(task, today=today, limits=rules.Limits.from_settings())
    return TaskPage(line=line, findings=findings, events=events, extensions=extensions)


@dataclass
class HomeTasks:
    open_count: int
    overdue_count: int
    escalated: list[TaskLine]
    """Others' tasks of the organizations the user keeps, overdue long enough to reach their secretary."""
    to_accept: int | None = None
    """Committees: tasks awaiting acceptance in what they supervise (None for everyone else)."""
    extension_count: int = 0
    extensions: list[ExtensionRequest] | None = None

    @property
    def shown(self) -> bool:
        return bool(self.open_count or self.escalated or self.to_accept is not None)


def home_tasks(user: Any, today: date) -> HomeTasks:
    """The home page's 整改 part: at most four queries whatever the number of tasks."""
    limits = rules.Limits.from_settings()
    scope = scope_for(user)
    mine = RectificationTask.objects.filter(_answered_by(user)).exclude(status=TaskStatus.ACCEPTED)
    counts = mine.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=today)))
    escalated: list[TaskLine] = []
    if scope.manage_paths and not scope.is_admin:
        late = (
            RectificationTask.objects.filter(
                organization__path__in=sorted(scope.manage_paths),
                deadline__lte=today - timedelta(days=limits.secretary_after),
            )
            .exclude(status=TaskStatus.ACCEPTED)
            .exclude(responsible_id=user.pk)  # counted above as the user's own
            .select_related("organization", "responsible")
            .order_by("deadline", "id")[:HOME_TASKS_SHOWN]
        )
        escalated = [task_line(task, today=today, limits=limits, user=user) for task in late]
    waiting = HomeTasks(open_count=counts["open"], overdue_count=counts["overdue"], escalated=escalated)
    if scope.is_committee:
        supervised = RectificationTask.objects.filter(supervised_q(user, "organization__"))
        totals = supervised.aggregate(
            to_accept=Count("pk", filter=Q(status=TaskStatus.AWAITING_ACCEPTANCE), distinct=True),
            extensions=Count("extensions", filter=Q(extensions__status=ExtensionRequest.Status.PENDING), distinct=True),
        )
        waiting.to_accept = totals["to_accept"]
        waiting.extension_count = totals["extensions"]
        waiting.extensions = list(
            ExtensionRequest.objects.filter(
                supervised_q(user, "task__organization__"), status=ExtensionRequest.Status.PENDING
            )
            .select_related("task__organization")
            .order_by("id")[:HOME_TASKS_SHOWN]
        )
    return waiting
