"""What a request may reach in 述职评议考核 (cycles, rubric templates, reports, assignments, problems, ballot
codes), for the views and the services alike.

Built on accounts.permissions: 404 when the object is out of the person's sight, 403 when seen but not
allowed. Who does what:

- A cycle is followed by its committee (MANAGE on cycle.organization, or an administrator) and by those who
  supervise it from above (a higher committee, a grant); only its committee acts on it.
- A report is kept (written, submitted) by its organization's leading roles (MANAGE); once submitted, those
  who supervise the organization now read it. Those who supervise it from inside the cycle's committee (or
  above it) assess it: comment, name problems, return it.
- A reviewer scores through their own assignment, and only while they supervise the report's organization.

Which workflow actions a person has on a cycle or a report is `allowed_actions`, read from the transition
tables of reviews.workflow.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Organization
from accounts.permissions import Action, Scope, can, get_object_for, require, scope_for, visible_q
from reviews.models import Cycle, DutyReport, Problem, ReviewerAssignment, RubricTemplate
from reviews.workflow import CYCLE_TRANSITIONS, REPORT_TRANSITIONS, available

# --- pages that list what the person reaches ------------------------------------------------------------


def scope_of(user: Any) -> Scope:
    """What the user reaches, for list pages that filter by it (their cycles, reports, assignments)."""
    return scope_for(user)


def open_to_anyone() -> None:
    """The voting pages need no account: a ballot code is the only key, checked by the ballot services.
    Said here so that every page of the app asks this module what it may reach."""


def cycle_committees(user: Any) -> QuerySet[Organization]:
    """Committees for which the user may start a cycle and keep rubric templates (all of them for an administrator)."""
    committees = Organization.objects.filter(is_active=True).exclude(kind=Organization.Kind.BRANCH)
    scope = scope_for(user)
    if not scope.is_admin:
        committees = committees.filter(path__in=sorted(scope.manage_paths))
    return committees.order_by("path")


def may_start_cycles(user: Any) -> bool:
    """Whether the user keeps a committee's work, and so may start cycles and keep rubric templates."""
    return cycle_committees(user).exists()


def committee_only(user: Any) -> QuerySet[Organization]:
    """Starting a cycle and the rubric templates: the user's committees; 403 for anyone who keeps none."""
    committees = cycle_committees(user)
    if not committees.exists():
        raise PermissionDenied
    return committees


def committee_to_keep(user: Any, organization: Organization) -> Organization:
    """The committee a new cycle or template is made for, if the user keeps its work (404 unseen, 403 seen)."""
    require(user, Action.MANAGE, organization)
    return organization


# --- cycles ----------------------------------------------------------------------------------------------


def may_follow_cycle(user: Any, cycle: Cycle) -> bool:
    """The cycle's committee (MANAGE, or an administrator) and everyone who supervises it from above (a higher
    committee, a grant) follow a cycle: they read its pages, ranking and exports; only its committee acts."""
    return can(user, Action.MANAGE, cycle.organization) or can(user, Action.SUPERVISE, cycle.organization)


def may_manage_cycle(user: Any, cycle: Cycle) -> bool:
    """Only the cycle's committee (or an administrator) changes it, assigns reviewers and keeps its codes."""
    return can(user, Action.MANAGE, cycle.organization)


def may_edit_cycle(user: Any, cycle: Cycle) -> bool:
    """A draft cycle's settings and rubric change, by its committee, until it is opened."""
    return may_manage_cycle(user, cycle) and cycle.is_draft


def may_assign_reviewers(user: Any, cycle: Cycle) -> bool:
    """The cycle's committee assigns and withdraws reviewers until the cycle closes."""
    return may_manage_cycle(user, cycle) and not cycle.is_closed


def cycle_is_visible(user: Any, cycle: Cycle) -> bool:
    """Whether the user may know the cycle exists: sees its committee or takes part in it (403, not 404)."""
    if can(user, Action.VIEW, cycle.organization):
        return True
    return cycle.reports.filter(visible_q(user, "organization__")).exists()


