"""What a request may reach in 督查 and 整改 (inspections, findings, tasks, extensions, evidence, disclosure), for
the views: the one place that answers "may this person do this to this object" for the app.

Built on accounts.permissions: 404 when the object is out of the person's sight, 403 when seen but not allowed.
Views call these and decide nothing themselves; the services check their actor again (rectification.services).
Which steps a task offers a person comes from the workflow's tables in rectification.services
(`allowed_actions`), so pages never copy the workflow's rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Organization
from accounts.permissions import (
    Action,
    can,
    followed_roots,
    follows,
    get_object_for,
    get_organization_for,
    require,
    scope_for,
    visible_q,
)
from accounts.selectors import ancestors_of
from rectification import rules, selectors, services
from rectification.models import (
    Disclosure,
    ExtensionRequest,
    Finding,
    Inspection,
    InspectionTarget,
    RectificationTask,
    TaskEvidence,
)
from reviews.models import DutyReport

KEEPER_STEPS = frozenset({"plan", "progress", "submit", "extend"})
"""The task's own steps: taken by those who keep its organization's work and by its responsible person in office."""
COMMITTEE_STEPS = frozenset({"return", "accept", "supervise", "measure", "decide"})
"""The committee's steps over a task: taken by those who supervise its organization."""


# --- page-level gates ------------------------------------------------------------------------------------------


def committee_only(user: Any) -> None:
    """The committee's pages (the board, the findings, inspections): 403 for anyone who supervises nothing."""
    if not scope_for(user).is_committee:
        raise PermissionDenied


def is_committee(user: Any) -> bool:
    """Whether the person supervises anything (pages link to the committee's pages by it)."""
    return scope_for(user).is_committee


def organization_for(user: Any, pk: Any, action: Action = Action.VIEW) -> Organization:
    """An organization if the user may do ACTION on it (a finding's or a disclosure's): 404 unseen, 403 seen."""
    return get_organization_for(user, pk, action)


def board_roots_for(user: Any, org_pk: Any) -> tuple[list[Organization], Organization | None]:
    """Where the board and the ledger start: ?org= if the user may follow it (404 unseen, 403 seen but not
    followed), else the outermost organizations they supervise; 403 for anyone who supervises nothing."""
    committee_only(user)
    if org_pk:
        organization = get_organization_for(user, org_pk, Action.VIEW)
        if not follows(user, organization):
            raise PermissionDenied
        return [organization], organization
    return followed_roots(user), None


def followed_ancestors(user: Any, organization: Organization | None) -> list[Organization]:
    """The organizations above ORGANIZATION whose board the user may follow too (the board's breadcrumbs)."""
    if organization is None:
        return []
    return [ancestor for ancestor in ancestors_of(organization) if follows(user, ancestor)]


def may_disclose(user: Any, organization: Organization | None) -> bool:
    """Whether the user publishes ORGANIZATION's rectification list (党务公开): those who supervise it."""
    return organization is not None and can(user, Action.SUPERVISE, organization)


# --- findings --------------------------------------------------------------------------------------------------


def review_report_for(user: Any, pk: Any) -> DutyReport:
    """A duty report whose review's problems the user turns into findings: those who supervise its organization."""
    return get_object_for(user, DutyReport.objects.select_related("cycle"), pk, Action.SUPERVISE)


def finding_for(user: Any, pk: Any, action: Action = Action.SUPERVISE) -> Finding:
    """A finding the committee acts on (确认 / 不是同一问题 of its earlier-year link): 404 unseen, 403 seen but not
    supervised."""
    return get_object_for(user, Finding.objects.select_related("recurring_of"), pk, action)


def findings_for(user: Any, ids: Iterable[int]) -> list[Finding]:
    """The findings chosen for a new task: 404 if any is missing or unseen, 403 if one is seen but not supervised."""
    ids = list(ids)
    chosen = selectors.findings_by_ids(ids)
    if len(chosen) != len(ids):
        raise Http404
    for organization in {finding.organization_id: finding.organization for finding in chosen}.values():
        require(user, Action.SUPERVISE, organization)
    return chosen


# --- tasks -----------------------------------------------------------------------------------------------------


def task_for(user: Any, pk: Any, action: Action = Action.VIEW) -> RectificationTask:
    """The task if the user may do ACTION on its organization: 404 unseen, 403 seen but not allowed."""
    tasks = RectificationTask.objects.select_related("responsible", "leader", "created_by", "accepted_by").annotate(
        responsible_in_office=services.responsible_in_office()
    )
    return get_object_for(user, tasks, pk, action)


def keeps(user: Any, task: RectificationTask) -> bool:
    """Whether the user takes the task's own steps (its organization's keepers, its responsible person in office)."""
    return services.keeps(user, task)


def supervises(user: Any, task: RectificationTask) -> bool:
    """Whether the user takes the committee's steps on the task (those who supervise its organization)."""
    return can(user, Action.SUPERVISE, task.organization)


def may_take(user: Any, task: RectificationTask, step: str) -> bool:
    """Whether the user's role on the task lets them take STEP, whatever the task's state."""
    if step in COMMITTEE_STEPS:
        return supervises(user, task)
    return step in KEEPER_STEPS and keeps(user, task)


