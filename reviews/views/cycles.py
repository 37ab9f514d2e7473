"""The committee runs a review (述职评议考核): cycles, their rubric, reviewers, progress, ranking and export.

Who may follow or change a cycle is reviews.access's to say (403 for someone who may know
of the cycle but not follow it, 404 for anyone else). Every change is one service call; a
refused one shows the service's message and saves nothing.
"""

from __future__ import annotations

import re
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.permissions import Action
from foundation.errors import DomainError
from foundation.excel import XLSX_CONTENT_TYPE
from reviews import access, exports, selectors, services
from reviews.cycle_forms import (
    CycleCloseForm,
    CycleCreateForm,
    CycleSettingsForm,
    IndicatorForm,
    ProgressFilterForm,
    ReviewerAssignForm,
    RubricTemplateForm,
)
from reviews.models import IndicatorKind, ReviewerAssignment

PER_PAGE = 50
HUNDRED = 100
UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _user(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind login_required)."""
    return cast(User, request.user)


def _posted_pk(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "")
    if not value.isdigit():
        raise Http404
    return int(value)


# 考核列表与发起 ----------------------------------------------------------------


@login_required
def cycles(request: HttpRequest) -> HttpResponse:
    """述职评议: the cycles the user follows; committees start new ones here."""
    access.scope_of(request.user)
    page = Paginator(selectors.cycles_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/cycles/cycles.html",
        {"page": page, "may_create": access.may_start_cycles(request.user)},
    )


@login_required
def cycle_create(request: HttpRequest) -> HttpResponse:
    """发起述职评议: a draft cycle over the committee's direct subordinates or all its branches."""
    committees = access.committee_only(request.user)
    own = list(committees[:2])
    initial = CycleCreateForm.new_initial()
    if len(own) == 1:
        initial["organization"] = own[0].pk
    form = CycleCreateForm(
        request.POST or None,
        committees=committees,
        templates=access.rubric_templates_for(request.user),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        arguments, settings = form.create_arguments()
        access.committee_to_keep(request.user, arguments["organization"])
        try:
            cycle = services.cycle_create(by=_user(request), settings=settings, **arguments)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已建立述职评议考核（筹备中）。请核对考核指标、分配评议人后启动。"))
            return redirect("cycle_detail", cycle.pk)
    return render(request, "reviews/cycles/cycle_create.html", {"form": form})


# 考核详情与进度 ----------------------------------------------------------------


@login_required
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The cycle's status, settings and progress organization by organization (a fixed number of queries)."""
    cycle = access.cycle_for(request.user, pk)
    form = ProgressFilterForm(request.GET)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    progress = selectors.cycle_progress(cycle, status=status)
    page = Paginator(progress, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/cycles/cycle_detail.html",
        {
            "cycle": cycle,
            "summary": selectors.cycle_summary(cycle),
            "form": form,
            "status": status,
            "page": page,
            "page_query": f"status={status}" if status else "",
            "poor_percent": (cycle.poor_ballot_share * HUNDRED).normalize(),
            "may_manage": access.may_manage_cycle(request.user, cycle),
            "actions": access.allowed_actions(request.user, cycle),
            "ballots_closed": services.ballot_window_closed(cycle),
        },
    )


@login_required
def cycle_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft cycle's dates, weights, grade bands and rules."""
    cycle = access.cycle_for(request.user, pk, Action.MANAGE)
    if not access.may_edit_cycle(request.user, cycle):
        messages.error(request, _("考核已启动，设置不能再修改。"))
        return redirect("cycle_detail", cycle.pk)
    form = CycleSettingsForm(request.POST or None, initial=CycleSettingsForm.initial_from(cycle))
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_update(cycle=cycle, by=_user(request), **form.cycle_fields())
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("考核设置已保存。"))
            return redirect("cycle_detail", cycle.pk)
    return render(request, "reviews/cycles/cycle_settings.html", {"cycle": cycle, "form": form})


