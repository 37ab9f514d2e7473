"""Committee progress over a subtree, Excel exports, public commitments (党务公开) and contact points (书记联系点)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Organization, User
from accounts.permissions import Action
from foundation.errors import DomainError
from foundation.excel import XLSX_CONTENT_TYPE
from foundation.years import year_from
from responsibility import access, exports, selectors, services
from responsibility.progress_forms import (
    CommitmentForm,
    ContactPointForm,
    ContactVisitForm,
    ProgressFilterForm,
)

PROGRESS_PER_PAGE = 50
PUBLIC_PER_PAGE = 20
CONTACT_POINTS_PER_PAGE = 50
UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


# 责任落实进度 -----------------------------------------------------------------


@dataclass
class DrillRow:
    """One line of the drill-down: an organization's subtree, the root itself, or the root's direct branches."""

    label: str
    figures: selectors.ProgressFigures
    organization: Organization | None = None
    drill: bool = False


def _user(request: HttpRequest) -> User:
    # login_required has run: the user is signed in.
    return cast(User, request.user)


def _drill_rows(roots: list[Organization], groups: dict[str, selectors.ProgressFigures]) -> list[DrillRow]:
    if len(roots) != 1:
        return [
            DrillRow(root.name, groups[root.path], root, drill=root.is_committee)
            for root in roots
            if root.path in groups
        ]
    root = roots[0]
    rows = []
    if root.path in groups:
        rows.append(DrillRow(_("本级（%(name)s）") % {"name": root.name}, groups[root.path], root))
    children = list(selectors.committee_children(root))
    rows.extend(
        DrillRow(child.name, groups[child.path], child, drill=True) for child in children if child.path in groups
    )
    # Branches directly below the root have no subtree to drill into: one folded line.
    taken = {root.path, *(child.path for child in children)}
    direct = selectors.ProgressFigures()
    for group_path, figures in groups.items():
        if group_path not in taken:
            direct.add(figures)
    if direct.organizations:
        rows.append(DrillRow(_("直属党支部（%(count)s 个）") % {"count": direct.organizations}, direct))
    return rows


def _filter_labels(form: ProgressFilterForm) -> list[str]:
    labels = []
    for name in ("sector", "kind", "light"):
        value = form.cleaned_data.get(name)
        if value:
            field = form.fields[name]
            choices = dict(field.choices)  # type: ignore[attr-defined]
            labels.append(f"{field.label}：{choices.get(value, value)}")
    return labels


def _query(form: ProgressFilterForm, **extra: Any) -> str:
    values = {name: value for name, value in form.cleaned_data.items() if value not in (None, "")}
    values.update({name: value for name, value in extra.items() if value})
    return urlencode(values)


@login_required
def progress_overview(request: HttpRequest) -> HttpResponse:
    """责任落实进度: a committee's subtree for a year, summed, by child, and organization by organization."""
    roots, chosen = access.progress_roots_for(request.user, request.GET.get("org"))
    form = ProgressFilterForm.from_query(request.GET)
    filters = form.filters()
    groups = selectors.progress_by_group(roots, filters)
    summary = selectors.ProgressFigures()
    for figures in groups.values():
        summary.add(figures)
    page = Paginator(selectors.progress_table(roots, filters), PROGRESS_PER_PAGE).get_page(request.GET.get("page"))
    for organization in page.object_list:
        organization.completion = selectors.completion_rate(organization.list_done, organization.list_required)
        organization.list_status_label = selectors.list_status_label(organization.list_status)
    ancestors = access.followed_ancestors(request.user, chosen) if chosen is not None else []
    root = roots[0] if len(roots) == 1 else None
    return render(
        request,
        "responsibility/progress/overview.html",
        {
            "form": form,
            "filters": filters,
            "roots": roots,
            "root": root,
            "chosen": chosen,
            "ancestors": ancestors,
            "summary": summary,
            "drill_rows": _drill_rows(roots, groups),
            "page": page,
            "filter_query": _query(form),
            "page_query": _query(form, org=chosen.pk if chosen else None),
            "may_manage_root": root is not None and access.keeps(request.user, root),
        },
    )


def _xlsx_response(output: Any, filename: str) -> FileResponse:
    filename = UNSAFE_FILENAME.sub("_", filename)
    # FileResponse writes filename*=utf-8''… (RFC 5987) for the Chinese name, with an ASCII fallback.
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


@login_required
@require_GET
def progress_export(request: HttpRequest) -> FileResponse:
    """The progress table with the page's filters, every matching organization, as Excel."""
    roots, _chosen = access.progress_roots_for(request.user, request.GET.get("org"))
    form = ProgressFilterForm.from_query(request.GET)
    filters = form.filters()
    output = exports.progress_workbook(roots, filters, filter_labels=_filter_labels(form))
    scope_name = roots[0].name if len(roots) == 1 else _("全部")
    return _xlsx_response(output, f"{_('责任落实进度')}-{scope_name}-{filters.year}.xlsx")


