"""Reads that pages, exports and the duty report share. Each filters through accounts.permissions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any, cast

from django.conf import settings
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.figures_cache import cached_figures
from accounts.models import Organization, Position, User
from accounts.permissions import scope_for, scope_key, supervised_q
from rectification import rules, services
from rectification.models import (
    Disclosure,
    ExtensionRequest,
    Finding,
    Inspection,
    InspectionTarget,
    RectificationTask,
    TaskEvent,
    TaskEvidence,
)
from reviews.models import Cycle, DutyReport, Problem

# --- tasks: my tasks, the task page and its timeline --------------------------------

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


# --- board: the committee board, findings, ledger, disclosure --------------------------

RECENT_RECURRING = 10
"""How many recurring findings the board's "at a glance" panel shows."""


@dataclass(frozen=True)
class BoardFilters:
    """The board's and the ledger's filters; an empty value filters nothing."""

    year: int
    status: str = ""
    """A task status, or OPEN_STATUS for every task not yet closed."""
    overdue: bool = False
    escalated: bool = False
    weak: bool = False
    recurring: bool = False
    source: str = ""
    sector: str = ""


OPEN_STATUS = "open"


@dataclass
class BoardFigures:
    """Counts over a set of tasks (and their organizations' recurring findings) for one year."""

    tasks: int = 0
    open: int = 0
    overdue: int = 0
    escalated: int = 0
    awaiting_acceptance: int = 0
    accepted: int = 0
    weak: int = 0
    recurring_findings: int = 0

    def add(self, other: BoardFigures) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def _open_q() -> Q:
    return ~Q(status=RectificationTask.Status.ACCEPTED)


def overdue_q(today: date) -> Q:
    """Open past its deadline: rules.escalation is at least RESPONSIBLE."""
    return _open_q() & Q(deadline__lt=today)


def escalated_q(today: date, limits: rules.Limits) -> Q:
    """督办: rules.escalation reached COMMITTEE, or the committee put it under supervision."""
    return Q(supervised=True) | (_open_q() & Q(deadline__lte=today - timedelta(days=limits.committee_after)))


def weak_q(today: date, limits: rules.Limits) -> Q:
    """整改不力 exactly as rules.is_weak judges it."""
    too_late = _open_q() & Q(deadline__lte=today - timedelta(days=limits.weak_after))
    return Q(returned_count__gte=limits.weak_returns) | too_late


def _in_subtrees(roots: Sequence[Organization], prefix: str = "organization__") -> Q:
    condition = Q(pk__in=[])
    for root in roots:
        condition |= Q(**{f"{prefix}path__startswith": root.path})
    return condition


def _recurring_exists() -> Exists:
    return Exists(Finding.objects.filter(task=OuterRef("pk"), recurring_of__isnull=False))


def board_tasks(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, *, today: date, limits: rules.Limits
) -> QuerySet[RectificationTask]:
    """The supervised tasks of the roots' subtrees for the year, filtered; unordered and without joins."""
    tasks = RectificationTask.objects.filter(
        _in_subtrees(roots), supervised_q(user, "organization__"), year=filters.year
    ).order_by()
    if filters.status == OPEN_STATUS:
        tasks = tasks.filter(_open_q())
    elif filters.status:
        tasks = tasks.filter(status=filters.status)
    if filters.overdue:
        tasks = tasks.filter(overdue_q(today))
    if filters.escalated:
        tasks = tasks.filter(escalated_q(today, limits))
    if filters.weak:
        tasks = tasks.filter(weak_q(today, limits))
    if filters.recurring:
        tasks = tasks.filter(_recurring_exists())
    if filters.source:
        tasks = tasks.filter(Exists(Finding.objects.filter(task=OuterRef("pk"), source=filters.source)))
    if filters.sector:
        tasks = tasks.filter(organization__sector=filters.sector)
    return tasks


