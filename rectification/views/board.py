"""The committee's view of 整改: the board over its subtree, the findings, assigning tasks, the ledger, disclosure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Organization, User
from accounts.permissions import Action
from foundation.errors import DomainError
from foundation.years import YEAR_MAX, YEAR_MIN, chosen_year, year_from
from rectification import access, exports, rules, selectors, services
from rectification.board_forms import (
    BoardFilterForm,
    DisclosureForm,
    FindingFilterForm,
    FindingForm,
    ProblemsForm,
    RecurrenceForm,
    TaskForm,
)
from rectification.models import Finding, RectificationTask

BOARD_PER_PAGE = 50
FINDINGS_PER_PAGE = 50
PUBLIC_PER_PAGE = 20
DEFAULT_TASK_DAYS = 30
"""A new task's suggested deadline, in days from today."""


def _user(request: HttpRequest) -> User:
    # login_required has run: the user is signed in.
    return cast(User, request.user)


def _query(form: Any, **extra: Any) -> str:
    values = {name: value for name, value in form.cleaned_data.items() if value not in (None, "", False)}
    values.update({name: value for name, value in extra.items() if value})
    return urlencode({name: "on" if value is True else value for name, value in values.items()})


# 整改督办 --------------------------------------------------------------------


@dataclass
class DrillRow:
    """One line of the drill-down: the root itself, one child's subtree, or one root among several."""

    label: str
    figures: selectors.BoardFigures
    organization: Organization | None = None
    drill: bool = False


def _drill_rows(roots: list[Organization], groups: dict[str, selectors.BoardFigures]) -> list[DrillRow]:
    if len(roots) != 1:
        return [DrillRow(root.name, groups[root.path], root, drill=True) for root in roots if root.path in groups]
    root = roots[0]
    rows = []
    if root.path in groups:
        rows.append(DrillRow(_("本级（%(name)s）") % {"name": root.name}, groups[root.path], root))
    heads = selectors.group_organizations(group for group in groups if group != root.path)
    rows.extend(DrillRow(heads[group].name, groups[group], heads[group], drill=True) for group in sorted(heads))
    return rows


@dataclass
class TaskRow:
    task: RectificationTask
    overdue_days: int
    escalated: bool
    weak: bool
    recurring: bool


def _task_row(task: RectificationTask, today: date, limits: rules.Limits) -> TaskRow:
    """The tags of one task, judged by the same rules the filters and counts apply in SQL."""
    reached = rules.escalation(deadline=task.deadline, is_open=task.is_open, today=today, limits=limits)
    return TaskRow(
        task=task,
        overdue_days=task.overdue_days(today),
        escalated=task.supervised or reached is rules.Escalation.COMMITTEE,
        weak=rules.is_weak(
            deadline=task.deadline, is_open=task.is_open, returned=task.returned_count, today=today, limits=limits
        ),
        recurring=bool(getattr(task, "has_recurring", False)),
    )


@login_required
def rectification_board(request: HttpRequest) -> HttpResponse:
    """整改督办: the committee's tasks over its subtree, counted, by child, task by task, with recurring problems."""
    user = _user(request)
    roots, chosen = access.board_roots_for(user, request.GET.get("org"))
    form = BoardFilterForm.from_query(request.GET)
    filters = form.filters()
    today = timezone.localdate()
    limits = rules.Limits.from_settings()
    groups = selectors.board_figures_cached(user, roots, filters, today=today, limits=limits)
    summary = selectors.BoardFigures()
    for figures in groups.values():
        summary.add(figures)
    tasks = selectors.board_table(user, roots, filters, today=today, limits=limits)
    paginator = Paginator(tasks, BOARD_PER_PAGE)
    # The figures counted exactly these tasks; a second COUNT would read the year's tasks again.
    paginator.count = summary.tasks
    page = paginator.get_page(request.GET.get("page"))
    root = roots[0] if len(roots) == 1 else None
    return render(
        request,
        "rectification/board/board.html",
        {
            "form": form,
            "filters": filters,
            "roots": roots,
            "root": root,
            "chosen": chosen,
            "ancestors": access.followed_ancestors(user, chosen),
            "summary": summary,
            "drill_rows": _drill_rows(roots, groups),
            "page": page,
            "rows": [_task_row(task, today, limits) for task in page.object_list],
            "recurring": selectors.recent_recurring_findings(user, roots, filters),
            "to_confirm": selectors.recurrence_suggestions(user, roots, filters),
            "filter_query": _query(form),
            "page_query": _query(form, org=chosen.pk if chosen else None),
            "may_disclose": access.may_disclose(user, chosen),
            "limits": limits,
        },
    )


