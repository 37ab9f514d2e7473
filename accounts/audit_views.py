"""操作日志: the audit trail, read-only. Administrators read all of it, committees their subtree."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from accounts.permissions import scope_for, visible_q

# Each tracked model and how its rows reach their organization; the audit page filters by it.
AUDITED_MODELS: dict[str, str] = {
    "accounts.Organization": "",
    "accounts.Position": "organization__",
    "responsibility.WorkPlan": "organization__",
    "responsibility.WorkPoint": "plan__organization__",
    "responsibility.ResponsibilityList": "organization__",
    "responsibility.ListItem": "list__organization__",
    "responsibility.DutyRecord": "organization__",
    "responsibility.PublicCommitment": "organization__",
    "reviews.Cycle": "organization__",
    "reviews.DutyReport": "organization__",
    "reviews.Problem": "report__organization__",
    "reviews.Result": "report__organization__",
    "reviews.ClosingNote": "cycle__organization__",
    "reviews.BallotBatch": "cycle__organization__",
    "reviews.BallotCode": "cycle__organization__",
    "rectification.Finding": "organization__",
    "rectification.RectificationTask": "organization__",
    "rectification.ExtensionRequest": "task__organization__",
}
# Enough for a person reading recent changes; older ones are reached by narrowing the filters.
LATEST_PER_MODEL = 200
ROWS_PER_PAGE = 50
CHANGED_FIELDS_SHOWN = 5
CHANGE_TYPES = {"+": _("新增"), "~": _("修改"), "-": _("删除")}
UNSHOWN_FIELDS = ["version", "updated_at", "created_at"]


@dataclass
class AuditFilters:
    model: str = ""
    person: str = ""
    start: datetime.date | None = None
    end: datetime.date | None = None


def _filters(request: HttpRequest) -> AuditFilters:
    model = request.GET.get("model", "")
    return AuditFilters(
        model=model if model in AUDITED_MODELS else "",
        # PostgreSQL refuses a NUL in a query, and no name contains one.
        person=request.GET.get("person", "").replace("\x00", "").strip(),
        start=_date(request.GET.get("start")),
        end=_date(request.GET.get("end")),
    )


def _date(value: str | None) -> datetime.date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def _history_model(label: str) -> Any:
    return apps.get_model(label).history.model


def audit_rows(user: Any, filters: AuditFilters) -> list[Any]:
    """The latest history rows the user may read, newest first: one query per tracked model."""
    rows: list[Any] = []
    for label, prefix in AUDITED_MODELS.items():
        if filters.model and filters.model != label:
            continue
        history = _history_model(label)
        condition = visible_q(user, prefix)
        if filters.person:
            condition &= Q(history_user__username=filters.person) | Q(history_user__full_name=filters.person)
        if filters.start:
            condition &= Q(history_date__date__gte=filters.start)
        if filters.end:
            condition &= Q(history_date__date__lte=filters.end)
        previous = history.objects.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date")).order_by(
            "-history_date", "-history_id"
        )
        queryset = (
            history.objects.filter(condition)
            .select_related("history_user")
            .annotate(previous_id=Subquery(previous.values("history_id")[:1]))
            .order_by("-history_date", "-history_id")
        )
        rows.extend(queryset[:LATEST_PER_MODEL])
    rows.sort(key=lambda row: row.history_date, reverse=True)
    return rows


def _describe(rows: list[Any]) -> None:
    """Adds the label, change type and changed fields; one query per model on the page."""
    by_model: dict[Any, list[Any]] = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    for history, group in by_model.items():
        wanted = [row.previous_id for row in group if row.previous_id]
        previous = {old.history_id: old for old in history.objects.filter(history_id__in=wanted)} if wanted else {}
        for row in group:
            row.model_label = row.instance_type._meta.verbose_name
            row.object_label = getattr(row, "name", None) or getattr(row, "title", None) or ""
            row.change_label = CHANGE_TYPES.get(row.history_type, row.history_type)
            row.changes = []
            old = previous.get(row.previous_id)
            if old is not None and row.history_type == "~":
                delta = row.diff_against(old, excluded_fields=UNSHOWN_FIELDS)
                row.changes = [
                    (str(row.instance_type._meta.get_field(change.field).verbose_name), change.old, change.new)
                    for change in delta.changes[:CHANGED_FIELDS_SHOWN]
                ]


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """操作日志: who changed what, when and from where. Nothing here edits it."""
    if not scope_for(request.user).is_committee:
        raise PermissionDenied
    filters = _filters(request)
    page = Paginator(audit_rows(request.user, filters), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    _describe(list(page.object_list))
    model_choices = [(label, apps.get_model(label)._meta.verbose_name) for label in AUDITED_MODELS]
    return render(
        request,
        "accounts/audit_log.html",
        {"page": page, "items": page.object_list, "filters": filters, "model_choices": model_choices},
    )