def board_table(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, *, today: date, limits: rules.Limits
) -> QuerySet[RectificationTask]:
    """The board's task table: open work first, the most urgent deadline first; one query a page."""
    closed_last = Case(When(status=RectificationTask.Status.ACCEPTED, then=Value(1)), default=Value(0))
    return (
        board_tasks(user, roots, filters, today=today, limits=limits)
        .select_related("organization", "responsible")
        .annotate(
            has_recurring=_recurring_exists(),
            closed_last=closed_last,
            responsible_in_office=services.responsible_in_office(),
        )
        .order_by("closed_last", "deadline", "organization__path", "id")
    )


def _group_key(roots: Sequence[Organization], field: str = "organization__path") -> Any:
    if len(roots) == 1:
        # One root: its own row plus one group per child subtree.
        return Substr(field, 1, len(roots[0].path) + Organization.steplen)
    lengths = {len(root.path) for root in roots}
    if len(lengths) == 1:
        return Substr(field, 1, lengths.pop())
    whens = [When(**{f"{field}__startswith": root.path}, then=Value(root.path)) for root in roots]
    return Case(*whens, default=Value(""))


def board_figures_cached(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, *, today: date, limits: rules.Limits
) -> dict[str, BoardFigures]:
    """board_figures_by_group, cached while no task or finding under the roots changes (BOARD_CACHE_SECONDS at most)."""
    # The scope is in the key: figures counted under a position that has since ended are never shown.
    key = "board:{}:{}:{}:{}:{}:{}".format(
        user.pk,
        scope_key(user),
        ",".join(str(root.pk) for root in roots),
        repr(filters),
        today.isoformat(),
        repr(limits),
    )
    figures, _hit = cached_figures(
        services.FIGURES_AREA,
        roots,
        hashlib.sha256(key.encode()).hexdigest(),
        settings.BOARD_CACHE_SECONDS,
        lambda: board_figures_by_group(user, roots, filters, today=today, limits=limits),
    )
    return figures


def board_figures_by_group(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, *, today: date, limits: rules.Limits
) -> dict[str, BoardFigures]:
    """Figures per group path (per child subtree for one root, per root for several) in two GROUP BY queries."""
    if not roots:
        return {}
    Status = RectificationTask.Status
    rows = (
        board_tasks(user, roots, filters, today=today, limits=limits)
        .values(group=_group_key(roots))
        .annotate(
            tasks=Count("id"),
            open=Count("id", filter=_open_q()),
            overdue=Count("id", filter=overdue_q(today)),
            escalated=Count("id", filter=escalated_q(today, limits)),
            awaiting_acceptance=Count("id", filter=Q(status=Status.AWAITING_ACCEPTANCE)),
            accepted=Count("id", filter=Q(status=Status.ACCEPTED)),
            weak=Count("id", filter=weak_q(today, limits)),
        )
        .order_by()
    )
    groups = {}
    for row in rows:
        values = cast(dict[str, Any], row)
        group = values.pop("group")
        groups[group] = BoardFigures(**values)
    for group, count in recurring_counts_by_group(user, roots, filters).items():
        groups.setdefault(group, BoardFigures()).recurring_findings = count
    return groups


def _board_findings(user: Any, roots: Sequence[Organization], filters: BoardFilters) -> QuerySet[Finding]:
    findings = Finding.objects.filter(_in_subtrees(roots), supervised_q(user, "organization__"))
    if filters.source:
        findings = findings.filter(source=filters.source)
    if filters.sector:
        findings = findings.filter(organization__sector=filters.sector)
    return findings


def recurring_counts_by_group(user: Any, roots: Sequence[Organization], filters: BoardFilters) -> dict[str, int]:
    """Recurring findings of the year per group path, like board_figures_by_group groups tasks."""
    rows = (
        _board_findings(user, roots, filters)
        .filter(year=filters.year, recurring_of__isnull=False)
        .values(group=_group_key(roots))
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["group"]: row["count"] for row in rows}


def recent_recurring_findings(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, limit: int = RECENT_RECURRING
) -> list[Finding]:
    """年年提问题、年年是问题 at a glance: the latest recurring findings with the earlier one they repeat."""
    return list(
        _board_findings(user, roots, filters)
        .filter(recurring_of__isnull=False)
        .select_related("organization", "category", "recurring_of")
        .order_by("-year", "-created_at", "-id")[:limit]
    )