@login_required
@require_GET
def ledger_export(request: HttpRequest) -> FileResponse:
    """整改台账: the board's tasks with its filters, every one of them, as Excel."""
    user = _user(request)
    roots, _chosen = access.board_roots_for(user, request.GET.get("org"))
    form = BoardFilterForm.from_query(request.GET)
    filters = form.filters()
    today = timezone.localdate()
    tasks = selectors.ledger_tasks(user, roots, filters, today=today, limits=rules.Limits.from_settings())
    year = _("全部年度") if filters.all_years else filters.year
    output = exports.ledger_workbook(tasks, roots=roots, year=year, filter_labels=form.labels())
    scope_name = roots[0].name if len(roots) == 1 else _("全部")
    return exports.xlsx_response(output, f"{_('整改台账')}-{scope_name}-{year}.xlsx")


# 问题清单 --------------------------------------------------------------------


@login_required
def findings(request: HttpRequest) -> HttpResponse:
    """问题清单 over what the user supervises; tick findings of one organization to assign them as one task."""
    access.committee_only(request.user)
    form = FindingFilterForm.from_query(request.GET)
    page = Paginator(selectors.supervised_findings(_user(request), form.filters()), FINDINGS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "rectification/board/findings.html",
        {
            "form": form,
            "page": page,
            "page_query": _query(form),
            "to_confirm": [finding for finding in page.object_list if finding.recurrence_to_confirm],
        },
    )


@login_required
def finding_new(request: HttpRequest) -> HttpResponse:
    """提出问题 on a supervised organization (?org= fixes it: 404 unseen, 403 not supervised)."""
    user = _user(request)
    access.committee_only(user)
    fixed = None
    if request.GET.get("org"):
        fixed = access.organization_for(user, request.GET["org"], Action.SUPERVISE)
    if request.method == "POST":
        form = FindingForm(request.POST, user=user, fixed=fixed)
        if form.is_valid():
            data = form.cleaned_data
            try:
                finding = services.finding_raise(
                    organization=data["chosen"],
                    year=data["year"],
                    source=data["source"],
                    description=data["description"],
                    category=data["category"],
                    severity=data["severity"],
                    by=user,
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("问题已列入问题清单。"))
                _warn_recurring(request, finding)
                if "and_task" in request.POST:
                    return redirect(f"{reverse('task_new')}?findings={finding.pk}")
                return redirect(f"{reverse('findings')}?year={finding.year}")
    else:
        form = FindingForm(user=user, fixed=fixed, initial={"year": chosen_year()})
    return render(request, "rectification/board/finding_new.html", {"form": form, "fixed": fixed})


def _warn_recurring(request: HttpRequest, finding: Finding) -> None:
    earlier = finding.recurring_of
    if earlier is not None and finding.recurrence_to_confirm:
        messages.warning(
            request,
            _("该问题与本组织 %(year)s 年的问题（%(text)s）相似 %(likeness)s%%，请上级党组织确认是否同一问题。")
            % {"year": earlier.year, "text": earlier.description[:40], "likeness": finding.recurring_likeness},
        )


def _back(request: HttpRequest, finding: Finding) -> str:
    """Where the evidence was shown (a path of this site), else the finding's task or the year's findings."""
    back = request.POST.get("next", "")
    # Anything else (another host, or a word redirect() would take for a URL name) is not followed.
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    if finding.task_id:
        return reverse("task_detail", args=[finding.task_id])
    return f"{reverse('findings')}?year={finding.year}"


@login_required
@require_POST
def finding_recurrence(request: HttpRequest, pk: int) -> HttpResponse:
    """确认是同一问题 / 不是同一问题: the committee's word on a finding's link to an earlier year's finding."""
    user = _user(request)
    finding = access.finding_for(user, pk)
    form = RecurrenceForm(request.POST)
    back = _back(request, finding)
    if not form.is_valid():
        messages.error(request, _("请选择“确认是同一问题”或“不是同一问题”。"))
        return redirect(back)
    confirm = form.cleaned_data["decision"] == RecurrenceForm.CONFIRM
    decide = services.finding_recurrence_confirm if confirm else services.finding_recurrence_reject
    try:
        decide(finding=finding, by=user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        if confirm:
            messages.success(request, _("已确认是同一问题，计入年年是问题。"))
        else:
            messages.success(request, _("已确认不是同一问题，不再提示这两个问题相似。"))
    return redirect(back)


@login_required
def findings_from_review(request: HttpRequest, report_pk: int) -> HttpResponse:
    """The problems named in a review's 点评意见 become findings without retyping; each only once."""
    user = _user(request)
    report = access.review_report_for(user, report_pk)
    lines = selectors.report_problems(report)
    if request.method == "POST":
        form = ProblemsForm(request.POST, lines=lines)
        if form.is_valid():
            chosen = form.cleaned_data["chosen"]
            try:
                # All or nothing: a problem converted meanwhile by someone else refuses the whole batch.
                with transaction.atomic():
                    for problem, category, severity in chosen:
                        services.finding_from_problem(problem=problem, category=category, severity=severity, by=user)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("已将 %(count)s 个问题列入问题清单。") % {"count": len(chosen)})
                return redirect("findings_from_review", report_pk=report.pk)
    else:
        form = ProblemsForm(lines=lines)
    untasked = [line.finding.pk for line in lines if line.finding is not None and not line.finding.task_id]
    return render(
        request,
        "rectification/board/from_review.html",
        {
            "report": report,
            "lines": lines,
            "form": form,
            "task_query": urlencode({"findings": ",".join(str(pk) for pk in untasked)}) if untasked else "",
        },
    )