def task_step_for(user: Any, pk: Any, step: str) -> RectificationTask:
    """The task for one of its steps: 404 unseen or no such step, 403 when the user's role does not take it.

    The state is the service's to judge: a step the task has moved past is refused with its message.
    """
    task = task_for(user, pk)
    if step not in KEEPER_STEPS | COMMITTEE_STEPS:
        raise Http404
    if not may_take(user, task, step):
        raise PermissionDenied
    return task


def allowed_actions(
    user: Any, task: RectificationTask, *, pending_extension: bool | None = None, today: date | None = None
) -> frozenset[str]:
    """The steps this person may take on the task now: those the workflow's tables open in its state
    (`services.task_steps_open`) that their role on its organization takes.

    PENDING_EXTENSION says whether an extension request awaits a decision (looked up when not given).
    """
    if pending_extension is None:
        pending_extension = getattr(task, "pending_extension", None)
    if pending_extension is None:
        pending_extension = task.extensions.filter(status=ExtensionRequest.Status.PENDING).exists()
    today = today or timezone.localdate()
    weak = rules.is_weak(
        deadline=task.deadline,
        is_open=task.is_open,
        returned=task.returned_count,
        today=today,
        limits=rules.Limits.from_settings(),
    )
    open_steps = services.task_steps_open(task, pending_extension=pending_extension, weak=weak)
    if not open_steps:
        return frozenset()
    roles: set[str] = set()
    if open_steps & KEEPER_STEPS and keeps(user, task):
        roles |= KEEPER_STEPS
    if open_steps & COMMITTEE_STEPS and supervises(user, task):
        roles |= COMMITTEE_STEPS
    return open_steps & roles


def extension_for(user: Any, pk: Any, action: Action = Action.VIEW) -> ExtensionRequest:
    """An extension request, checked against its task's organization like `task_for`."""
    try:
        extension = ExtensionRequest.objects.select_related("task__organization").get(pk=pk)
    except (ExtensionRequest.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    require(user, action, extension.task.organization)
    return extension


def task_evidence_for(user: Any, pk: Any) -> TaskEvidence:
    """An evidence file if the user may see its task's organization: 404 otherwise, so nothing about it leaks."""
    try:
        evidence = TaskEvidence.objects.select_related("event__task__organization").get(pk=pk)
    except (TaskEvidence.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    require(user, Action.VIEW, evidence.event.task.organization)
    return evidence


# --- inspections -----------------------------------------------------------------------------------------------


def planning_committees(user: Any) -> QuerySet[Organization]:
    """Committees for which the user plans inspections: those they keep (every active one for an administrator)."""
    committees = Organization.objects.filter(is_active=True).exclude(kind=Organization.Kind.BRANCH)
    scope = scope_for(user)
    if not scope.is_admin:
        committees = committees.filter(path__in=sorted(scope.manage_paths))
    return committees.order_by("path")


def inspection_planner(user: Any) -> list[Organization]:
    """The first two committees the user plans inspections for (enough to tell one from several); 403 for none."""
    committees = list(planning_committees(user)[:2])
    if not committees:
        raise PermissionDenied
    return committees


def planning_committee_for(user: Any, pk: Any) -> Organization:
    """A committee the user plans an inspection for: 404 unseen, not a committee or inactive; 403 not kept."""
    organization = get_organization_for(user, pk, Action.MANAGE)
    if not organization.is_committee or not organization.is_active:
        raise Http404
    return organization


def inspection_candidates(user: Any) -> QuerySet[Organization]:
    """The active organizations the user sees: an inspection's chosen targets are among them."""
    return Organization.objects.filter(visible_q(user), is_active=True)


def may_follow_inspection(user: Any, inspection: Inspection) -> bool:
    """MANAGE or SUPERVISE on the inspection's committee: reads the whole record, records results, completes it."""
    return services.follows_inspection(user, inspection)


def inspection_is_visible(user: Any, inspection: Inspection) -> bool:
    """Whether the user may know the inspection exists (403 rather than 404): sees its committee or a target."""
    if can(user, Action.VIEW, inspection.organization):
        return True
    return inspection.targets.filter(visible_q(user, "organization__")).exists()


def inspection_for(user: Any, pk: Any) -> Inspection:
    """The inspection if the user follows it; 403 if they may know of it, else 404."""
    inspection = get_object_or_404(Inspection.objects.select_related("organization", "created_by"), pk=pk)
    if may_follow_inspection(user, inspection):
        return inspection
    if inspection_is_visible(user, inspection):
        raise PermissionDenied
    raise Http404


def inspection_target_for(user: Any, pk: Any) -> InspectionTarget:
    """The target if the user supervises its organization and follows the inspection (404 unseen, 403 otherwise)."""
    target = get_object_or_404(
        InspectionTarget.objects.select_related("inspection__organization", "organization"), pk=pk
    )
    require(user, Action.SUPERVISE, target.organization)
    if not may_follow_inspection(user, target.inspection):
        raise PermissionDenied
    return target


# --- 党务公开: what anyone reaches without signing in ------------------------------------------------------------


def published_disclosure_for(code: str, year: int) -> Disclosure:
    """A published rectification list of an active organization; 404 for anything not published."""
    published = selectors.published_disclosure(code, year)
    if published is None:
        raise Http404
    return published


def published_disclosures() -> QuerySet[Disclosure]:
    """Every published rectification list: the public's to read, newest year first."""
    return selectors.published_disclosures()
