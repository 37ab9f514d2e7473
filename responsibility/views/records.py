"""履责记实 pages: 我的清单, an item's progress and records, adding and correcting records, evidence, review."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Action
from foundation.errors import DomainError
from foundation.files import attached_file_response
from foundation.years import year_from
from responsibility import access, selectors, services
from responsibility.models import DutyRecord
from responsibility.record_forms import RecordEditForm, RecordForm, ReviewForm
from responsibility.texts import RECORD_TEXT
from similarity import selectors as similarity

RECORDS_PER_PAGE = 25


def _user(request: HttpRequest) -> User:
    # Every view here requires sign-in, so the user is a real account.
    return cast(User, request.user)


@login_required
def my_list(request: HttpRequest) -> HttpResponse:
    """我的清单: the year's items of every organization the person leads, their own and the most urgent first."""
    user = _user(request)
    is_member_only = access.is_member_only(user)
    year = year_from(request.GET.get("year"))
    return render(
        request,
        "responsibility/records/my_list.html",
        {
            "year": year,
            "duties": selectors.my_duties(user, year),
            "is_member_only": is_member_only,
            "today": timezone.localdate(),
        },
    )


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An item: its target, its progress period by period, and its records with evidence."""
    user = _user(request)
    item = access.item_for(user, pk)
    records = list(selectors.item_records(item))
    today = timezone.localdate()
    return render(
        request,
        "responsibility/records/item_detail.html",
        {
            "item": item,
            "responsibility_list": item.list,
            "organization": item.list.organization,
            "periods": selectors.item_periods(item, records, today=today),
            "late_marks": selectors.item_late_marks(item),
            "records": records,
            "may_record": access.may_record(user, item),
            "reviewer": access.supervises(user, item.list.organization),
        },
    )


@login_required
def record_add(request: HttpRequest, pk: int) -> HttpResponse:
    """履责记实: a dated record with evidence; a refused one saves nothing and keeps what was typed."""
    user = _user(request)
    item = access.item_to_record(user, pk)
    if request.method == "POST":
        form = RecordForm(request.POST, request.FILES, item=item, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_add(
                    item=item,
                    occurred_on=data["occurred_on"],
                    content=data["content"],
                    done_by=data["done_by"],
                    personal_action=data.get("personal_action") or "",
                    files=data["files"],
                    by=user,
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("履责记实已保存，等待上级审阅。"))
                return redirect("item_detail", item.pk)
    else:
        form = RecordForm(item=item, user=user)
    return render(
        request,
        "responsibility/records/record_form.html",
        {"form": form, "item": item, "organization": item.list.organization, "record": None},
    )


def _record_page(request: HttpRequest, record: DutyRecord, review_form: ReviewForm | None = None) -> HttpResponse:
    user = _user(request)
    likenesses = similarity.likenesses(user, RECORD_TEXT, [record.pk]).get(record.pk, [])
    if review_form is None:
        # A repeated record: the reviewer's 驳回 reason is written already, to send as it is or to edit.
        review_form = ReviewForm(initial={"reason": likenesses[0].return_reason} if likenesses else None)
    return render(
        request,
        "responsibility/records/record_detail.html",
        {
            "record": record,
            "item": record.item,
            "organization": record.organization,
            "may_edit": access.may_edit_record(user, record),
            # accept, return, resubmit: the steps of RECORD_TRANSITIONS this person may take now.
            "actions": access.allowed_actions(user, record),
            "review_form": review_form,
            "likenesses": likenesses,
            "has_evidence": services.record_has_evidence(record),
            "reviewer": access.supervises(user, record.organization),
        },
    )


@login_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A record: what was done, its evidence, then its review; the committee accepts or returns it here."""
    return _record_page(request, access.record_for(_user(request), pk))