def group_organizations(paths: Iterable[str]) -> dict[str, Organization]:
    """The organizations heading the board's groups, by path, in one query."""
    return {organization.path: organization for organization in Organization.objects.filter(path__in=sorted(paths))}


@dataclass(frozen=True)
class FindingFilters:
    year: int | None = None
    source: str = ""
    recurring: bool = False
    without_task: bool = False


def supervised_findings(user: Any, filters: FindingFilters) -> QuerySet[Finding]:
    """问题清单: findings in what the user supervises, by organization then newest first."""
    findings = Finding.objects.filter(supervised_q(user, "organization__"))
    if filters.year:
        findings = findings.filter(year=filters.year)
    if filters.source:
        findings = findings.filter(source=filters.source)
    if filters.recurring:
        findings = findings.filter(recurring_of__isnull=False)
    if filters.without_task:
        findings = findings.filter(task__isnull=True)
    return findings.select_related("organization", "category", "recurring_of", "task").order_by(
        "organization__path", "-year", "-created_at", "-id"
    )


FINDING_ORGANIZATIONS_LISTED = 300
"""How many supervised organizations the new-finding page lists; beyond that one types the code."""


def finding_organization_choices(user: Any, limit: int = FINDING_ORGANIZATIONS_LISTED) -> list[Organization]:
    """Active organizations the user supervises, in tree order, to raise a finding on."""
    return list(Organization.objects.filter(supervised_q(user), is_active=True).order_by("path")[:limit])


def current_people_of(organization: Organization) -> QuerySet[User]:
    """The people holding a current position in the organization: who may answer for its task."""
    return (
        User.objects.filter(positions__organization=organization, positions__is_current=True, is_active=True)
        .distinct()
        .order_by("full_name", "id")
    )


def findings_by_ids(ids: Iterable[int]) -> list[Finding]:
    """The findings chosen for a new task, with their organizations (callers check permissions)."""
    return list(Finding.objects.filter(pk__in=list(ids)).select_related("organization", "category").order_by("id"))


@dataclass(frozen=True)
class ProblemLine:
    problem: Problem
    finding: Finding | None
    """The finding the problem already became, if any."""


def report_problems(report: DutyReport) -> list[ProblemLine]:
    """A review's problems, each with the finding it already became (two queries)."""
    findings = Finding.objects.filter(problem__report=report).select_related("category", "task")
    by_problem = {finding.problem_id: finding for finding in findings}
    return [ProblemLine(problem, by_problem.get(problem.pk)) for problem in report.problems.order_by("order", "id")]


def _findings_in_order() -> Prefetch:
    return Prefetch("findings", queryset=Finding.objects.order_by("id"))


def ledger_tasks(
    user: Any, roots: Sequence[Organization], filters: BoardFilters, *, today: date, limits: rules.Limits
) -> QuerySet[RectificationTask]:
    """整改台账: the board's tasks with their findings and latest progress text; two queries a chunk."""
    progress = TaskEvent.objects.filter(task=OuterRef("pk"), kind=TaskEvent.Kind.PROGRESS)
    latest_progress = progress.order_by("-at", "-id").values("text")
    return (
        board_tasks(user, roots, filters, today=today, limits=limits)
        .select_related("organization", "responsible")
        .annotate(latest_progress=Subquery(latest_progress[:1]))
        .prefetch_related(_findings_in_order())
        .order_by("organization__path", "deadline", "id")
    )


def disclosure_of(organization: Organization, year: int) -> Disclosure | None:
    return Disclosure.objects.filter(organization=organization, year=year).first()


def disclosed_tasks(organization: Organization, year: int) -> list[RectificationTask]:
    """An organization's tasks of a year with their findings, as the public page and its preview show them."""
    return list(
        organization.rectification_tasks.filter(year=year)
        .select_related("responsible")
        .prefetch_related(_findings_in_order())
        .order_by("deadline", "id")
    )


def published_disclosure(code: str, year: int) -> Disclosure | None:
    """A published rectification list of an active organization, or None."""
    return (
        Disclosure.objects.filter(organization__code=code, year=year, organization__is_active=True)
        .select_related("organization")
        .first()
    )


