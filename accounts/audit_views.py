"""操作日志: the audit trail, read-only. Administrators read all of it, committees their subtree.

What each row shows is its app's to say (accounts.history.register_audited): a row the reader may not
see in its state is left out, and a changed field they may not read is named without its values.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.history import AuditedModel, audited_model, audited_models
from accounts.permissions import visible_q

# Enough for a person reading recent changes; older ones are reached by narrowing the filters.
LATEST_PER_MODEL = 200
ROWS_PER_PAGE = 50
CHANGED_FIELDS_SHOWN = 5
CHANGE_TYPES = {"+": _("新增"), "~": _("修改"), "-": _("删除")}
UNSHOWN_FIELDS = ["version", "updated_at", "created_at"]
LABEL_FIELDS = ("name", "title")


@dataclass(frozen=True)
class FieldChange:
    """One changed field of a row; a side the reader may not read carries no value, only that it is hidden."""

    label: str
    old: Any
    new: Any
    old_hidden: bool = False
    new_hidden: bool = False


@dataclass
class AuditFilters:
    model: str = ""
    person: str = ""
    start: datetime.date | None = None
    end: datetime.date | None = None


def _filters(request: HttpRequest) -> AuditFilters:
    model = request.GET.get("model", "")
    return AuditFilters(
        model=model if audited_model(model) is not None else "",
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


def audit_rows(user: Any, filters: AuditFilters) -> list[Any]:
    """The latest history rows the user may read, newest first: one query per tracked model.

    Each row carries `readable_fields`, what its app's rule lets the user read of it in its state;
    rows the rule does not show are left out.
    """
    rows: list[Any] = []
    for audited in audited_models():
        if filters.model and filters.model != audited.label:
            continue
        history = audited.history_model
        condition = visible_q(user, audited.organization_prefix)
        if audited.shown_q is not None:
            condition &= audited.shown_q(user)
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
            .select_related("history_user", *audited.related)
            .annotate(previous_id=Subquery(previous.values("history_id")[:1]))
            .order_by("-history_date", "-history_id")
        )
        for row in queryset[:LATEST_PER_MODEL]:
            readable = audited.readable_fields(user, row)
            if readable is not None:
                row.readable_fields = frozenset(readable)
                rows.append(row)
    rows.sort(key=lambda row: row.history_date, reverse=True)
    return rows


def _object_label(row: Any) -> str:
    """The row's name or title, when the reader may read it."""
    for field in LABEL_FIELDS:
        if field in row.readable_fields and getattr(row, field, None):
            return str(getattr(row, field))
    return ""


def _changes(row: Any, old: Any, old_readable: frozenset[str]) -> list[FieldChange]:
    """The fields changed since OLD, each side shown only where the reader may read it in that row's state."""
    delta = row.diff_against(old, excluded_fields=UNSHOWN_FIELDS)
    changes = []
    for change in delta.changes[:CHANGED_FIELDS_SHOWN]:
        old_hidden = change.field not in old_readable
        new_hidden = change.field not in row.readable_fields
        changes.append(
            FieldChange(
                label=str(row.instance_type._meta.get_field(change.field).verbose_name),
                old=None if old_hidden else change.old,
                new=None if new_hidden else change.new,
                old_hidden=old_hidden,
                new_hidden=new_hidden,
            )
        )
    return changes


def _describe(user: Any, rows: list[Any]) -> None:
    """Adds the label, change type and changed fields; one query per model on the page.

    The previous row of each change is judged by the same rule, so an old value is shown only where the
    reader could read it then (a draft's text stays hidden beside the submitted one).
    """
    by_history: dict[Any, AuditedModel] = {audited.history_model: audited for audited in audited_models()}
    by_model: dict[Any, list[Any]] = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    for history, group in by_model.items():
        audited = by_history[history]
        wanted = [row.previous_id for row in group if row.previous_id]
        previous = (
            {
                old.history_id: old
                for old in history.objects.filter(history_id__in=wanted).select_related(*audited.related)
            }
            if wanted
            else {}
        )
        for row in group:
            row.model_label = row.instance_type._meta.verbose_name
            row.object_label = _object_label(row)
            row.change_label = CHANGE_TYPES.get(row.history_type, row.history_type)
            row.changes = []
            old = previous.get(row.previous_id)
            if old is not None and row.history_type == "~":
                row.changes = _changes(row, old, frozenset(audited.readable_fields(user, old) or ()))


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """操作日志: who changed what, when and from where. Nothing here edits it."""
    access.committee_only(request.user)
    filters = _filters(request)
    page = Paginator(audit_rows(request.user, filters), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    _describe(request.user, list(page.object_list))
    model_choices = [(audited.label, audited.model._meta.verbose_name) for audited in audited_models()]
    return render(
        request,
        "accounts/audit_log.html",
        {"page": page, "items": page.object_list, "filters": filters, "model_choices": model_choices},
    )
