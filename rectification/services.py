"""Every write of 督查 and 整改: inspections, findings, tasks and their timeline, extensions, disclosure.

Views ask rectification.access who may act (the organization's people keep their tasks,
only the committee above — SUPERVISE — raises findings, creates, accepts or returns
tasks); these functions check their actor again through accounts.permissions, so a call
from a task, a command or a future API is refused like a page (PermissionDenied). They
hold the rules and refuse with a DomainError whose message is shown to the person. A
task's own steps are checked against the actor's current positions (its responsible
person acts on it only while holding a position in its organization), so a stale page
is refused with a message. Each runs in one transaction: a refusal changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from types import EllipsisType
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.figures_cache import mark_changed
from accounts.models import Organization, Position, User
from foundation.concurrency import fingerprint
from foundation.errors import DomainError, clean_text, transition
from foundation.files import evidence_check
from notifications.services import notify

# The inspections' writes live beside these; every write of the app is reached as services.x.
from rectification import texts
from rectification.inspection_services import follows_inspection as follows_inspection
from rectification.inspection_services import inspection_complete as inspection_complete
from rectification.inspection_services import inspection_plan as inspection_plan
from rectification.inspection_services import inspection_record as inspection_record
from rectification.inspection_services import redraw as redraw
from rectification.models import (
    Disclosure,
    ExtensionRequest,
    Finding,
    Inspection,
    RectificationTask,
    TaskEvent,
    TaskEvidence,
)
from responsibility.models import Category
from reviews.models import Problem
from similarity.text import problem_likeness

TaskStatus = RectificationTask.Status
Kind = TaskEvent.Kind

# The one place that says which task transitions are allowed: the steps that move a task on, (from, to) ...
TASK_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "plan": (frozenset({TaskStatus.AWAITING_PLAN}), TaskStatus.IN_PROGRESS),
    "submit": (frozenset({TaskStatus.IN_PROGRESS}), TaskStatus.AWAITING_ACCEPTANCE),
    "return": (frozenset({TaskStatus.AWAITING_ACCEPTANCE}), TaskStatus.IN_PROGRESS),
    "accept": (frozenset({TaskStatus.AWAITING_ACCEPTANCE}), TaskStatus.ACCEPTED),
}
OPEN_STATES = frozenset(TaskStatus.values) - {TaskStatus.ACCEPTED}
# ... and the states in which the steps that leave its state as it is may be taken.
TASK_STEPS: dict[str, frozenset[str]] = {
    "progress": frozenset({TaskStatus.IN_PROGRESS}),
    "extend": OPEN_STATES,
    "supervise": OPEN_STATES,
    # A closed task can be 整改不力 (returned too often), and a request pending when it closed is still decided.
    "measure": frozenset(TaskStatus.values),
    "decide": frozenset(TaskStatus.values),
}
MAX_TASK_FILES = 10
MAX_TEXT = 5000


def _transition(action: str, task: RectificationTask) -> str:
    if action == "submit" and task.status == TaskStatus.AWAITING_ACCEPTANCE:
        raise DomainError(_("已申请销号，正在等待上级验收，无需重复提交。"))
    return transition(TASK_TRANSITIONS, action, task.status, task.get_status_display())


def task_steps_open(task: RectificationTask, *, pending_extension: bool, weak: bool) -> frozenset[str]:
    """The steps the tables open in the task's state, less those its present facts close: one extension request
    at a time, 挂牌督办 once, 问责措施 only on 整改不力 (PENDING_EXTENSION and WEAK are the caller's to know)."""
    steps = {action for action, (sources, _target) in TASK_TRANSITIONS.items() if task.status in sources}
    steps |= {action for action, sources in TASK_STEPS.items() if task.status in sources}
    closed_by_facts = {
        "extend": pending_extension,
        "decide": not pending_extension,
        "supervise": task.supervised,
        "measure": not weak,
    }
    return frozenset(step for step in steps if not closed_by_facts.get(step, False))


def _tell_responsible(task: RectificationTask, kind: str, reason: str = "") -> None:
    """The responsible person hears of it in the same transaction; delivery follows the commit."""
    # The kind names the message too (notifications.messages).
    params = {"title": task.title, "reason": reason}
    notify(recipient=task.responsible, kind=kind, key=kind, params=params, url=reverse("task_detail", args=[task.pk]))


def responsible_in_office() -> Exists:
    """An annotation of tasks: whether the responsible person still holds a position in the task's organization,
    as naming them required (`task_create`). False marks one whose position has ended (已离任)."""
    return Exists(
        Position.objects.current().filter(person=OuterRef("responsible"), organization=OuterRef("organization"))
    )


def answers_for(user: Any, task: RectificationTask) -> bool:
    """Whether the user is the task's responsible person now: named on it and still in office in its organization.

    The task keeps naming them once their position has ended (history); it no longer lets them act.
    """
    return (
        task.responsible_id == user.pk
        and Position.objects.current().filter(person_id=user.pk, organization_id=task.organization_id).exists()
    )


def keeps(user: Any, task: RectificationTask) -> bool:
    """The task's own steps (plan, progress, submit, extension): those who keep the organization's work, and the
    responsible person while in office."""
    return permissions.can(user, permissions.Action.MANAGE, task.organization) or answers_for(user, task)


def _check_supervises(by: User, organization: Organization) -> None:
    """The committee's acts (findings, tasks, acceptance, disclosure) are for those who supervise the organization."""
    if not permissions.can(by, permissions.Action.SUPERVISE, organization):
        raise PermissionDenied


def _check_keeps(task: RectificationTask, by: User) -> None:
    if not keeps(by, task):
        raise DomainError(
            _("只有仍在%(org)s任职的整改责任人和负责该组织工作的人员可以办理此整改任务。")
            % {"org": task.organization.name}
        )


FIGURES_AREA = "rectification"
"""The change marks (accounts.figures_cache) that task steps and new findings set and the board's figures read."""


def _event(task: RectificationTask, kind: str, by: User, text: str = "") -> TaskEvent:
    # Every change to a task is an event, so this is where the boards above it learn of it.
    mark_changed(FIGURES_AREA, [task.organization])
    return TaskEvent.objects.create(task=task, kind=kind, by=by, text=text)


# 问题清单 --------------------------------------------------------------------


Recurrence = Finding.Recurrence

RECURRING_SAME_CATEGORY = 55
"""Likeness (problem_likeness, 0–100) at which an earlier finding of the same category is suggested: the
category already says both are about the same work, so the words need agree less."""
RECURRING_OTHER_CATEGORY = 70
"""Likeness at which an earlier finding of another category is suggested: the words alone make the case
(a category is often chosen differently from one year to the next), so they must agree more."""


def earlier_alike(
    organization: Organization,
    year: int,
    description: str,
    category: Category,
    *,
    passed_over: int | None = None,
) -> tuple[Finding, int] | None:
    """The organization's finding of an earlier year worded most like DESCRIPTION, with its likeness, if alike
    enough (same category: RECURRING_SAME_CATEGORY, else RECURRING_OTHER_CATEGORY); ties go to the latest year.

    PASSED_OVER is an earlier finding the committee said is not the same problem. One query: a branch has few.
    """
    earlier = Finding.objects.filter(organization=organization, year__lt=year).only("year", "description", "category")
    if passed_over is not None:
        earlier = earlier.exclude(pk=passed_over)
    best: tuple[tuple[int, int, int], Finding, int] | None = None
    for candidate in earlier:
        likeness = problem_likeness(description, candidate.description)
        needed = RECURRING_SAME_CATEGORY if candidate.category_id == category.pk else RECURRING_OTHER_CATEGORY
        if likeness < needed:
            continue
        rank = (likeness, candidate.year, candidate.pk)
        if best is None or rank > best[0]:
            best = (rank, candidate, likeness)
    return (best[1], best[2]) if best else None


def _link_recurrence(finding: Finding) -> None:
    """Links the finding to the earlier one it is worded like, as a suggestion for the committee (unsaved).

    A confirmed link found again stays confirmed. A rejected link stays as it is unless another earlier
    finding is alike: the one the committee rejected is never suggested again for this finding.
    """
    rejected = finding.recurring_of_id if finding.recurring_state == Recurrence.REJECTED else None
    found = earlier_alike(
        finding.organization, finding.year, finding.description, finding.category, passed_over=rejected
    )
    if found is None:
        if rejected is None:
            finding.recurring_of, finding.recurring_likeness, finding.recurring_state = None, None, ""
        return
    earlier, likeness = found
    confirmed = finding.recurring_state == Recurrence.CONFIRMED and finding.recurring_of_id == earlier.pk
    finding.recurring_of, finding.recurring_likeness = earlier, likeness
    finding.recurring_state = Recurrence.CONFIRMED if confirmed else Recurrence.SUGGESTED


RECURRENCE_FIELDS = ["recurring_of", "recurring_likeness", "recurring_state"]


@transaction.atomic
def finding_recurrence_refresh(*, finding: Finding) -> Finding:
    """Looks again for the earlier finding this one is worded like, after its description changed (a service
    that changes it calls this in its transaction)."""
    locked = Finding.objects.select_for_update().select_related("organization", "category").get(pk=finding.pk)
    _link_recurrence(locked)
    locked.save(update_fields=RECURRENCE_FIELDS)
    mark_changed(FIGURES_AREA, [locked.organization])
    return locked


@transaction.atomic
def finding_raise(
    *,
    organization: Organization,
    year: int,
    source: str,
    description: str,
    category: Category,
    by: User,
    severity: str = Finding.Severity.MINOR,
    inspection: Inspection | None = None,
    problem: Problem | None = None,
) -> Finding:
    """Records a problem; one worded like an earlier year's finding of the organization is linked to it for the
    committee to confirm (`finding_recurrence_confirm`)."""
    _check_supervises(by, organization)
    if source not in Finding.Source.values:
        raise DomainError(_("请选择问题来源。"))
    if severity not in Finding.Severity.values:
        raise DomainError(_("请选择严重程度。"))
    if inspection is not None and not inspection.targets.filter(organization=organization).exists():
        raise DomainError(_("该组织不在本次督查范围内。"))
    mark_changed(FIGURES_AREA, [organization])
    finding = Finding(
        organization=organization,
        year=year,
        source=source,
        description=clean_text(description, field=_("问题描述"), max_length=MAX_TEXT),
        category=category,
        severity=severity,
        inspection=inspection,
        problem=problem,
        created_by=by,
    )
    _link_recurrence(finding)
    finding.save()
    return finding


@transaction.atomic
def finding_from_problem(*, problem: Problem, category: Category, by: User, severity: str = "minor") -> Finding:
    """Turns a problem named in a review's 点评意见 into a finding without retyping it (once)."""
    _check_supervises(by, problem.report.organization)
    if Finding.objects.filter(problem=problem).exists():
        raise DomainError(_("该问题已列入问题清单。"))
    report = problem.report
    return finding_raise(
        organization=report.organization,
        year=report.cycle.year,
        source=Finding.Source.REVIEW,
        description=problem.text,
        category=category,
        severity=severity,
        problem=problem,
        by=by,
    )


def _recurrence_locked(finding: Finding, by: User) -> Finding:
    locked = Finding.objects.select_for_update().select_related("organization").get(pk=finding.pk)
    _check_supervises(by, locked.organization)
    if locked.recurring_of_id is None or locked.recurring_state not in (Recurrence.SUGGESTED, Recurrence.CONFIRMED):
        raise DomainError(_("该问题没有待确认的往年相似问题。"))
    return locked


def _recurrence_decide(finding: Finding, state: str) -> Finding:
    finding.recurring_state = state
    finding.save(update_fields=["recurring_state"])
    # The board counts confirmed links only: its figures change with the committee's word.
    mark_changed(FIGURES_AREA, [finding.organization])
    return finding


@transaction.atomic
def finding_recurrence_confirm(*, finding: Finding, by: User) -> Finding:
    """确认是同一问题: the committee says the earlier finding was the same problem; it now counts as 年年是问题."""
    return _recurrence_decide(_recurrence_locked(finding, by), Recurrence.CONFIRMED)


@transaction.atomic
def finding_recurrence_reject(*, finding: Finding, by: User) -> Finding:
    """不是同一问题: the link is kept as rejected, counts nowhere, and that earlier finding is not suggested again."""
    return _recurrence_decide(_recurrence_locked(finding, by), Recurrence.REJECTED)


# 整改任务 --------------------------------------------------------------------


def _check_deadline(deadline: date) -> None:
    if deadline < timezone.localdate():
        raise DomainError(_("整改时限不能早于今天。"))


@transaction.atomic
def task_create(
    *,
    findings: Sequence[Finding],
    title: str,
    responsible: User,
    deadline: date,
    by: User,
    leader: User | None = None,
) -> RectificationTask:
    """Assigns one or more findings of one organization to a responsible person with a deadline."""
    findings = list(Finding.objects.select_for_update().filter(pk__in=[finding.pk for finding in findings]))
    if not findings:
        raise DomainError(_("请至少选择一个问题。"))
    organizations = {finding.organization_id for finding in findings}
    if len(organizations) != 1:
        raise DomainError(_("一个整改任务只能针对同一个组织的问题。"))
    if any(finding.task_id for finding in findings):
        raise DomainError(_("所选问题中有已下达整改任务的。"))
    _check_deadline(deadline)
    organization = findings[0].organization
    _check_supervises(by, organization)
    if not organization.positions.current().filter(person=responsible).exists():
        raise DomainError(_("责任人须是%(org)s的现任人员。") % {"org": organization.name})
    task = RectificationTask.objects.create(
        organization=organization,
        year=max(finding.year for finding in findings),
        title=clean_text(title, field=_("整改事项"), max_length=200),
        responsible=responsible,
        leader=leader,
        deadline=deadline,
        created_by=by,
    )
    Finding.objects.filter(pk__in=[finding.pk for finding in findings]).update(task=task)
    _event(task, Kind.CREATED, by)
    _tell_responsible(task, "task_created")
    return task


# The task's fields that any step changes or is decided on. With the extension request awaiting a decision
# (asking for and deciding one change no task field) their fingerprint is the version of the task page a
# person acted on. Progress reports only add to the timeline: two side by side are both kept, neither stale.
TASK_FIELDS = (
    "title",
    "measures",
    "standard",
    "commitment",
    "responsible",
    "leader",
    "deadline",
    "status",
    "returned_count",
    "supervised",
)


class TaskChanged(DomainError):
    """Someone changed the task after the page was loaded: the step is refused, the typed text kept."""


def task_fingerprint(task: RectificationTask, pending: ExtensionRequest | EllipsisType | None = ...) -> str:
    """The task's version: its fields and its pending extension request (looked up unless the caller has it)."""
    if isinstance(pending, EllipsisType):
        pending = task.extensions.filter(status=ExtensionRequest.Status.PENDING).first()
    fields = fingerprint(task, TASK_FIELDS)
    return hashlib.sha256(f"{fields}:{pending.pk if pending else ''}".encode()).hexdigest()


def _locked(task: RectificationTask, expected: str | None = None) -> RectificationTask:
    """Re-reads the task under a row lock; ``expected`` is the version the form was loaded with.

    When the task changed since (someone else took a step), the step is refused rather than taken on a
    state the person never saw; None skips the check.
    """
    locked = RectificationTask.objects.select_for_update().select_related("organization").get(pk=task.pk)
    if expected is not None and task_fingerprint(locked) != expected:
        raise TaskChanged(_("该整改任务已被他人修改，请核对后再提交；您填写的内容仍保留在下方。"))
    return locked


@transaction.atomic
def task_plan(
    *, task: RectificationTask, measures: str, standard: str, commitment: str, by: User, expected: str | None = None
) -> RectificationTask:
    """制定整改方案: measures, the standard of completion and the commitment; work starts."""
    locked = _locked(task, expected)
    _check_keeps(locked, by)
    target = _transition("plan", locked)
    locked.measures = clean_text(measures, field=_("整改措施"), max_length=MAX_TEXT)
    locked.standard = clean_text(standard, field=_("整改标准"), max_length=MAX_TEXT)
    locked.commitment = clean_text(commitment, field=_("整改承诺"), max_length=MAX_TEXT)
    locked.status = target
    locked.save(update_fields=["measures", "standard", "commitment", "status"])
    _event(locked, Kind.PLANNED, by, locked.measures)
    texts.measures_compared(locked)
    return locked


def _attach(event: TaskEvent, checked: Sequence[tuple[UploadedFile, str]]) -> None:
    """Stores files already checked by `evidence_check`, each with the type sniffed from it."""
    if len(checked) > MAX_TASK_FILES:
        raise DomainError(_("每次最多上传 %(max)s 个文件。") % {"max": MAX_TASK_FILES})
    for upload, mime in checked:
        TaskEvidence.objects.create(
            event=event, file=upload, original_name=(upload.name or "")[:200], content_type=mime, size=upload.size or 0
        )


@transaction.atomic
def task_progress(
    *,
    task: RectificationTask,
    text: str,
    by: User,
    files: Sequence[UploadedFile] = (),
    expected: str | None = None,
) -> TaskEvent:
    """报告进展 with evidence, while the work is in progress."""
    locked = _locked(task, expected)
    _check_keeps(locked, by)
    if locked.status not in TASK_STEPS["progress"]:
        raise DomainError(_("只有整改中的任务可以报告进展。"))
    text = clean_text(text, field=_("进展情况"), max_length=MAX_TEXT)
    checked = [(upload, evidence_check(upload)) for upload in files]
    event = _event(locked, Kind.PROGRESS, by, text)
    _attach(event, checked)
    return event


@transaction.atomic
def task_submit(*, task: RectificationTask, text: str, by: User, expected: str | None = None) -> RectificationTask:
    """申请销号: only with evidence of the work on record."""
    locked = _locked(task, expected)
    _check_keeps(locked, by)
    target = _transition("submit", locked)
    if not TaskEvidence.objects.filter(event__task=locked).exists():
        raise DomainError(_("申请销号前，请先在“报告进展”中上传整改佐证材料。"))
    locked.status = target
    locked.save(update_fields=["status"])
    event = _event(locked, Kind.SUBMITTED, by, clean_text(text, field=_("整改完成情况"), max_length=MAX_TEXT))
    texts.result_compared(locked, event.text)
    return locked


@transaction.atomic
def task_return(*, task: RectificationTask, reason: str, by: User, expected: str | None = None) -> RectificationTask:
    """退回: not done to standard; back to work, and the return counts towards 整改不力."""
    _check_supervises(by, task.organization)
    reason = clean_text(reason, field=_("退回理由"), max_length=MAX_TEXT)
    locked = _locked(task, expected)
    locked.status = _transition("return", locked)
    locked.returned_count += 1
    locked.save(update_fields=["status", "returned_count"])
    _event(locked, Kind.RETURNED, by, reason)
    _tell_responsible(locked, "task_returned", reason)
    return locked


@transaction.atomic
def task_accept(
    *, task: RectificationTask, by: User, comment: str = "", expected: str | None = None
) -> RectificationTask:
    """验收销号: the committee accepts the rectification and closes the task."""
    _check_supervises(by, task.organization)
    locked = _locked(task, expected)
    locked.status = _transition("accept", locked)
    locked.accepted_at = timezone.now()
    locked.accepted_by = by
    locked.save(update_fields=["status", "accepted_at", "accepted_by"])
    _event(locked, Kind.ACCEPTED, by, (comment or "").strip()[:5000])
    _tell_responsible(locked, "task_accepted")
    return locked


@transaction.atomic
def extension_request(
    *, task: RectificationTask, deadline: date, reason: str, by: User, expected: str | None = None
) -> ExtensionRequest:
    """Asks the committee to move the deadline, with a reason."""
    locked = _locked(task, expected)
    _check_keeps(locked, by)
    if locked.status not in TASK_STEPS["extend"]:
        raise DomainError(_("任务已销号。"))
    reason = clean_text(reason, field=_("延期理由"), max_length=MAX_TEXT)
    if deadline <= locked.deadline:
        raise DomainError(_("申请的时限须晚于当前时限 %(date)s。") % {"date": locked.deadline.isoformat()})
    _check_deadline(deadline)
    if locked.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
        raise DomainError(_("已有待审批的延期申请。"))
    extension = ExtensionRequest.objects.create(
        task=locked, requested_deadline=deadline, reason=reason, requested_by=by
    )
    _event(locked, Kind.EXTENSION_REQUESTED, by, f"{deadline.isoformat()}：{reason}")
    return extension


@transaction.atomic
def extension_decide(
    *, extension: ExtensionRequest, approve: bool, by: User, comment: str = "", expected: str | None = None
) -> ExtensionRequest:
    """The committee approves (the deadline moves) or rejects a pending extension.

    ``expected`` is the task page's version: once a colleague decided this request, it is stale.
    """
    locked = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    _check_supervises(by, locked.task.organization)
    task = _locked(locked.task, expected)
    if locked.status != ExtensionRequest.Status.PENDING:
        raise DomainError(_("该延期申请已审批。"))
    # A closed task keeps the deadline it was judged by: moving it now would erase a late close.
    if approve and not task.is_open:
        raise DomainError(_("任务已销号，不能再延期。"))
    locked.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REJECTED
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        task.deadline = locked.requested_deadline
        task.save(update_fields=["deadline"])
    kind = Kind.EXTENSION_APPROVED if approve else Kind.EXTENSION_REJECTED
    _event(task, kind, by, (comment or "").strip()[:5000])
    return locked


@transaction.atomic
def task_supervise(
    *, task: RectificationTask, by: User, text: str = "", expected: str | None = None
) -> RectificationTask:
    """挂牌督办: the committee takes an overdue or weak task under its own supervision."""
    _check_supervises(by, task.organization)
    locked = _locked(task, expected)
    if locked.status not in TASK_STEPS["supervise"]:
        raise DomainError(_("任务已销号。"))
    if locked.supervised:
        raise DomainError(_("该任务已挂牌督办。"))
    locked.supervised = True
    locked.save(update_fields=["supervised"])
    _event(locked, Kind.SUPERVISED, by, (text or "").strip()[:5000])
    return locked


@transaction.atomic
def measure_record(*, task: RectificationTask, text: str, by: User, expected: str | None = None) -> TaskEvent:
    """Records the measure taken against weak rectification (e.g. 约谈)."""
    _check_supervises(by, task.organization)
    return _event(_locked(task, expected), Kind.MEASURE, by, clean_text(text, field=_("问责措施"), max_length=MAX_TEXT))


# 党务公开 --------------------------------------------------------------------


@transaction.atomic
def disclosure_publish(*, organization: Organization, year: int, hide_names: bool, by: User) -> Disclosure:
    """党务公开: publishes the organization's rectification list of a year (names hidden or shown)."""
    _check_supervises(by, organization)
    disclosure, _created = Disclosure.objects.update_or_create(
        organization=organization, year=year, defaults={"hide_names": hide_names, "published_by": by}
    )
    return disclosure


@transaction.atomic
def disclosure_withdraw(*, organization: Organization, year: int, by: User) -> None:
    """Withdraws a published rectification list."""
    _check_supervises(by, organization)
    Disclosure.objects.filter(organization=organization, year=year).delete()