@login_required
def record_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The author corrects a record; a returned one is submitted again for review."""
    user = _user(request)
    record = access.record_to_edit(user, pk)
    if record.is_accepted:
        messages.error(request, _("已认可的记实不能修改。"))
        return redirect("record_detail", record.pk)
    if request.method == "POST":
        form = RecordEditForm(request.POST, request.FILES, record=record)
        if form.is_valid():
            data = form.cleaned_data
            was_returned = record.is_returned
            try:
                services.record_update(
                    record=record,
                    occurred_on=data["occurred_on"],
                    content=data["content"],
                    personal_action=data.get("personal_action") or "",
                    files=data["files"],
                    by=user,
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                if was_returned:
                    messages.success(request, _("记实已修改并重新提交审阅。"))
                else:
                    messages.success(request, _("记实已修改。"))
                return redirect("record_detail", record.pk)
    else:
        form = RecordEditForm(record=record)
    return render(
        request,
        "responsibility/records/record_form.html",
        {"form": form, "item": record.item, "organization": record.organization, "record": record},
    )


@login_required
@require_POST
def evidence_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Removes one file from a record that is not yet accepted."""
    user = _user(request)
    evidence = access.evidence_to_remove(user, pk)
    record = evidence.record
    try:
        services.evidence_remove(evidence=evidence, by=user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("record_detail", record.pk)
    messages.success(request, _("已删除佐证材料“%(name)s”。") % {"name": evidence.original_name})
    return redirect("record_edit", record.pk)


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serves an evidence file (or with `?size=thumb` its thumbnail) from storage, never from a public URL."""
    evidence = access.evidence_for(_user(request), pk)
    return attached_file_response(request, evidence, evidence.file)


@login_required
def record_review_queue(request: HttpRequest) -> HttpResponse:
    """Records waiting for the committee's review across what it supervises, newest first."""
    user = _user(request)
    access.committee_only(user)
    # PostgreSQL refuses a NUL in a query, and no name contains one.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    page = Paginator(selectors.records_awaiting_review(user, query), RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    # Repeated records are flagged on their row, with a one-tap 驳回 whose reason is written already.
    found = similarity.likenesses(user, RECORD_TEXT, [record.pk for record in page.object_list])
    rows = [(record, found.get(record.pk, [])) for record in page.object_list]
    return render(
        request,
        "responsibility/records/review_queue.html",
        {"page": page, "records": page.object_list, "rows": rows, "query": query},
    )


@login_required
@require_POST
def record_review(request: HttpRequest, pk: int) -> HttpResponse:
    """认可 or 驳回 a record; a return needs a reason, which the author then sees."""
    user = _user(request)
    record = access.record_for(user, pk, Action.SUPERVISE)
    form = ReviewForm(request.POST)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("record_detail", args=[record.pk])
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "accept":
                services.record_accept(record=record, by=user, without_evidence=form.cleaned_data["without_evidence"])
                messages.success(request, _("已认可该记实。"))
            else:
                services.record_return(record=record, by=user, reason=form.cleaned_data["reason"])
                messages.success(request, _("已驳回该记实，记实人会看到驳回理由。"))
        except services.EvidenceMissing as error:
            form.add_error("without_evidence", str(error))
        except DomainError as error:
            record = access.record_for(user, record.pk)
            if not access.allowed_actions(user, record):
                # Someone else decided first, or the year closed: nothing to correct here, just say why.
                messages.error(request, str(error))
                return redirect("record_detail", record.pk)
            form.add_error(None, str(error))
    if not form.is_valid():
        # The record page again, at its review form, with the error beside the field and nothing changed.
        return _record_page(request, access.record_for(user, record.pk), form)
    return redirect(next_url)


urlpatterns = [
    path("duties/", my_list, name="my_list"),
    path("items/<int:pk>/", item_detail, name="item_detail"),
    path("items/<int:pk>/records/add/", record_add, name="record_add"),
    path("records/review/", record_review_queue, name="record_review_queue"),
    path("records/<int:pk>/", record_detail, name="record_detail"),
    path("records/<int:pk>/edit/", record_edit, name="record_edit"),
    path("records/<int:pk>/review/", record_review, name="record_review"),
    path("evidence/<int:pk>/", evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/remove/", evidence_remove, name="evidence_remove"),
]