def require_cycle(user: Any, cycle: Cycle, action: Action = Action.VIEW) -> Cycle:
    """VIEW: the user follows the cycle; MANAGE: they keep it. 403 if they may know of it, else 404."""
    allowed = may_manage_cycle(user, cycle) if action is Action.MANAGE else may_follow_cycle(user, cycle)
    if allowed:
        return cycle
    if may_follow_cycle(user, cycle) or cycle_is_visible(user, cycle):
        raise PermissionDenied
    raise Http404


def cycle_for(user: Any, pk: Any, action: Action = Action.VIEW) -> Cycle:
    """The cycle if the user follows it (VIEW) or keeps it (MANAGE); 403 if they may know of it, else 404."""
    cycle = get_object_or_404(Cycle.objects.select_related("organization"), pk=pk)
    return require_cycle(user, cycle, action)


def ballot_cycle_for(user: Any, pk: Any) -> Cycle:
    """A cycle whose ballot codes the user keeps (its committee, or an administrator): 404 unseen, 403 seen."""
    return get_object_for(user, Cycle.objects.all(), pk, Action.MANAGE)


def rubric_templates_for(user: Any) -> QuerySet[RubricTemplate]:
    """Templates of the user's committees and of the organizations above them, with their indicator counts."""
    templates = RubricTemplate.objects.select_related("organization").annotate(indicator_count=Count("indicators"))
    if not scope_for(user).is_admin:
        step = Organization.steplen
        paths: set[str] = set()
        for path in cycle_committees(user).values_list("path", flat=True):
            paths.update(path[:end] for end in range(step, len(path) + 1, step))
        templates = templates.filter(organization__path__in=sorted(paths))
    return templates.order_by("organization__path", "name", "id")


def may_manage_template(user: Any, template: RubricTemplate) -> bool:
    return can(user, Action.MANAGE, template.organization)


def rubric_template_for(user: Any, pk: Any, action: Action = Action.VIEW) -> RubricTemplate:
    """A template of the user's committees or from above them (else 404); MANAGE: its own committee's (403)."""
    template = get_object_or_404(rubric_templates_for(user), pk=pk)
    if action is not Action.VIEW and not may_manage_template(user, template):
        raise PermissionDenied
    return template


# --- reports ---------------------------------------------------------------------------------------------