@login_required
@require_GET
def list_export(request: HttpRequest, pk: int) -> FileResponse:
    """A list with its items as Excel, for whoever may see the list's organization."""
    responsibility_list = access.list_for(request.user, pk, Action.VIEW)
    output = exports.list_workbook(responsibility_list)
    name = responsibility_list.organization.name
    return _xlsx_response(output, f"{_('责任清单')}-{name}-{responsibility_list.year}.xlsx")


# 公开承诺 / 党务公开 ------------------------------------------------------------


@login_required
def commitment_edit(request: HttpRequest, org_pk: int, year: int) -> HttpResponse:
    """The secretary writes the year's public commitment and chooses whether to publish it."""
    organization = access.organization_for(request.user, org_pk, Action.MANAGE)
    commitment = selectors.commitment_of(organization, year)
    if request.method == "POST":
        form = CommitmentForm(request.POST)
        if form.is_valid():
            try:
                saved = services.commitment_save(
                    organization=organization,
                    year=year,
                    text=form.cleaned_data["text"],
                    publish=form.cleaned_data["publish"],
                    by=_user(request),
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("公开承诺已公开。") if saved.is_published else _("公开承诺已保存（未公开）。")
                )
                return redirect("commitment_edit", org_pk=organization.pk, year=year)
    elif commitment is not None:
        form = CommitmentForm(initial={"text": commitment.text, "publish": commitment.is_published})
    else:
        form = CommitmentForm()
    return render(
        request,
        "responsibility/progress/commitment_edit.html",
        {"organization": organization, "year": year, "commitment": commitment, "form": form},
    )


@require_GET
def public_commitments(request: HttpRequest) -> HttpResponse:
    """党务公开: published commitments, open to everyone without signing in."""
    # PostgreSQL refuses a NUL in a query, and no name contains one.
    managed = access.managed_organizations(request.user)
    query = request.GET.get("q", "").replace("\x00", "").strip()[:64]
    page = Paginator(selectors.published_commitments(query), PUBLIC_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "responsibility/progress/public_list.html",
        {
            "page": page,
            "query": query,
            "page_query": urlencode({"q": query}) if query else "",
            # Signed-in leaders find the way to write their own organization's commitment here.
            "managed": managed,
            "year": timezone.localdate().year,
        },
    )


@require_GET
def public_commitment(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """One published commitment with the list's completion; nothing private (no records, evidence or phones)."""
    commitment = access.published_commitment_for(code, year)
    return render(
        request,
        "responsibility/progress/public_detail.html",
        {"commitment": commitment, "year_list": selectors.year_list_of(commitment.organization, year)},
    )


# 书记联系点 --------------------------------------------------------------------


@login_required
def contact_points(request: HttpRequest) -> HttpResponse:
    """A committee person's contact points for the year, the form to add one, and every point below them."""
    access.committee_only(request.user)
    user = _user(request)
    year = year_from(request.POST.get("year") if request.method == "POST" else request.GET.get("year"))
    if request.method == "POST":
        form = ContactPointForm(request.POST, user=user, year=year)
        if form.is_valid():
            try:
                point = services.contact_point_designate(
                    member=user,
                    organization=form.cleaned_data["chosen"],
                    year=year,
                    reason=form.cleaned_data["reason"],
                    by=user,
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("已确定 %(org)s 为联系点。") % {"org": point.organization.name})
                return redirect("contact_point_detail", pk=point.pk)
    else:
        form = ContactPointForm(user=user, year=year)
    page = Paginator(selectors.contact_points_supervised(user, year), CONTACT_POINTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "responsibility/progress/contact_points.html",
        {
            "year": year,
            "form": form,
            "mine": list(selectors.contact_points_of(user, year)),
            "page": page,
            "page_query": urlencode({"year": year}),
        },
    )


@login_required
def contact_point_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A contact point, its visits newest first, and the form to record a visit."""
    point = access.contact_point_for(request.user, pk)
    if request.method == "POST":
        form = ContactVisitForm(request.POST)
        if form.is_valid():
            try:
                services.contact_visit_add(contact_point=point, by=_user(request), **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("走访记录已保存。"))
                return redirect("contact_point_detail", pk=point.pk)
    else:
        form = ContactVisitForm(initial={"visited_on": timezone.localdate()})
    return render(
        request,
        "responsibility/progress/contact_point_detail.html",
        {
            "point": point,
            "visits": selectors.contact_point_visits(point),
            "year_list": selectors.year_list_of(point.organization, point.year),
            "form": form,
        },
    )


urlpatterns = [
    path("progress/", progress_overview, name="progress_overview"),
    path("progress/export.xlsx", progress_export, name="progress_export"),
    path("lists/<int:pk>/export.xlsx", list_export, name="list_export"),
    path("orgs/<int:org_pk>/commitment/<int:year>/", commitment_edit, name="commitment_edit"),
    path("public/", public_commitments, name="public_commitments"),
    path("public/<str:code>/<int:year>/", public_commitment, name="public_commitment"),
    path("contact-points/", contact_points, name="contact_points"),
    path("contact-points/<int:pk>/", contact_point_detail, name="contact_point_detail"),
]
