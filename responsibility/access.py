"""What a request may reach in the responsibility app (lists, items, records, evidence, work plans,
templates, commitments, contact points, the progress pages), for the views.

Built on accounts.permissions: 404 when the object is out of the person's sight, 403 when seen but not
allowed. Which workflow steps a person has on a list or a record comes from the transition tables
(services.LIST_TRANSITIONS, services.RECORD_TRANSITIONS) and the person's role on its organization
(`allowed_actions`). Views call these and decide nothing themselves.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Organization
from accounts.permissions import (
    Action,
    Scope,
    can,
    followed_roots,
    follows,
    get_object_for,
    get_organization_for,
    require,
    scope_for,
)
from accounts.selectors import ancestors_of
from responsibility import selectors, services
from responsibility.models import (
    ContactPoint,
    DutyRecord,
    Evidence,
    ListItem,
    ListTemplate,
    PublicCommitment,
    ResponsibilityList,
    WorkPlan,
)

ModelT = TypeVar("ModelT", bound=Model)

# Who takes each step of a list's workflow: the organization's own leaders submit and revise it, the
# committee above approves, returns and closes it. The states each step starts from are the table's.
LIST_STEPS: dict[str, Action] = {
    "submit": Action.MANAGE,
    "approve": Action.SUPERVISE,
    "return": Action.SUPERVISE,
    "revise": Action.MANAGE,
    "close": Action.SUPERVISE,
}


def _fetch(queryset: QuerySet[ModelT], pk: Any) -> ModelT:
    """One object by its key, 404 when there is none (or the key is no key)."""
    try:
        return queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing


# --- pages and gates -----------------------------------------------------------------------------


def scope_of(user: Any) -> Scope:
    """What the user reaches, for pages that say so."""
    return scope_for(user)


def committee_only(user: Any) -> None:
    """The committee's pages (the record review queue, contact points): 403 for anyone who supervises nothing."""
    if not scope_for(user).is_committee:
        raise PermissionDenied


def is_member_only(user: Any) -> bool:
    """Someone who keeps no organization's work but belongs to one (我的清单 tells them so)."""
    scope = scope_for(user)
    return not scope.manage_paths and bool(scope.single_paths)


def organization_for(user: Any, pk: Any, action: Action = Action.VIEW) -> Organization:
    """The organization if the user may do ACTION on it; 404 unseen, 403 seen but not allowed."""
    return get_organization_for(user, pk, action)


def keeps(user: Any, organization: Organization) -> bool:
    """Whether the user keeps the organization's own work (its list, plans, templates, commitment)."""
    return can(user, Action.MANAGE, organization)


def require_keeps(user: Any, organization: Organization) -> None:
    """An organization chosen in a form (a new plan's or template's committee): 404 unseen, 403 not kept."""
    require(user, Action.MANAGE, organization)


def managed_committees(user: Any) -> QuerySet[Organization]:
    """The committees whose work the user keeps: those a new plan or template may be issued for."""
    return selectors.managed_committees(user)


def managed_organizations(user: Any) -> list[Organization]:
    """The organizations whose commitment the person may write; none for someone not signed in."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(selectors.managed_organizations(user))


# --- 责任清单 ----------------------------------------------------------------------------------------


def list_for(user: Any, pk: Any, action: Action = Action.VIEW) -> ResponsibilityList:
    """A list if the user may do ACTION on its organization."""
    return get_object_for(user, ResponsibilityList.objects.select_related("reviewed_by"), pk, action)


def list_for_step(user: Any, pk: Any, step: str) -> ResponsibilityList:
    """A list for one step of its workflow (LIST_STEPS): 404 for a step that does not exist."""
    if step not in LIST_STEPS:
        raise Http404
    return list_for(user, pk, LIST_STEPS[step])


def lists_to_review(user: Any) -> QuerySet[ResponsibilityList]:
    """Submitted lists below the user (none for someone who supervises nothing)."""
    return selectors.lists_awaiting_review(user)


def item_for(user: Any, pk: Any, action: Action = Action.VIEW) -> ListItem:
    """A list item if the user may do ACTION on its list's organization."""
    items = ListItem.objects.select_related("list__organization", "category", "work_point", "responsible__person")
    item = _fetch(items, pk)
    require(user, action, item.list.organization)
    return item


