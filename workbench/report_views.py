"""年度报告: ask for an organization's yearly report or a committee's summary as PDF, follow it, download it.

Rendering runs in the background (reviews.tasks.render_report); the page shows each document's state and
refreshes itself (a meta refresh, no JavaScript) while one is queued or rendering. Who may ask for and
download a document: those who keep the organization or supervise it, and administrators; an organization
out of sight is 404, one seen but not allowed is 403 (workbench.access).
"""

from __future__ import annotations

import re
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Organization, User
from foundation.errors import DomainError
from workbench import access, renders
from workbench.models import RenderedReport
from workbench.report_forms import ORGANIZATIONS_LISTED, ReportRequestForm

PER_PAGE = 50
UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
IN_FLIGHT = (RenderedReport.Status.QUEUED, RenderedReport.Status.RENDERING)


def _user(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind login_required)."""
    return cast(User, request.user)


def _organization_choices(user: Any, preselected: Organization | None) -> list[Organization]:
    organizations = list(
        Organization.objects.filter(access.requestable_q(user), is_active=True).order_by("path")[:ORGANIZATIONS_LISTED]
    )
    if preselected is not None and preselected not in organizations:
        organizations.insert(0, preselected)
    return organizations


def _page(request: HttpRequest, form: ReportRequestForm) -> HttpResponse:
    page = Paginator(access.rendered_reports_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "pdf/yearly_reports.html",
        {
            "form": form,
            "page": page,
            "refresh": any(rendered.status in IN_FLIGHT for rendered in page.object_list),
        },
    )


@login_required
@require_GET
def yearly_reports(request: HttpRequest) -> HttpResponse:
    """年度报告: the documents the user may read with their state, and the form to ask for another."""
    user = _user(request)
    preselected = None
    if request.GET.get("organization", "").isdigit():
        preselected = access.requested_organization_for(user, request.GET["organization"])
    organizations = _organization_choices(user, preselected)
    if not organizations:
        raise Http404
    initial: dict[str, Any] = {
        "year": timezone.localdate().year - 1,
        "organization": (preselected or organizations[0]).pk,
        "kind": RenderedReport.Kind.SUMMARY
        if (preselected or organizations[0]).kind != Organization.Kind.BRANCH
        else RenderedReport.Kind.ORGANIZATION,
    }
    return _page(request, ReportRequestForm(initial=initial, organizations=organizations))


@login_required
@require_POST
def yearly_report_request(request: HttpRequest) -> HttpResponse:
    """Queues a document; asking again while it renders returns the one under way."""
    user = _user(request)
    organization_pk = request.POST.get("organization", "")
    organization = access.requested_organization_for(user, organization_pk) if organization_pk.isdigit() else None
    form = ReportRequestForm(request.POST, organizations=_organization_choices(user, organization))
    if organization is None:
        form.is_valid()
        form.add_error("organization", _("请选择党组织。"))
    if organization is None or not form.is_valid():
        return _page(request, form)
    try:
        _rendered, created = renders.rendered_report_request(
            organization=organization, year=form.cleaned_data["year"], kind=form.cleaned_data["kind"], by=user
        )
    except DomainError as error:
        form.add_error(None, str(error))
        return _page(request, form)
    if created:
        messages.success(request, _("已加入生成队列，生成后即可下载。"))
    else:
        messages.info(request, _("已在生成中，请稍候。"))
    return redirect("yearly_reports")


@login_required
@require_POST
def yearly_report_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Puts a failed document back in the queue."""
    rendered = access.rendered_report_for(request.user, pk)
    try:
        renders.rendered_report_retry(rendered=rendered, by=_user(request))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已重新加入生成队列。"))
    return redirect("yearly_reports")


@login_required
@require_GET
def yearly_report_download(request: HttpRequest, pk: int) -> FileResponse:
    """The PDF itself, once ready."""
    rendered = access.rendered_report_for(request.user, pk)
    if rendered.status != RenderedReport.Status.READY or not rendered.file:
        raise Http404
    try:
        handle = rendered.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    filename = UNSAFE_FILENAME.sub(
        "_", f"{rendered.organization.name}-{rendered.year}-{rendered.get_kind_display()}.pdf"
    )
    # FileResponse writes filename*=utf-8''… (RFC 5987) for the Chinese name, with an ASCII fallback.
    return FileResponse(handle, as_attachment=True, filename=filename, content_type="application/pdf")


urlpatterns = [
    path("reviews/pdf/", yearly_reports, name="yearly_reports"),
    path("reviews/pdf/request/", yearly_report_request, name="yearly_report_request"),
    path("reviews/pdf/<int:pk>/download/", yearly_report_download, name="yearly_report_download"),
    path("reviews/pdf/<int:pk>/retry/", yearly_report_retry, name="yearly_report_retry"),
]
