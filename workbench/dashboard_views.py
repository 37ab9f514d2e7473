"""工作台: the committee dashboard, drawn with the same SVG charts as the yearly PDF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.selectors import ancestors_of
from foundation.years import YEAR_MAX, YEAR_MIN, year_from
from reviews.models import Rating
from workbench import access
from workbench.charts import bar_chart, chart_table, distribution_chart
from workbench.dashboard import Dashboard, committee_dashboard_cached


@dataclass(frozen=True)
class Chart:
    """A chart and its text alternative: the same figures as a (visually hidden) table."""

    title: str
    svg: SafeString
    table: SafeString


def _bar(rows: Sequence[tuple[str, int]], *, title: str, value_header: str, percent: bool = False) -> Chart:
    unit = "%" if percent else ""
    return Chart(
        title=title,
        svg=bar_chart(rows, title=title, unit=unit, max_value=100 if percent else None),
        table=chart_table(rows, caption=title, label_header=_("组织"), value_header=value_header, unit=unit),
    )


def _charts(board: Dashboard) -> dict[str, Chart]:
    rows = board.rows
    grades = board.total.grades.pairs() if board.total else []
    grade_title = _("等次分布")
    return {
        "lists": _bar(
            [(row.label, row.approval_rate) for row in rows],
            title=_("责任清单审定率"),
            value_header=_("审定率"),
            percent=True,
        ),
        "records": _bar(
            [(row.label, row.records.records) for row in rows],
            title=_("本月履责记实"),
            value_header=_("记实条数"),
        ),
        "reports": _bar(
            [(row.label, row.reports.submission_rate) for row in rows],
            title=_("述职报告提交率"),
            value_header=_("提交率"),
            percent=True,
        ),
        "grades": Chart(
            title=grade_title,
            svg=distribution_chart(grades, title=grade_title),
            table=chart_table(grades, caption=grade_title, label_header=_("等次"), value_header=_("组织数")),
        ),
        "rectification": _bar(
            [(row.label, row.rectification_rate) for row in rows],
            title=_("整改销号率"),
            value_header=_("销号率"),
            percent=True,
        ),
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """工作台: lists, records, reports, grades and rectification of a year over the subtree, by child organization."""
    roots, chosen = access.dashboard_roots_for(request.user, request.GET.get("org"))
    year = year_from(request.GET.get("year"))
    board = committee_dashboard_cached(request.user, roots, year=year, today=timezone.localdate())
    ancestors = []
    if chosen is not None:
        ancestors = [ancestor for ancestor in ancestors_of(chosen) if access.follows(request.user, ancestor)]
    return render(
        request,
        "workbench/dashboard.html",
        {
            "board": board,
            "charts": _charts(board),
            "year": year,
            "year_min": YEAR_MIN,
            "year_max": YEAR_MAX,
            "chosen": chosen,
            "root": roots[0] if len(roots) == 1 else None,
            "ancestors": ancestors,
            "grade_choices": Rating.choices,
            "cache_minutes": max(1, round(settings.DASHBOARD_CACHE_SECONDS / 60)),
        },
    )