def published_disclosures() -> QuerySet[Disclosure]:
    """党务公开: every published rectification list, newest year first."""
    return (
        Disclosure.objects.filter(organization__is_active=True)
        .select_related("organization")
        .order_by("-year", "organization__path")
    )


# --- inspections ---------------------------------------------------------------------

# How many organizations of a subtree the new-inspection page lists at once; a search narrows it.
TARGET_CHOICES_SHOWN = 200


def inspections_q(user: Any) -> Q:
    """The inspections a user follows: those of committees they keep (MANAGE) or supervise (from above, or by grant)."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    return Q(organization__path__in=sorted(scope.manage_paths)) | supervised_q(user, "organization__")


def _counted(rows: QuerySet[Any], key: str) -> Coalesce:
    """A correlated COUNT subquery, so two relations are counted side by side without multiplying rows."""
    return Coalesce(Subquery(rows.order_by().values(key).annotate(total=Count("pk")).values("total")), 0)


def inspections_for(user: Any) -> QuerySet[Inspection]:
    """The inspections the user follows, newest first, with their organization and finding counts."""
    targets = InspectionTarget.objects.filter(inspection=OuterRef("pk"))
    findings = Finding.objects.filter(inspection=OuterRef("pk"))
    return (
        Inspection.objects.filter(inspections_q(user))
        .select_related("organization")
        .annotate(target_count=_counted(targets, "inspection"), finding_count=_counted(findings, "inspection"))
        .order_by("-planned_on", "-id")
    )


def subtree_below(committee: Organization, text: str = "") -> QuerySet[Organization]:
    """The active organizations below COMMITTEE, in tree order, optionally those whose name or code has TEXT."""
    rows = Organization.objects.filter(path__startswith=committee.path, is_active=True).exclude(pk=committee.pk)
    text = text.strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(code__icontains=text))
    return rows.order_by("path")


def direct_children(committee: Organization) -> QuerySet[Organization]:
    """The active organizations directly below COMMITTEE (全部直属下级)."""
    return subtree_below(committee).filter(depth=committee.depth + 1)


def rubric_cycles(committee: Organization) -> QuerySet[Cycle]:
    """The committee's review cycles, whose indicators a checklist may copy."""
    return Cycle.objects.filter(organization=committee).order_by("-year", "-id")


def indicator_names(cycle: Cycle) -> list[str]:
    return list(cycle.indicators.order_by("order", "id").values_list("name", flat=True))


def inspection_targets(inspection: Inspection) -> QuerySet[InspectionTarget]:
    """The organizations inspected, in tree order, each with the number of findings this inspection raised there."""
    findings = Finding.objects.filter(inspection=OuterRef("inspection"), organization=OuterRef("organization"))
    return (
        inspection.targets.select_related("organization")
        .annotate(finding_count=_counted(findings, "organization"))
        .order_by("organization__path")
    )


def inspection_findings(inspection: Inspection, organization: Organization | None = None) -> QuerySet[Finding]:
    """Findings raised in the inspection (at one organization if given), with what the page shows of each."""
    findings = inspection.findings.select_related("organization", "category", "task")
    if organization is not None:
        findings = findings.filter(organization=organization)
    return findings.order_by("organization__path", "id")


@dataclass(frozen=True)
class DrawCheck:
    """复核抽取: today's re-run of a recorded random draw against the organizations it recorded."""

    matches: bool
    drawn: list[Organization]


def draw_check(inspection: Inspection) -> DrawCheck:
    """Re-runs the draw with its seed; it matches unless the subtree changed since."""
    drawn_ids = services.redraw(inspection)
    recorded = set(inspection.targets.values_list("organization_id", flat=True))
    matches = len(drawn_ids) == len(recorded) and set(drawn_ids) == recorded
    return DrawCheck(matches=matches, drawn=list(Organization.objects.filter(pk__in=drawn_ids).order_by("path")))


# --- carried into the next duty report -------------------------------------------------


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
            )
        )
    return rows