@login_required
def cycle_indicators(request: HttpRequest, pk: int) -> HttpResponse:
    """The cycle's own rubric; while the cycle is a draft its committee adds indicators."""
    cycle = access.cycle_for(request.user, pk, Action.MANAGE if request.method == "POST" else Action.VIEW)
    form = IndicatorForm()
    if request.method == "POST":
        form = IndicatorForm(request.POST)
        if form.is_valid():
            try:
                services.indicator_add(cycle=cycle, by=_user(request), **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("已添加考核指标。"))
                return redirect("cycle_indicators", cycle.pk)
    indicators = list(cycle.indicators.all())
    standard_total = sum(
        (indicator.max_points for indicator in indicators if indicator.kind == IndicatorKind.STANDARD), start=0
    )
    return render(
        request,
        "reviews/cycles/cycle_indicators.html",
        {
            "cycle": cycle,
            "indicators": indicators,
            "standard_total": standard_total,
            "total_is_off": bool(indicators) and standard_total != HUNDRED,
            "form": form,
            "may_edit": access.may_edit_cycle(request.user, cycle),
        },
    )


CYCLE_ACTIONS = ("open",)


@login_required
@require_POST
def cycle_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """启动 (open). Closing has a page of its own (cycle_close): it lists the gaps first."""
    cycle = access.cycle_for(request.user, pk, Action.MANAGE)
    if action not in CYCLE_ACTIONS:
        raise Http404
    try:
        services.cycle_open(cycle=cycle, by=_user(request))
        messages.success(request, _("考核已启动：各组织可以撰写述职报告，评议人可以评分。"))
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("cycle_detail", cycle.pk)


@login_required
def cycle_close(request: HttpRequest, pk: int) -> HttpResponse:
    """结束考核: every gap by organization first; a gap that needs a reason holds the closing until one is given."""
    cycle = access.cycle_for(request.user, pk, Action.MANAGE)
    if "close" not in access.allowed_actions(request.user, cycle):
        messages.error(request, _("只有进行中的考核可以结束。"))
        return redirect("cycle_detail", cycle.pk)
    gaps = services.closing_gaps(cycle)
    form = CycleCloseForm(request.POST or None, gaps=gaps)
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_close(cycle=cycle, by=_user(request), reasons=form.reasons())
        except services.ClosingRefused as refused:
            form.refuse(refused.gaps, str(refused))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("考核已结束，结果已生成并通知各组织书记。"))
            return redirect("cycle_ranking", cycle.pk)
    return render(
        request,
        "reviews/cycles/cycle_close.html",
        {
            "cycle": cycle,
            "form": form,
            "blocking": sum(gap.needs_reason for gap in gaps),
            "summary": selectors.cycle_summary(cycle),
        },
    )


# 评议人 ------------------------------------------------------------------------


@login_required
def cycle_reviewers(request: HttpRequest, pk: int) -> HttpResponse:
    """Who reviews which report: the committee assigns reviewers to all or chosen reports, and withdraws them."""
    cycle = access.cycle_for(request.user, pk, Action.MANAGE if request.method == "POST" else Action.VIEW)
    reports = cycle.reports.select_related("cycle", "organization")
    form = ReviewerAssignForm(reviewers=selectors.reviewer_candidates(cycle), reports=reports)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "assign":
            form = ReviewerAssignForm(request.POST, reviewers=selectors.reviewer_candidates(cycle), reports=reports)
            if form.is_valid():
                try:
                    created = services.reviewer_assign(
                        reports=form.chosen_reports(), reviewer=form.cleaned_data["reviewer"], by=_user(request)
                    )
                except DomainError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("已新分配 %(count)s 份述职报告。") % {"count": created})
                    return redirect("cycle_reviewers", cycle.pk)
        elif action == "unassign":
            assignment = get_object_or_404(
                ReviewerAssignment.objects.select_related("report__cycle", "reviewer"),
                pk=_posted_pk(request, "assignment"),
                report__cycle=cycle,
            )
            try:
                services.reviewer_unassign(assignment=assignment, by=_user(request))
            except DomainError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request, _("已撤销 %(person)s 的评议任务。") % {"person": assignment.reviewer.get_full_name()}
                )
            return redirect("cycle_reviewers", cycle.pk)
        else:
            raise Http404
    page = Paginator(selectors.reviewer_table(cycle), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/cycles/cycle_reviewers.html",
        {
            "cycle": cycle,
            "form": form,
            "page": page,
            "may_assign": access.may_assign_reviewers(request.user, cycle),
        },
    )