def with_cycle_size(reports: QuerySet[DutyReport]) -> QuerySet[DutyReport]:
    """Adds `cycle_size`, the number of reports in the report's cycle ("rank 3 of N"), in the same query."""
    size = (
        DutyReport.objects.filter(cycle=OuterRef("cycle"))
        .order_by()
        .values("cycle")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return reports.annotate(cycle_size=Subquery(size))


def _report(pk: Any) -> DutyReport:
    """The report with its cycle and organizations, or 404; the callers check permissions next."""
    try:
        return with_cycle_size(
            DutyReport.objects.select_related("cycle", "cycle__organization", "organization", "result")
        ).get(pk=pk)
    except (DutyReport.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing


def may_keep_report(user: Any, report: DutyReport) -> bool:
    """The organization's leading roles write and submit its report (MANAGE)."""
    return can(user, Action.MANAGE, report.organization)


def may_read_report(user: Any, report: DutyReport) -> bool:
    """Its leaders always; once submitted, those who supervise the organization now.

    Its reviewers read it as supervisors: an assignment grants nothing of its own, so a reviewer whose
    position has ended (or whose grant was revoked) reads no more than anyone else.
    """
    if may_keep_report(user, report):
        return True
    if report.submitted_at is None:
        return False
    return can(user, Action.SUPERVISE, report.organization)


def may_assess(user: Any, report: DutyReport) -> bool:
    """Those who supervise the report's organization from inside the cycle's committee (or above it) assess it."""
    return can(user, Action.SUPERVISE, report.organization) and may_follow_cycle(user, report.cycle)


def reads_as_assessor(user: Any, report: DutyReport) -> bool:
    """Whether the user reads the report as one who assesses it rather than as its own organization: their way
    back is 评分 / 述职评议, not 我的述职."""
    return may_assess(user, report) and not may_keep_report(user, report)


def may_see_result(user: Any, report: DutyReport) -> bool:
    """The result is its organization's and its supervisors'; the page shows it once the cycle is closed."""
    return may_keep_report(user, report) or can(user, Action.SUPERVISE, report.organization)


def may_write(user: Any, report: DutyReport) -> bool:
    """Writing is open exactly where submitting is: to the organization's leading roles, in an open cycle,
    before the report is submitted (or after it was returned)."""
    return "submit" in allowed_actions(user, report)


def require_report(user: Any, report: DutyReport, action: Action = Action.VIEW) -> DutyReport:
    """VIEW: read it; MANAGE: keep it; SUPERVISE: assess it. 404 when its organization is out of sight, else 403."""
    if action is Action.MANAGE:
        allowed = may_keep_report(user, report)
    elif action is Action.SUPERVISE:
        allowed = may_assess(user, report)
    else:
        allowed = may_read_report(user, report)
    if allowed:
        return report
    if not can(user, Action.VIEW, report.organization):
        raise Http404
    raise PermissionDenied


def report_for(user: Any, pk: Any, action: Action = Action.VIEW) -> DutyReport:
    """The report if the user may read it (VIEW), keep it (MANAGE) or assess it (SUPERVISE)."""
    return require_report(user, _report(pk), action)


def report_result_for(user: Any, pk: Any) -> DutyReport:
    """The report whose result the user may see: its organization's and its supervisors' (404 unseen, 403 seen)."""
    report = _report(pk)
    if may_see_result(user, report):
        return report
    if not can(user, Action.VIEW, report.organization):
        raise Http404
    raise PermissionDenied


def problem_for(user: Any, pk: Any) -> Problem:
    """A problem named on a report the user assesses."""
    try:
        problem = Problem.objects.select_related("report__cycle__organization", "report__organization").get(pk=pk)
    except (Problem.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    require_report(user, problem.report, Action.SUPERVISE)
    return problem


# --- scoring ---------------------------------------------------------------------------------------------


def assignment_for(user: Any, pk: Any) -> ReviewerAssignment:
    """The user's own assignment while they may use it: someone else's is 404, so nothing about it leaks.

    Their own is used only while they supervise the report's organization now; once their position has ended
    it answers as for anyone else: 404 when the organization is out of their sight, 403 when seen.
    """
    try:
        assignment = ReviewerAssignment.objects.select_related(
            "report__cycle__organization", "report__organization", "reviewer"
        ).get(pk=pk, reviewer_id=user.pk)
    except (ReviewerAssignment.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
    require(user, Action.SUPERVISE, assignment.report.organization)
    return assignment


# --- workflow --------------------------------------------------------------------------------------------


def allowed_actions(user: Any, obj: Cycle | DutyReport) -> frozenset[str]:
    """The workflow actions the user may take on the cycle or report now: those whose source states include
    its status (reviews.workflow) and that their role on its organization allows.

    A cycle is opened and closed by its committee. A report is submitted by its organization's leading roles
    while its cycle is open, and returned by those who assess it until the cycle closes.
    """
    if isinstance(obj, Cycle):
        if not may_manage_cycle(user, obj):
            return frozenset()
        return available(CYCLE_TRANSITIONS, obj.status)
    actions: set[str] = set()
    possible = available(REPORT_TRANSITIONS, obj.status)
    if "submit" in possible and obj.cycle.is_open and may_keep_report(user, obj):
        actions.add("submit")
    if "return" in possible and not obj.cycle.is_closed and may_assess(user, obj):
        actions.add("return")
    return frozenset(actions)
