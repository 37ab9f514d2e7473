"""评分与点评: the reviewer's queue and scoring page, and the committee's assessment of one report."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Action
from foundation.errors import DomainError
from reviews import access, selectors, services, texts
from reviews.models import DutyReport, ReviewerAssignment
from reviews.scoring_forms import ProblemForm, ReportCommentForm, ReturnForm, ScoreSheetForm

ASSIGNMENTS_PER_PAGE = 25


def _user(request: HttpRequest) -> User:
    # Every view here requires sign-in, so the user is a real account.
    return cast(User, request.user)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """评分: the reports assigned to this reviewer in open cycles that they may still score, latest deadline first."""
    user = _user(request)
    access.scope_of(user)
    page = Paginator(selectors.assignments_for_reviewer(user), ASSIGNMENTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(assignment, access.may_assess(user, assignment.report)) for assignment in page.object_list]
    return render(request, "reviews/scoring/queue.html", {"page": page, "rows": rows})


@login_required
def report_score(request: HttpRequest, pk: int) -> HttpResponse:
    """The report beside the rubric: the reviewer saves, then submits; the others' scores show only after that."""
    user = _user(request)
    assignment = access.assignment_for(user, pk)
    page = selectors.scoring_page(assignment)
    if request.method == "POST":
        if not page.may_score:
            messages.error(request, _("当前不能评分：报告未提交、考核未进行或您已提交评分。"))
            return redirect("report_score", assignment.pk)
        form = ScoreSheetForm(request.POST, page=page)
        if form.is_valid():
            response = _save_sheet(request, assignment, form)
            if response is not None:
                return response
    else:
        form = ScoreSheetForm(page=page)
    return render(
        request,
        "reviews/scoring/score.html",
        {
            "assignment": assignment,
            "report": assignment.report,
            "cycle": assignment.report.cycle,
            "page": page,
            "form": form,
            "sheet": form.sheet(),
            "may_assess": access.may_assess(user, assignment.report),
            "likenesses": texts.report_likenesses(user, assignment.report),
        },
    )


def _save_sheet(request: HttpRequest, assignment: ReviewerAssignment, form: ScoreSheetForm) -> HttpResponse | None:
    """Saves the sheet and, when asked and confirmed, submits it. None: refused, show the form as typed."""
    user = _user(request)
    try:
        services.scores_save(
            assignment=assignment, entries=form.entries(), comment=form.cleaned_data["comment"], by=user
        )
    except DomainError as error:
        form.add_error(None, str(error))
        return None
    if request.POST.get("action") != "submit":
        messages.success(request, _("评分已保存，可随时继续修改，确认无误后再提交。"))
        return redirect("report_score", assignment.pk)
    if not form.cleaned_data["confirm"]:
        messages.error(request, _("评分已保存，但尚未提交：请勾选“我已核对全部评分”后再点“提交评分”。"))
        return redirect("report_score", assignment.pk)
    try:
        services.scores_submit(assignment=assignment, by=user)
    except DomainError as error:
        messages.error(request, _("评分已保存，但未能提交：%(reason)s") % {"reason": error})
        return redirect("report_score", assignment.pk)
    messages.success(request, _("评分已提交。现在可以看到各评议人的平均分。"))
    return redirect("report_score", assignment.pk)


def _assess_context(user: User, report: DutyReport, **forms: Any) -> dict[str, Any]:
    """The assessment page's context; bound forms passed in replace the empty ones, so typed input stays."""
    assessment = selectors.report_assessment(report)
    context: dict[str, Any] = {
        "report": report,
        "cycle": report.cycle,
        "assessment": assessment,
        "is_closed": report.cycle.is_closed,
        "may_manage_cycle": access.may_manage_cycle(user, report.cycle),
        "actions": access.allowed_actions(user, report),
        "comment_form": ReportCommentForm(
            initial={
                "comment": report.comment,
                "daily_score": report.daily_score,
                "daily_reason": report.daily_reason,
                "version": services.comment_fingerprint(report),
            }
        ),
        "problem_form": ProblemForm(),
        "return_form": ReturnForm(),
        "likenesses": texts.report_likenesses(user, report),
    }
    context.update(forms)
    return context


@login_required
def report_assess(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee's page for one report: reviewers' scores, ballots, the daily component, 点评意见, problems."""
    user = _user(request)
    report = access.report_for(user, pk, Action.SUPERVISE)
    bound: dict[str, Any] = {}
    if request.method == "POST":
        kind = request.POST.get("form")
        if kind == "comment":
            comment_form = ReportCommentForm(request.POST)
            bound["comment_form"] = comment_form
            if comment_form.is_valid():
                data = comment_form.cleaned_data
                try:
                    services.report_comment_save(
                        report=report,
                        comment=data["comment"],
                        daily_score=data["daily_score"].strip(),
                        daily_reason=data["daily_reason"],
                        by=user,
                        expected=data["version"] or None,
                    )
                except DomainError as error:
                    comment_form.add_error(None, str(error))
                    # Nothing was saved and the typed text stays; the form now carries the current version,
                    # so once the person has merged the other comment a second save goes through.
                    report.refresh_from_db()
                    typed = request.POST.copy()
                    typed["version"] = services.comment_fingerprint(report)
                    comment_form.data = typed
                else:
                    messages.success(request, _("点评意见已保存。"))
                    return redirect("report_assess", report.pk)
        elif kind == "problem":
            problem_form = ProblemForm(request.POST)
            bound["problem_form"] = problem_form
            if problem_form.is_valid():
                try:
                    services.problem_add(report=report, text=problem_form.cleaned_data["text"], by=user)
                except DomainError as error:
                    problem_form.add_error(None, str(error))
                else:
                    messages.success(request, _("已添加一条问题。"))
                    return redirect("report_assess", report.pk)
        else:
            messages.error(request, _("无法识别的操作。"))
            return redirect("report_assess", report.pk)
    return render(request, "reviews/scoring/assess.html", _assess_context(user, report, **bound))


@login_required
@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    """退回修改: the report reopens for the secretary with the reason; an empty reason is refused."""
    user = _user(request)
    report = access.report_for(user, pk, Action.SUPERVISE)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        bound = {"return_form": form}
        return render(request, "reviews/scoring/assess.html", _assess_context(user, report, **bound))
    try:
        services.report_return(report=report, by=user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("report_assess", report.pk)
    messages.success(request, _("已退回修改，书记会看到退回理由；重新提交后可继续评分。"))
    return redirect("report_assess", report.pk)


@login_required
@require_POST
def problem_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Removes one problem from the report's list."""
    user = _user(request)
    problem = access.problem_for(user, pk)
    try:
        services.problem_remove(problem=problem, by=user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已删除该问题。"))
    return redirect("report_assess", problem.report_id)


urlpatterns = [
    path("reviews/queue/", review_queue, name="review_queue"),
    path("reviews/assignments/<int:pk>/score/", report_score, name="report_score"),
    path("reviews/reports/<int:pk>/assess/", report_assess, name="report_assess"),
    path("reviews/reports/<int:pk>/return/", report_return, name="report_return"),
    path("reviews/problems/<int:pk>/remove/", problem_remove, name="problem_remove"),
]
