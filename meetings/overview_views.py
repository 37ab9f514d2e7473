"""组织生活统计: the committee's view of organizational life across its subtree, and its Excel export.

Every organization comes from meetings.access (404 unseen, 403 not followed); the figures from
meetings.overview. The lead's meetings/urls.py includes `urlpatterns` below.
"""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Organization
from foundation.excel import XLSX_CONTENT_TYPE
from foundation.years import year_from
from meetings import access, overview
from meetings.overview_exports import overview_workbook

UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _roots(request: HttpRequest, org_pk: int | None) -> tuple[list[Organization], Organization | None]:
    if org_pk is None:
        access.committee_only(request.user)
        return access.overview_roots(request.user), None
    chosen = access.overview_organization_for(request.user, org_pk)
    return [chosen], chosen


@login_required
@require_GET
def life_overview(request: HttpRequest, org_pk: int | None = None) -> HttpResponse:
    """The year's organizational life summed by child organization (or by followed root), with drill-down."""
    roots, chosen = _roots(request, org_pk)
    year = year_from(request.GET.get("year"))
    return render(
        request,
        "meetings/overview.html",
        {
            "roots": roots,
            "chosen": chosen,
            "year": year,
            "overview": overview.life_overview_cached(roots, year, today=timezone.localdate()),
        },
    )


@login_required
@require_GET
def life_overview_export(request: HttpRequest, org_pk: int | None = None) -> FileResponse:
    """The page's table and every organization of the subtree as Excel (figures only, no personal data)."""
    roots, chosen = _roots(request, org_pk)
    year = year_from(request.GET.get("year"))
    output = overview_workbook(roots, overview.life_overview(roots, year))
    scope_name = chosen.name if chosen is not None else _("全部")
    filename = UNSAFE_FILENAME.sub("_", f"{_('组织生活统计')}-{scope_name}-{year}.xlsx")
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


urlpatterns = [
    path("meetings/overview/", life_overview, name="life_overview"),
    path("meetings/overview/export/", life_overview_export, name="life_overview_export"),
    path("meetings/overview/<int:org_pk>/", life_overview, name="life_overview_org"),
    path("meetings/overview/<int:org_pk>/export/", life_overview_export, name="life_overview_org_export"),
]
