"""述职报告 pages: my reports, writing with autosave, the self-assessment, submitting, versions and the result."""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Action
from foundation.errors import DomainError
from responsibility.models import DutyRecord
from reviews import access, selectors, services, texts
from reviews.models import DutyReport
from reviews.report_forms import ReportForm, SelfAssessmentForm, sections_from_json


def _user(request: HttpRequest) -> User:
    # Every view here requires sign-in, so the user is a real account.
    return cast(User, request.user)


def _not_writable_message(report: DutyReport) -> str:
    if report.is_submitted:
        return _("报告已提交，不能再修改；如需修改，请联系上级党组织退回。")
    return _("考核尚未启动或已结束，报告不能修改。")


def _sections(report: DutyReport, sections: dict[str, str]) -> list[tuple[str, str]]:
    return [(title, sections.get(title, "")) for title in report.cycle.section_titles()]


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    """我的述职: the reports of the organizations the person keeps, newest cycle first."""
    user = _user(request)
    access.scope_of(user)
    reports = selectors.my_reports(user)
    rows = [(report, access.allowed_actions(user, report)) for report in reports]
    return render(request, "reviews/reports/my_reports.html", {"reports": reports, "rows": rows})


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The current report, read-only: its sections, facts, self-assessment and submitted versions."""
    user = _user(request)
    report = access.report_for(user, pk)
    return render(
        request,
        "reviews/reports/report_detail.html",
        {
            "report": report,
            "sections": _sections(report, report.sections),
            "facts": selectors.report_facts(report),
            "lines": selectors.self_assessment_lines(report),
            "versions": selectors.report_versions(report),
            "may_write": access.may_write(user, report),
            "assessor": access.reads_as_assessor(user, report),
            "may_see_result": access.may_see_result(user, report) and report.cycle.is_closed,
            "likenesses": texts.report_likenesses(user, report),
        },
    )


@login_required
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Writing the report section by section; the page autosaves, 保存 posts the same form."""
    user = _user(request)
    report = access.report_for(user, pk, Action.MANAGE)
    if not access.may_write(user, report):
        messages.info(request, _not_writable_message(report))
        return redirect("report_detail", report.pk)
    titles = report.cycle.section_titles()
    if request.method == "POST":
        form = ReportForm(request.POST, titles=titles)
        if form.is_valid():
            try:
                services.report_save(
                    report=report, sections=form.sections(), revision=form.cleaned_data["revision"], by=user
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                if request.POST.get("then") == "submit":
                    return redirect("report_submit", report.pk)
                messages.success(request, _("述职报告已保存。"))
                return redirect("report_edit", report.pk)
    else:
        form = ReportForm(initial={"revision": report.revision}, titles=titles)
    return render(
        request,
        "reviews/reports/report_edit.html",
        {
            "report": report,
            "form": form,
            "rows": form.typed(report.sections),
            "facts": selectors.report_facts(report),
            "edited_at_ms": int(report.last_edited_at.timestamp() * 1000) if report.last_edited_at else 0,
            "likenesses": texts.report_likenesses(user, report),
        },
    )


@login_required
@require_POST
def report_autosave(request: HttpRequest, pk: int) -> JsonResponse:
    """The editor's autosave: {revision, saved_at}, or 409 with the reason when the page is stale or locked."""
    user = _user(request)
    report = access.report_for(user, pk, Action.MANAGE)
    titles = report.cycle.section_titles()
    if request.content_type == "application/json":
        try:
            payload: Any = json.loads(request.body or b"null")
        except ValueError:
            payload = None
        parsed = sections_from_json(payload, titles)
    else:
        form = ReportForm(request.POST, titles=titles)
        parsed = (form.cleaned_data["revision"], form.sections()) if form.is_valid() else None
    if parsed is None:
        return JsonResponse({"error": _("自动保存的内容格式有误，请使用“保存”按钮。")}, status=400)
    revision, sections = parsed
    try:
        saved = services.report_save(report=report, sections=sections, revision=revision, by=user)
    except DomainError as error:
        return JsonResponse({"error": str(error)}, status=409)
    assert saved.last_edited_at is not None
    return JsonResponse(
        {"revision": saved.revision, "saved_at": timezone.localtime(saved.last_edited_at).strftime("%H:%M")}
    )


@login_required
def report_self_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    """自评: the list of indicators, or one indicator's points, note and evidence (?indicator=id)."""
    user = _user(request)
    report = access.report_for(user, pk, Action.MANAGE)
    lines = selectors.self_assessment_lines(report)
    writable = access.may_write(user, report)
    chosen = request.POST.get("indicator") or request.GET.get("indicator")
    if not chosen:
        return render(
            request,
            "reviews/reports/self_assessment.html",
            {"report": report, "lines": lines, "writable": writable},
        )
    line = next((line for line in lines if str(line.indicator.pk) == chosen), None)
    if line is None:
        raise Http404
    if not writable:
        messages.info(request, _not_writable_message(report))
        return redirect("report_self_assessment", report.pk)
    # PostgreSQL refuses a NUL in a query, and no record contains one.
    query = (request.POST.get("q") or request.GET.get("q") or "").replace("\x00", "").strip()[:100]
    posted = [int(value) for value in request.POST.getlist("records") if value.isdigit()]
    records = selectors.evidence_choices(report, query=query, keep=line.record_ids + posted)
    record_ids = [record.pk for record in records]
    held = selectors.meeting_choices(report)
    meeting_ids = [meeting.pk for meeting in held]
    if request.method == "POST":
        form = SelfAssessmentForm(
            request.POST, indicator=line.indicator, record_ids=record_ids, meeting_ids=meeting_ids
        )
        checked = set(posted)
        checked_meetings = {int(value) for value in request.POST.getlist("meetings") if value.isdigit()}
        if request.POST.get("action") != "filter" and form.is_valid():
            data = form.cleaned_data
            try:
                services.self_assessment_save(
                    report=report,
                    indicator=line.indicator,
                    points=data["points"],
                    note=data["note"],
                    record_ids=data["records"],
                    meeting_ids=data["meetings"],
                    by=user,
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("“%(indicator)s”的自评已保存。") % {"indicator": line.indicator.name})
                return redirect(reverse("report_self_assessment", args=[report.pk]) + f"#indicator-{line.indicator.pk}")
    else:
        assessment = line.assessment
        form = SelfAssessmentForm(
            initial={
                "points": assessment.points if assessment else None,
                "note": assessment.note if assessment else "",
                "q": query,
            },
            indicator=line.indicator,
            record_ids=record_ids,
            meeting_ids=meeting_ids,
        )
        checked = set(line.record_ids)
        checked_meetings = set(line.meeting_ids)
    return render(
        request,
        "reviews/reports/self_assessment_form.html",
        {
            "report": report,
            "line": line,
            "form": form,
            "records": records,
            "checked": checked,
            # The year's held meetings, cited as records are.
            "meetings": held,
            "checked_meetings": checked_meetings,
            # Records not yet accepted (待审阅, 已驳回) carry their status beside them.
            "unaccepted": {record.pk for record in records if record.status != DutyRecord.Status.ACCEPTED},
            "query": query,
            "shown_limit": selectors.EVIDENCE_SHOWN,
        },
    )


@login_required
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """提交: a confirmation page, then the submission (locked, this version kept)."""
    user = _user(request)
    report = access.report_for(user, pk, Action.MANAGE)
    if request.method == "POST":
        try:
            services.report_submit(report=report, by=user)
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("report_edit" if access.may_write(user, report) else "report_detail", report.pk)
        messages.success(request, _("述职报告已提交，等待上级党组织评议。"))
        return redirect("report_detail", report.pk)
    if not access.may_write(user, report):
        messages.info(request, _not_writable_message(report))
        return redirect("report_detail", report.pk)
    sections = _sections(report, report.sections)
    empty = [title for title, text in sections if not text.strip()]
    lines = selectors.self_assessment_lines(report)
    return render(
        request,
        "reviews/reports/report_submit.html",
        {
            "report": report,
            "sections": sections,
            "empty_sections": empty,
            "likenesses": texts.report_likenesses(user, report),
            "filled": len(sections) - len(empty),
            "assessed": sum(1 for line in lines if line.assessment is not None),
            "indicators": len(lines),
            "is_secretary": selectors.is_secretary(user, report.organization),
        },
    )


@login_required
def report_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """A submitted version, frozen as it was submitted."""
    user = _user(request)
    report = access.report_for(user, pk)
    version = selectors.report_version(report, number)
    return render(
        request,
        "reviews/reports/report_version.html",
        {
            "report": report,
            "version": version,
            "sections": _sections(report, version.sections),
            "assessor": access.reads_as_assessor(user, report),
        },
    )


@login_required
def report_result(request: HttpRequest, pk: int) -> HttpResponse:
    """The result, once the committee has closed the cycle: components, grade, rank, comment, problems."""
    user = _user(request)
    report = access.report_result_for(user, pk)
    result = getattr(report, "result", None) if report.cycle.is_closed else None
    return render(
        request,
        "reviews/reports/report_result.html",
        {
            "report": report,
            "result": result,
            "problems": list(report.problems.order_by("order", "id")) if result else [],
            "assessor": access.reads_as_assessor(user, report),
        },
    )


urlpatterns = [
    path("reviews/mine/", my_reports, name="my_reports"),
    path("reviews/reports/<int:pk>/", report_detail, name="report_detail"),
    path("reviews/reports/<int:pk>/edit/", report_edit, name="report_edit"),
    path("reviews/reports/<int:pk>/autosave/", report_autosave, name="report_autosave"),
    path("reviews/reports/<int:pk>/self-assessment/", report_self_assessment, name="report_self_assessment"),
    path("reviews/reports/<int:pk>/submit/", report_submit, name="report_submit"),
    path("reviews/reports/<int:pk>/versions/<int:number>/", report_version, name="report_version"),
    path("reviews/reports/<int:pk>/result/", report_result, name="report_result"),
]