# 下达整改任务 ----------------------------------------------------------------


def _finding_ids(values: list[str]) -> list[int]:
    """?findings=1,2 or ?findings=1&findings=2; anything else is not a finding of anyone's."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise Http404
            ids.append(int(part))
    return sorted(set(ids))


def _refusal(chosen: list[Finding]) -> str:
    if len({finding.organization_id for finding in chosen}) > 1:
        return _("一个整改任务只能针对同一个组织的问题，请只勾选同一组织的问题。")
    if any(finding.task_id for finding in chosen):
        return _("所选问题中有已下达整改任务的。")
    return ""


@login_required
def task_new(request: HttpRequest) -> HttpResponse:
    """下达整改任务 for findings of one organization: title, responsible person and leader, deadline."""
    user = _user(request)
    access.committee_only(user)
    ids = _finding_ids(request.GET.getlist("findings"))
    if not ids:
        messages.error(request, _("请先在问题清单中勾选要整改的问题。"))
        return redirect("findings")
    chosen = access.findings_for(user, ids)
    refusal = _refusal(chosen)
    organization = chosen[0].organization
    form = None
    if not refusal:
        if request.method == "POST":
            form = TaskForm(request.POST, organization=organization)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    task = services.task_create(
                        findings=chosen,
                        title=data["title"],
                        responsible=data["responsible"],
                        leader=data["leader"],
                        deadline=data["deadline"],
                        by=user,
                    )
                except DomainError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("整改任务已下达。"))
                    return redirect("task_detail", pk=task.pk)
        else:
            first_line = chosen[0].description.strip().splitlines()[0]
            form = TaskForm(
                organization=organization,
                initial={
                    "title": first_line[:200],
                    "deadline": timezone.localdate() + timedelta(days=DEFAULT_TASK_DAYS),
                },
            )
    return render(
        request,
        "rectification/board/task_new.html",
        {"findings": chosen, "organization": organization, "refusal": refusal, "form": form},
    )


# 党务公开 --------------------------------------------------------------------


def _year_or_404(year: int) -> int:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise Http404
    return year


@login_required
def disclosure(request: HttpRequest, org_pk: int, year: int) -> HttpResponse:
    """The committee publishes (or withdraws) an organization's rectification list for a year."""
    user = _user(request)
    organization = access.organization_for(user, org_pk, Action.SUPERVISE)
    year = _year_or_404(year)
    current = selectors.disclosure_of(organization, year)
    if request.method == "POST":
        form = DisclosureForm(request.POST)
        if request.POST.get("action") == "withdraw":
            services.disclosure_withdraw(organization=organization, year=year, by=user)
            messages.success(request, _("已撤回公开。"))
            return redirect("disclosure", org_pk=organization.pk, year=year)
        if form.is_valid():
            try:
                services.disclosure_publish(
                    organization=organization, year=year, hide_names=form.cleaned_data["hide_names"], by=user
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("整改清单已在党务公开页面公开。"))
                return redirect("disclosure", org_pk=organization.pk, year=year)
    else:
        form = DisclosureForm(initial={"hide_names": current.hide_names if current else True})
    return render(
        request,
        "rectification/board/disclosure.html",
        {
            "organization": organization,
            "year": year,
            "current": current,
            "form": form,
            "tasks": selectors.disclosed_tasks(organization, year),
            # What the public sees now, or would see with the suggested setting.
            "preview_hides_names": current.hide_names if current else True,
        },
    )


@require_GET
def public_rectification(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """党务公开 of one rectification list, without signing in: problems, measures, state; names only if shown."""
    published = access.published_disclosure_for(code, year)
    return render(
        request,
        "rectification/board/public_detail.html",
        {"disclosure": published, "tasks": selectors.disclosed_tasks(published.organization, year)},
    )


@require_GET
def public_rectifications(request: HttpRequest) -> HttpResponse:
    """Every published rectification list, newest year first, without signing in."""
    page = Paginator(access.published_disclosures(), PUBLIC_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "rectification/board/public_list.html", {"page": page, "year": year_from(None)})


urlpatterns = [
    path("rectification/", rectification_board, name="rectification_board"),
    path("rectification/findings/", findings, name="findings"),
    path("rectification/findings/new/", finding_new, name="finding_new"),
    path("rectification/findings/<int:pk>/recurrence/", finding_recurrence, name="finding_recurrence"),
    path("rectification/from-review/<int:report_pk>/", findings_from_review, name="findings_from_review"),
    path("rectification/tasks/new/", task_new, name="task_new"),
    path("rectification/ledger.xlsx", ledger_export, name="ledger_export"),
    path("rectification/disclosure/<int:org_pk>/<int:year>/", disclosure, name="disclosure"),
    path("public/rectification/", public_rectifications, name="public_rectifications"),
    path("public/rectification/<str:code>/<int:year>/", public_rectification, name="public_rectification"),
]
