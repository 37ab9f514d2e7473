"""述职报告: writing, the self-assessment, submitting and returning (by the organization's leading roles)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import nh3
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Position, User
from foundation.errors import DomainError, clean_text, transition
from meetings.models import Meeting
from notifications.services import notify
from responsibility.models import DutyRecord
from reviews import access, texts
from reviews.models import (
    DutyReport,
    Indicator,
    ReportVersion,
    SelfAssessment,
)
from reviews.services.base import CycleStatus, ReportStatus, _decimal, _require
from reviews.workflow import REPORT_TRANSITIONS

# What a report's rich text may contain: paragraphs, lists, emphasis. Nothing else survives.
ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "u", "h3", "h4", "blockquote"}
MAX_SECTION_CHARS = 50_000


def sanitize(html: str) -> str:
    """Keeps paragraphs, lists and emphasis; drops every other tag, attribute and script."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes={}, link_rel=None).strip()


# 述职报告 --------------------------------------------------------------------


def _locked_report(report: DutyReport) -> DutyReport:
    return DutyReport.objects.select_for_update().select_related("cycle", "organization").get(pk=report.pk)


def _check_writable(report: DutyReport) -> None:
    if report.cycle.status != CycleStatus.OPEN:
        raise DomainError(_("考核尚未启动或已结束，报告不能修改。"))
    if report.status == ReportStatus.SUBMITTED:
        raise DomainError(_("报告已提交，不能再修改；如需修改，请联系上级党组织退回。"))


@transaction.atomic
def report_save(*, report: DutyReport, sections: Mapping[str, str], revision: int, by: User) -> DutyReport:
    """Saves the draft (the page autosaves). A save from a page older than the stored text is refused."""
    _require(access.may_keep_report(by, report))
    locked = _locked_report(report)
    _check_writable(locked)
    if revision != locked.revision:
        raise DomainError(_("报告已在别处更新（例如另一个窗口或另一位同志）。请刷新页面后再编辑，以免覆盖。"))
    titles = locked.cycle.section_titles()
    cleaned = {}
    for title in titles:
        html = sanitize(sections.get(title, locked.sections.get(title, "")))
        if len(html) > MAX_SECTION_CHARS:
            raise DomainError(
                _("“%(section)s”过长（超过 %(max)s 字）。") % {"section": title, "max": MAX_SECTION_CHARS}
            )
        cleaned[title] = html
    locked.sections = cleaned
    locked.revision += 1
    locked.last_edited_by = by
    locked.last_edited_at = timezone.now()
    locked.save(update_fields=["sections", "revision", "last_edited_by", "last_edited_at"])
    texts.report_compared(locked)
    return locked


@transaction.atomic
def self_assessment_save(
    *,
    report: DutyReport,
    indicator: Indicator,
    points: Any,
    note: str,
    record_ids: Sequence[int],
    by: User,
    meeting_ids: Sequence[int] = (),
) -> SelfAssessment:
    """The organization's own score on an indicator, with duty records and held meetings of that year as
    evidence (a meeting is cited as a record is: 一次录入，多处使用)."""
    _require(access.may_keep_report(by, report))
    locked = _locked_report(report)
    _check_writable(locked)
    if indicator.cycle_id != locked.cycle_id:
        raise DomainError(_("该指标不属于本次考核。"))
    value: Decimal | None = None
    if points not in (None, ""):
        value = _decimal(points, field=_("自评分"))
        if not Decimal("0") <= value <= max(indicator.max_points, Decimal("0")):
            raise DomainError(_("自评分须在 0 到 %(max)s 之间。") % {"max": indicator.max_points})
    records = list(
        DutyRecord.objects.filter(
            pk__in=record_ids, organization=locked.organization, occurred_on__year=locked.cycle.year
        )
    )
    if len(records) != len(set(record_ids)):
        raise DomainError(_("只能引用本组织本年度的履责记实。"))
    meetings = list(
        Meeting.objects.filter(
            pk__in=meeting_ids,
            organization=locked.organization,
            status=Meeting.Status.HELD,
            held_on__year=locked.cycle.year,
        )
    )
    if len(meetings) != len(set(meeting_ids)):
        raise DomainError(_("只能引用本组织本年度已召开的会议。"))
    assessment, _created = SelfAssessment.objects.update_or_create(
        report=locked, indicator=indicator, defaults={"points": value, "note": (note or "").strip()[:5000]}
    )
    assessment.records.set(records)
    assessment.meetings.set(meetings)
    return assessment


@transaction.atomic
def report_submit(*, report: DutyReport, by: User) -> DutyReport:
    """Submits the report; it is locked and this version kept. Staff submitting for the secretary is recorded."""
    _require(access.may_keep_report(by, report))
    locked = _locked_report(report)
    if locked.cycle.status != CycleStatus.OPEN:
        raise DomainError(_("考核尚未启动或已结束。"))
    target = transition(REPORT_TRANSITIONS, "submit", locked.status, locked.get_status_display())
    # A section of empty tags (an editor's "<p><br></p>", spaces) is as empty as no section.
    empty = [
        title
        for title in locked.cycle.section_titles()
        if not nh3.clean(locked.sections.get(title, ""), tags=set()).replace("&nbsp;", " ").strip()
    ]
    if empty:
        raise DomainError(_("请先填写“%(section)s”。") % {"section": empty[0]})
    now = timezone.now()
    secretary = Position.objects.secretary_of(locked.organization)
    number = (locked.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    assessments = locked.self_assessments.select_related("indicator").prefetch_related("records", "meetings")
    ReportVersion.objects.create(
        report=locked,
        number=number,
        sections=locked.sections,
        self_assessment=[
            {
                "indicator": assessment.indicator.name,
                "points": str(assessment.points) if assessment.points is not None else "",
                "note": assessment.note,
                "records": [record.pk for record in assessment.records.all()],
                "meetings": [meeting.pk for meeting in assessment.meetings.all()],
            }
            for assessment in assessments
        ],
        submitted_at=now,
        submitted_by=by,
        on_behalf_of=secretary if secretary is not None and secretary.pk != by.pk else None,
    )
    locked.status = target
    locked.submitted_at = now
    locked.return_reason = ""
    locked.save(update_fields=["status", "submitted_at", "return_reason"])
    # Through the outbox, in this transaction: a broker outage delays the notice but never loses it or the report.
    reviewer_in_charge = Position.objects.secretary_of(locked.cycle.organization)
    if reviewer_in_charge is not None:
        notify(
            recipient=reviewer_in_charge,
            kind="report_submitted",
            key="report_submitted",
            params={"organization": locked.organization.name},
            url=reverse("report_detail", args=[locked.pk]),
        )
    return locked


@transaction.atomic
def report_return(*, report: DutyReport, by: User, reason: str) -> DutyReport:
    """退回修改: reopens the report for the secretary with the committee's reasons."""
    _require(access.may_assess(by, report))
    reason = clean_text(reason, field=_("退回理由"), max_length=2000)
    locked = _locked_report(report)
    if locked.cycle.is_closed:
        raise DomainError(_("考核已结束。"))
    locked.status = transition(REPORT_TRANSITIONS, "return", locked.status, locked.get_status_display())
    locked.return_reason = reason
    locked.save(update_fields=["status", "return_reason"])
    secretary = Position.objects.secretary_of(locked.organization)
    if secretary is not None:
        notify(
            recipient=secretary,
            kind="report_returned",
            key="report_returned",
            params={"cycle": locked.cycle.title, "reason": reason},
            url=reverse("report_edit", args=[locked.pk]),
        )
    return locked