def item_to_record(user: Any, pk: Any) -> ListItem:
    """An item the user may record against (services.may_record): 404 unseen, 403 otherwise."""
    item = item_for(user, pk)
    if not services.may_record(user, item):
        raise PermissionDenied
    return item


def may_record(user: Any, item: ListItem) -> bool:
    """Whether the item page offers 记实: the person may record on it and its year is open."""
    return services.may_record(user, item) and not item.list.is_closed


def list_rights(user: Any, responsibility_list: ResponsibilityList) -> dict[str, bool]:
    """The list page's flags beside its workflow steps: keep it, edit its items, record on them."""
    manages = keeps(user, responsibility_list.organization)
    return {
        "may_manage": manages,
        "may_edit": manages and responsibility_list.is_editable,
        "may_record": manages and not responsibility_list.is_closed,
    }


def allowed_actions(user: Any, obj: ResponsibilityList | DutyRecord) -> frozenset[str]:
    """The workflow steps this person may take on a list or a record now."""
    if isinstance(obj, ResponsibilityList):
        return _list_actions(user, obj)
    return _record_actions(user, obj)


def _list_actions(user: Any, responsibility_list: ResponsibilityList) -> frozenset[str]:
    if responsibility_list.is_closed:
        return frozenset()
    organization = responsibility_list.organization
    steps = {
        step
        for step, (sources, _target) in services.LIST_TRANSITIONS.items()
        if responsibility_list.status in sources and can(user, LIST_STEPS[step], organization)
    }
    # Closing the year is no change of state: the committee above may close an open list in any state.
    if can(user, LIST_STEPS["close"], organization):
        steps.add("close")
    return frozenset(steps)


def _record_actions(user: Any, record: DutyRecord) -> frozenset[str]:
    if record.item.list.is_closed:
        return frozenset()
    supervises = can(user, Action.SUPERVISE, record.organization)
    # The committee above accepts and returns a record; its author (or the organization's leaders) resubmits it.
    takes = {"accept": supervises, "return": supervises, "resubmit": services.may_edit_record(user, record)}
    return frozenset(
        step
        for step, (sources, _target) in services.RECORD_TRANSITIONS.items()
        if record.status in sources and takes[step]
    )


def supervises(user: Any, organization: Organization) -> bool:
    """Whether the user reviews this organization's lists and records (the committee above it): the pages then
    lead back to 记实审阅 rather than to 我的清单."""
    return can(user, Action.SUPERVISE, organization)


def may_edit_record(user: Any, record: DutyRecord) -> bool:
    """Whether the record page offers 修改: its author or its organization's leaders, until it is accepted
    or its year is closed."""
    return (
        services.may_edit_record(user, record)
        and not record.is_accepted
        and not record.item.list.is_closed
        and not services.written_by_meeting(record)
    )


# --- 履责记实 and evidence ----------------------------------------------------------------------------


def record_for(user: Any, pk: Any, action: Action = Action.VIEW) -> DutyRecord:
    """A record with its item, list and evidence, if the user may do ACTION on its organization."""
    records = DutyRecord.objects.select_related(
        "item__list", "item__category", "item__responsible", "done_by", "created_by", "reviewed_by"
    ).prefetch_related("evidence")
    return get_object_for(user, records, pk, action)


def record_to_edit(user: Any, pk: Any) -> DutyRecord:
    """A record the user may correct (services.may_edit_record): 404 unseen, 403 otherwise."""
    record = record_for(user, pk)
    # A meeting's record is corrected on the meeting (services.written_by_meeting), never by hand.
    if not services.may_edit_record(user, record) or services.written_by_meeting(record):
        raise PermissionDenied
    return record