# 排名与导出 --------------------------------------------------------------------


@login_required
def cycle_ranking(request: HttpRequest, pk: int) -> HttpResponse:
    """The ranking with grades and classes: final once closed, provisional (暂定) while open."""
    cycle = access.cycle_for(request.user, pk)
    rows = selectors.cycle_ranking(cycle, request.user)
    grades, classes = selectors.ranking_distribution(rows)
    return render(
        request,
        "reviews/cycles/cycle_ranking.html",
        {
            "cycle": cycle,
            "rows": rows,
            "grades": grades,
            "classes": classes,
            "provisional": cycle.is_open,
            "hidden": sum(row.hidden for row in rows),
            "ballots_closed": services.ballot_window_closed(cycle),
        },
    )


@login_required
@require_GET
def cycle_export(request: HttpRequest, pk: int) -> FileResponse:
    """The ranking and every submitted reviewer's scores as Excel."""
    cycle = access.cycle_for(request.user, pk)
    output = exports.cycle_workbook(cycle, request.user)
    filename = UNSAFE_FILENAME.sub("_", f"{cycle.title}-{_('排名')}.xlsx")
    # FileResponse writes filename*=utf-8''… (RFC 5987) for the Chinese name, with an ASCII fallback.
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


# 考核指标模板 ------------------------------------------------------------------


@login_required
def rubric_templates(request: HttpRequest) -> HttpResponse:
    """考核指标模板: the user's committees' templates and those from above; committees create them."""
    committees = access.committee_only(request.user)
    form = RubricTemplateForm(request.POST or None, committees=committees)
    if request.method == "POST" and form.is_valid():
        organization = access.committee_to_keep(request.user, form.cleaned_data["organization"])
        try:
            template = services.rubric_template_create(
                organization=organization, name=form.cleaned_data["name"], by=_user(request)
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已建立考核指标模板，请添加指标。"))
            return redirect("rubric_template_detail", template.pk)
    page = Paginator(access.rubric_templates_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "reviews/cycles/rubric_templates.html", {"page": page, "form": form})


@login_required
def rubric_template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A template's indicators; its committee adds more (cycles already started from it keep their copy)."""
    template = access.rubric_template_for(request.user, pk, Action.MANAGE if request.method == "POST" else Action.VIEW)
    form = IndicatorForm()
    if request.method == "POST":
        form = IndicatorForm(request.POST)
        if form.is_valid():
            try:
                services.template_indicator_add(template=template, by=_user(request), **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("已添加指标。"))
                return redirect("rubric_template_detail", template.pk)
    indicators = list(template.indicators.all())
    standard_total = template.indicators.filter(kind=IndicatorKind.STANDARD).aggregate(total=Sum("max_points"))
    return render(
        request,
        "reviews/cycles/rubric_template_detail.html",
        {
            "template": template,
            "indicators": indicators,
            "standard_total": standard_total["total"] or 0,
            "form": form,
            "may_manage": access.may_manage_template(request.user, template),
        },
    )


urlpatterns = [
    path("reviews/", cycles, name="cycles"),
    path("reviews/new/", cycle_create, name="cycle_create"),
    path("reviews/cycles/<int:pk>/", cycle_detail, name="cycle_detail"),
    path("reviews/cycles/<int:pk>/settings/", cycle_settings, name="cycle_settings"),
    path("reviews/cycles/<int:pk>/indicators/", cycle_indicators, name="cycle_indicators"),
    path("reviews/cycles/<int:pk>/do/<str:action>/", cycle_action, name="cycle_action"),
    path("reviews/cycles/<int:pk>/close/", cycle_close, name="cycle_close"),
    path("reviews/cycles/<int:pk>/reviewers/", cycle_reviewers, name="cycle_reviewers"),
    path("reviews/cycles/<int:pk>/ranking/", cycle_ranking, name="cycle_ranking"),
    path("reviews/cycles/<int:pk>/export.xlsx", cycle_export, name="cycle_export"),
    path("reviews/rubrics/", rubric_templates, name="rubric_templates"),
    path("reviews/rubrics/<int:pk>/", rubric_template_detail, name="rubric_template_detail"),
]
