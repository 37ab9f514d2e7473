"""督查: a committee plans inspections of its subtree, records what it found at each organization and raises findings.

An inspection belongs to a committee. Its committee (MANAGE, or an administrator) plans
it; the committee and those who supervise it (a committee above, a grantee) follow it,
record results and complete it; recording at an organization also needs SUPERVISE on
that organization. Someone who may know of the inspection (sees its committee or one of
its targets) but not follow it gets 403; anyone else 404. Every change is one service
call; a refused one shows the service's message and saves nothing.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Organization, User
from foundation.errors import DomainError
from rectification import access, selectors, services
from rectification.inspection_forms import InspectionPlanForm, TargetFindingForm, TargetRecordForm
from rectification.models import Finding, Inspection, InspectionTarget

PER_PAGE = 50


def _user(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind login_required)."""
    return cast(User, request.user)


# 督查列表与计划 ----------------------------------------------------------------


@login_required
def inspections(request: HttpRequest) -> HttpResponse:
    """督查: the inspections of the committees the user keeps or supervises, newest first."""
    access.committee_only(request.user)
    page = Paginator(selectors.inspections_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "rectification/inspections/inspections.html",
        {"page": page, "may_plan": access.planning_committees(request.user).exists()},
    )


def _chosen_committee(request: HttpRequest, committees: list[Organization]) -> Organization | None:
    """The committee named by ?org= (404 unseen, 403 not kept), the only one the user keeps, or None to ask."""
    org_pk = request.GET.get("org", "")
    if not org_pk:
        return committees[0] if len(committees) == 1 else None
    return access.planning_committee_for(request.user, org_pk)


@login_required
def inspection_new(request: HttpRequest) -> HttpResponse:
    """新建督查: chosen organizations of the subtree, or a random draw recorded with its seed; a checklist."""
    committees = access.inspection_planner(request.user)
    committee = _chosen_committee(request, committees)
    if committee is None:
        return render(
            request,
            "rectification/inspections/inspection_new.html",
            {"committee": None, "committees": access.planning_committees(request.user)},
        )
    visible = access.inspection_candidates(request.user)
    form = InspectionPlanForm(
        request.POST or None, committee=committee, visible=visible, initial=InspectionPlanForm.new_initial()
    )
    if request.method == "POST" and form.is_valid():
        try:
            inspection = services.inspection_plan(by=_user(request), **form.plan_arguments())
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已建立督查计划。"))
            return redirect("inspection_detail", inspection.pk)
    search = request.GET.get("q", "").strip()
    candidates = selectors.subtree_below(committee, search)
    shown = list(candidates[: selectors.TARGET_CHOICES_SHOWN])
    return render(
        request,
        "rectification/inspections/inspection_new.html",
        {
            "committee": committee,
            "several_committees": len(committees) > 1,
            "form": form,
            "search": search,
            "candidates": shown,
            "candidate_count": candidates.count() if len(shown) == selectors.TARGET_CHOICES_SHOWN else len(shown),
            "chosen_ids": form.chosen_ids(),
        },
    )


# 督查详情 ----------------------------------------------------------------------


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan, the draw and its check (复核抽取), the checklist, each organization's result and the findings."""
    inspection = access.inspection_for(request.user, pk)
    targets = list(selectors.inspection_targets(inspection))
    is_random = inspection.kind == Inspection.Kind.RANDOM
    check = selectors.draw_check(inspection) if is_random and request.GET.get("check") else None
    outcomes = dict.fromkeys(InspectionTarget.Outcome.values, 0)
    for target in targets:
        outcomes[target.outcome] += 1
    return render(
        request,
        "rectification/inspections/inspection_detail.html",
        {
            "inspection": inspection,
            "is_random": is_random,
            "check": check,
            "checklist": list(inspection.checklist.all()),
            "targets": targets,
            "outcomes": [(label, outcomes[value]) for value, label in InspectionTarget.Outcome.choices],
            "pending": outcomes[InspectionTarget.Outcome.PENDING],
            "findings": list(selectors.inspection_findings(inspection)),
            "is_done": inspection.is_done,
        },
    )


@login_required
@require_POST
def inspection_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """完成督查: refused while any organization has no result."""
    inspection = access.inspection_for(request.user, pk)
    try:
        services.inspection_complete(inspection=inspection, by=_user(request))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("督查已完成。"))
    return redirect("inspection_detail", inspection.pk)


# 被检查组织 --------------------------------------------------------------------


@login_required
def inspection_target(request: HttpRequest, pk: int) -> HttpResponse:
    """One organization of an inspection: record the outcome, raise findings (one per entry), task them."""
    target = access.inspection_target_for(request.user, pk)
    inspection = target.inspection
    record_form = TargetRecordForm(initial=TargetRecordForm.initial_from(target))
    finding_form = TargetFindingForm()
    action = request.POST.get("action", "")
    if request.method == "POST":
        if action == "record":
            record_form = TargetRecordForm(request.POST)
            if record_form.is_valid():
                try:
                    services.inspection_record(target=target, by=_user(request), **record_form.cleaned_data)
                except DomainError as error:
                    record_form.add_error(None, str(error))
                else:
                    messages.success(request, _("已记录检查结果。"))
                    return redirect("inspection_target", target.pk)
        elif action == "finding":
            finding_form = TargetFindingForm(request.POST)
            if finding_form.is_valid():
                try:
                    # The inspection's year, so that recurrence compares it with earlier years' findings.
                    services.finding_raise(
                        organization=target.organization,
                        year=inspection.year,
                        source=Finding.Source.INSPECTION,
                        inspection=inspection,
                        by=_user(request),
                        **finding_form.cleaned_data,
                    )
                except DomainError as error:
                    finding_form.add_error(None, str(error))
                else:
                    messages.success(request, _("已列入问题清单，可继续添加或下达整改任务。"))
                    return redirect("inspection_target", target.pk)
        else:
            raise Http404
    return render(
        request,
        "rectification/inspections/inspection_target.html",
        {
            "target": target,
            "inspection": inspection,
            "record_form": record_form,
            "finding_form": finding_form,
            "findings": list(selectors.inspection_findings(inspection, target.organization)),
            "may_record": not inspection.is_done,
            # The organization's year of meetings, as its duty report shows it.
            "life": selectors.target_life(target),
        },
    )


urlpatterns = [
    path("rectification/inspections/", inspections, name="inspections"),
    path("rectification/inspections/new/", inspection_new, name="inspection_new"),
    path("rectification/inspections/<int:pk>/", inspection_detail, name="inspection_detail"),
    path("rectification/inspections/<int:pk>/complete/", inspection_complete, name="inspection_complete"),
    path("rectification/inspections/targets/<int:pk>/", inspection_target, name="inspection_target"),
]