def evidence_for(user: Any, pk: Any) -> Evidence:
    """A file if the user may see its record's organization: 404 otherwise, so nothing about it leaks."""
    evidence = _fetch(Evidence.objects.select_related("record__organization", "record__item__list"), pk)
    require(user, Action.VIEW, evidence.record.organization)
    return evidence


def evidence_to_remove(user: Any, pk: Any) -> Evidence:
    """A file of a record the user may correct: 404 unseen, 403 otherwise."""
    evidence = evidence_for(user, pk)
    if not services.may_edit_record(user, evidence.record):
        raise PermissionDenied
    return evidence


# --- 年度工作要点 and 清单模板 ------------------------------------------------------------------------


def plan_for(user: Any, pk: Any, action: Action = Action.VIEW) -> WorkPlan:
    """A plan the user may read (selectors.work_plans_q), else 404; 403 when ACTION is more than reading and
    the user may not do it on the plan's committee."""
    visible = WorkPlan.objects.filter(selectors.work_plans_q(user)).select_related("organization")
    plan = get_object_or_404(visible, pk=pk)
    if action is not Action.VIEW and not can(user, action, plan.organization):
        raise PermissionDenied
    return plan


def may_follow_plan(user: Any, plan: WorkPlan) -> bool:
    """Who follows a plan's coverage below: its committee and those who supervise it."""
    return can(user, Action.MANAGE, plan.organization) or can(user, Action.SUPERVISE, plan.organization)


def plan_to_follow(user: Any, pk: Any) -> WorkPlan:
    """A plan whose coverage the user may follow: 404 unseen, 403 seen but not followed."""
    plan = plan_for(user, pk)
    if not may_follow_plan(user, plan):
        raise PermissionDenied
    return plan


def template_for(user: Any, pk: Any, action: Action = Action.VIEW) -> ListTemplate:
    """A template the user may read (selectors.list_templates_q), else 404; 403 as plan_for."""
    visible = ListTemplate.objects.filter(selectors.list_templates_q(user)).select_related("organization")
    template = get_object_or_404(visible, pk=pk)
    if action is not Action.VIEW and not can(user, action, template.organization):
        raise PermissionDenied
    return template


# --- progress, commitments, contact points ----------------------------------------------------------


def progress_roots_for(user: Any, org_pk: Any) -> tuple[list[Organization], Organization | None]:
    """The progress page's roots: ?org= if the user may follow it (404 unseen, 403 seen but not followed),
    else the outermost organizations they supervise; 403 for anyone who supervises nothing."""
    committee_only(user)
    if org_pk:
        organization = get_organization_for(user, org_pk, Action.VIEW)
        if not follows(user, organization):
            raise PermissionDenied
        return [organization], organization
    return followed_roots(user), None


def followed_ancestors(user: Any, organization: Organization) -> list[Organization]:
    """The organization's ancestors whose progress the user follows (the page's breadcrumbs)."""
    return [ancestor for ancestor in ancestors_of(organization) if follows(user, ancestor)]


def published_commitment_for(code: str, year: int) -> PublicCommitment:
    """A published commitment, open to everyone; 404 for one not published (or not there)."""
    commitment = selectors.published_commitment(code, year)
    if commitment is None:
        raise Http404
    return commitment


def contact_point_for(user: Any, pk: Any) -> ContactPoint:
    """The point for those who supervise its organization now: its member while the designation's entitlement
    lasts, and the committees above. 404 when unseen, 403 when seen but not allowed: a member whose position
    has ended is answered as anyone else."""
    points = ContactPoint.objects.select_related("organization", "member").annotate(
        member_supervises=selectors.member_supervises()
    )
    point = _fetch(points, pk)
    require(user, Action.SUPERVISE, point.organization)
    return point
