"""The background workflow of a yearly PDF (`RenderedReport`): who may ask for it, queued → rendering →
ready or failed, driven by the Celery task `workbench.render_report`; the partial unique index
`one_render_in_flight` keeps a second render of the same document from starting while one is under way."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from foundation.errors import DomainError
from foundation.queue import queue_or_leave
from rectification.models import RectificationTask
from workbench import access
from workbench.models import RenderedReport
from workbench.pdf import render_pdf
from workbench.yearly import document_html

logger = logging.getLogger(__name__)

Kind = RenderedReport.Kind
Status = RenderedReport.Status
TaskStatus = RectificationTask.Status

STALE_AFTER = timedelta(minutes=30)
"""A render still "rendering" after this long died with its worker: asking again replaces it."""
REQUEUE_AFTER = timedelta(minutes=10)
"""A render still queued this long after it was asked for lost its message (the broker was down): send it again."""


# --- the background workflow ------------------------------------------------------------------------


def _check_request(organization: Organization, year: int, kind: str) -> None:
    if kind not in Kind.values:
        raise DomainError(_("请选择报告类型。"))
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise DomainError(_("年度应在 2000 年至 %(year)s 年之间。") % {"year": this_year})
    if kind == Kind.SUMMARY and organization.kind == Organization.Kind.BRANCH:
        raise DomainError(_("党支部没有下级党组织，请选择“年度报告”。"))


def _send(rendered_id: int) -> None:
    # With the broker down the row stays committed as queued: the periodic sweep
    # (rendered_reports_requeue) sends it once the broker is back.
    queue_or_leave(
        "workbench.render_report",
        rendered_id,
        logger=logger,
        message=f"Could not queue render {rendered_id}; the periodic sweep queues it again.",
    )


def _enqueue(rendered_id: int) -> None:
    transaction.on_commit(lambda: _send(rendered_id))


def rendered_reports_requeue(*, now: Any = None, limit: int = 500) -> int:
    """Sends again the renders still queued REQUEUE_AFTER after they were asked for (their message was lost).

    A duplicate message is harmless: only one run moves a row out of QUEUED.
    """
    cutoff = (now or timezone.now()) - REQUEUE_AFTER
    waiting = list(
        RenderedReport.objects.filter(status=Status.QUEUED, requested_at__lt=cutoff)
        .order_by("requested_at")
        .values_list("pk", flat=True)[:limit]
    )
    for rendered_id in waiting:
        _send(rendered_id)
    return len(waiting)


def _check_actor(by: User, organization: Organization) -> None:
    """The same rule as the pages' (workbench.access), so a command or a task is refused like a page."""
    if not access.may_request(by, organization):
        raise DomainError(_("您不能为%(org)s生成年度报告。") % {"org": organization.name})


def rendered_report_request(
    *, organization: Organization, year: int, kind: str, by: User
) -> tuple[RenderedReport, bool]:
    """Queues the document and its render after commit; (the one already in flight, False) if there is one."""
    _check_actor(by, organization)
    _check_request(organization, year, kind)
    in_flight = RenderedReport.objects.filter(
        organization=organization, year=year, kind=kind, status__in=[Status.QUEUED, Status.RENDERING]
    )
    for _attempt in range(2):
        try:
            with transaction.atomic():
                rendered = RenderedReport.objects.create(
                    organization=organization, year=year, kind=kind, requested_by=by
                )
        except IntegrityError:
            existing = in_flight.first()
            if existing is None:
                continue  # It finished between our insert and our read: ask again.
            if existing.status == Status.RENDERING and existing.requested_at < timezone.now() - STALE_AFTER:
                # Its worker died mid-render (acks_late redelivers, but the guarded update refuses it).
                RenderedReport.objects.filter(pk=existing.pk, status=Status.RENDERING).update(
                    status=Status.FAILED, error=_("生成中断（超时），已重新生成。"), finished_at=timezone.now()
                )
                continue
            return existing, False
        _enqueue(rendered.pk)
        return rendered, True
    raise DomainError(_("已在生成中，请稍后刷新。"))


def rendered_report_retry(*, rendered: RenderedReport, by: User) -> RenderedReport:
    """Puts a failed render back in the queue; refused while another render of the same document is under way."""
    _check_actor(by, rendered.organization)
    try:
        with transaction.atomic():
            updated = RenderedReport.objects.filter(pk=rendered.pk, status=Status.FAILED).update(
                status=Status.QUEUED, error="", finished_at=None
            )
    except IntegrityError:
        raise DomainError(_("已在生成中，请稍后刷新。")) from None
    if updated != 1:
        raise DomainError(_("只有生成失败的报告可以重试。"))
    _enqueue(rendered.pk)
    rendered.refresh_from_db()
    return rendered


def _file_name(rendered: RenderedReport) -> str:
    # One name per row: a render retried after its worker was killed overwrites what that run left, never adds a file.
    return f"{rendered.organization.code}-{rendered.year}-{rendered.kind}-{rendered.pk}.pdf"


def rendered_report_render(*, rendered_id: int) -> str:
    """QUEUED → RENDERING → READY (the file in storage) or FAILED (with the reason); a no-op for any other state.

    The guarded update makes a duplicate delivery of the task harmless: only one run moves the row out of QUEUED.
    """
    started = RenderedReport.objects.filter(pk=rendered_id, status=Status.QUEUED).update(status=Status.RENDERING)
    if started != 1:
        return "skipped"
    rendered = RenderedReport.objects.select_related("organization").get(pk=rendered_id)
    try:
        data = render_pdf(document_html(rendered.organization, rendered.year, rendered.kind))
        field_file = rendered.file
        name = field_file.field.generate_filename(rendered, _file_name(rendered))
        if field_file.storage.exists(name):
            field_file.storage.delete(name)  # the partial file of a killed run
        stored = field_file.storage.save(name, ContentFile(data))
    except Exception as error:  # whatever went wrong, the person sees why and may retry
        logger.exception("Rendering %s failed", rendered_id)
        reason = str(error) if isinstance(error, DomainError) else _("生成失败：%(error)s") % {"error": error}
        RenderedReport.objects.filter(pk=rendered_id, status=Status.RENDERING).update(
            status=Status.FAILED, error=reason[:2000], finished_at=timezone.now()
        )
        return Status.FAILED
    RenderedReport.objects.filter(pk=rendered_id, status=Status.RENDERING).update(
        status=Status.READY, file=stored, error="", finished_at=timezone.now()
    )
    return Status.READY
