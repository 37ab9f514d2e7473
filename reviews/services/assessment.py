"""评分与点评: the reviewers' scores and the committee's comment and problems on a report."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import User
from foundation.concurrency import fingerprint, is_stale
from foundation.errors import DomainError, clean_text
from reviews import access
from reviews.models import (
    DutyReport,
    Indicator,
    IndicatorKind,
    Problem,
    ReviewerAssignment,
    Score,
)
from reviews.services.base import CycleStatus, ReportStatus, _decimal, _require
from reviews.services.reports import _locked_report

# 评分与点评 ------------------------------------------------------------------


def _locked_assignment(assignment: ReviewerAssignment) -> ReviewerAssignment:
    return (
        ReviewerAssignment.objects.select_for_update()
        .select_related("report__cycle", "report__organization")
        .get(pk=assignment.pk)
    )


def reviewer_supervises() -> ExpressionWrapper:
    """An annotation of assignments: whether the reviewer supervises the report's organization now and so may
    still score. False marks one whose position has ended (已离任): the committee assigns someone else."""
    return ExpressionWrapper(
        permissions.supervises_q("reviewer", "report__organization__path"), output_field=BooleanField()
    )


def _check_reviewer(assignment: ReviewerAssignment, by: User) -> None:
    """Only the assigned reviewer scores, and only while they supervise the report's organization now: the
    assignment outlives a position that has ended, the right to use it does not."""
    if assignment.reviewer_id != by.pk:
        raise DomainError(_("只有被分配的评议人本人可以评分。"))
    organization = assignment.report.organization
    if not permissions.can(by, permissions.Action.SUPERVISE, organization):
        raise DomainError(
            _("您已不再督导%(org)s（任职已结束或督导授权已撤销），不能再对其述职报告评分。")
            % {"org": organization.name}
        )


def _check_scorable(assignment: ReviewerAssignment) -> None:
    report = assignment.report
    if report.cycle.status != CycleStatus.OPEN:
        raise DomainError(_("考核尚未启动或已结束，不能评分。"))
    if report.status != ReportStatus.SUBMITTED:
        raise DomainError(_("报告尚未提交，暂不能评分。"))
    if assignment.submitted_at is not None:
        raise DomainError(_("您已提交评分，不能再修改。"))


def _check_points(indicator: Indicator, points: Decimal) -> None:
    if indicator.kind == IndicatorKind.VETO:
        return
    if not Decimal("0") <= points <= indicator.max_points:
        raise DomainError(
            _("“%(indicator)s”的得分须在 0 到 %(max)s 之间。")
            % {"indicator": indicator.name, "max": indicator.max_points}
        )


@transaction.atomic
def scores_save(
    *,
    assignment: ReviewerAssignment,
    entries: Mapping[int, Mapping[str, Any]],
    comment: str,
    by: User,
) -> ReviewerAssignment:
    """Saves a reviewer's points per indicator ({indicator id: {points, vetoed, note}}): all checked, then all written.

    Each reviewer writes only their own rows, so reviewers scoring at once never overwrite each other.
    """
    locked = _locked_assignment(assignment)
    _check_reviewer(locked, by)
    _check_scorable(locked)
    indicators = {indicator.pk: indicator for indicator in locked.report.cycle.indicators.all()}
    checked: list[tuple[Indicator, Decimal, bool, str]] = []
    for indicator_id, entry in entries.items():
        indicator = indicators.get(int(indicator_id))
        if indicator is None:
            raise DomainError(_("该指标不属于本次考核。"))
        raw = entry.get("points")
        points = Decimal("0") if raw in (None, "") else _decimal(raw, field=indicator.name)
        _check_points(indicator, points)
        vetoed = bool(entry.get("vetoed")) and indicator.kind == IndicatorKind.VETO
        checked.append((indicator, points, vetoed, str(entry.get("note") or "").strip()[:500]))
    for indicator, points, vetoed, note in checked:
        Score.objects.update_or_create(
            assignment=locked,
            indicator=indicator,
            defaults={
                "points": Decimal("0") if indicator.kind == IndicatorKind.VETO else points,
                "vetoed": vetoed,
                "note": note,
            },
        )
    locked.comment = (comment or "").strip()[:5000]
    locked.save(update_fields=["comment"])
    return locked


@transaction.atomic
def scores_submit(*, assignment: ReviewerAssignment, by: User) -> ReviewerAssignment:
    """Submits the reviewer's scores; afterwards they may see the others'."""
    locked = _locked_assignment(assignment)
    _check_reviewer(locked, by)
    _check_scorable(locked)
    standard = set(locked.report.cycle.indicators.filter(kind=IndicatorKind.STANDARD).values_list("pk", flat=True))
    scored = set(locked.scores.values_list("indicator_id", flat=True))
    if standard - scored:
        raise DomainError(_("还有 %(count)s 项考核指标未评分。") % {"count": len(standard - scored)})
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["submitted_at"])
    return locked


# The fields the committee's comment form changes; their fingerprint is the version the form was loaded with.
COMMENT_FIELDS = ("comment", "daily_score", "daily_reason")


def comment_fingerprint(report: DutyReport) -> str:
    return fingerprint(report, COMMENT_FIELDS)


@transaction.atomic
def report_comment_save(
    *,
    report: DutyReport,
    comment: str,
    by: User,
    daily_score: Any = None,
    daily_reason: str = "",
    expected: str | None = None,
) -> DutyReport:
    """The committee's 点评意见 and, when it sets the daily score by hand, the score and its reason.

    ``expected`` is the fingerprint the form was loaded with; a save over a newer comment is refused
    (None skips the check).
    """
    _require(access.may_assess(by, report))
    locked = _locked_report(report)
    if is_stale(locked, COMMENT_FIELDS, expected):
        raise DomainError(_("该内容已被他人修改，请核对后再保存；您填写的内容仍保留在下方。"))
    if locked.cycle.is_closed:
        raise DomainError(_("考核已结束，不能修改。"))
    locked.comment = (comment or "").strip()[:10000]
    if daily_score in (None, ""):
        locked.daily_score = None
        locked.daily_reason = ""
    else:
        value = _decimal(daily_score, field=_("日常考核得分"))
        if not Decimal("0") <= value <= Decimal("100"):
            raise DomainError(_("日常考核得分须在 0 到 100 之间。"))
        locked.daily_score = value
        locked.daily_reason = clean_text(daily_reason, field=_("人工评定理由"), max_length=500)
    locked.save(update_fields=["comment", "daily_score", "daily_reason"])
    return locked


@transaction.atomic
def problem_add(*, report: DutyReport, text: str, by: User) -> Problem:
    """Names one problem found in the report (each becomes a rectification finding later)."""
    _require(access.may_assess(by, report))
    # Read the cycle afresh under the lock: a closing that happened since the caller loaded it must win.
    locked = _locked_report(report)
    if locked.cycle.is_closed:
        raise DomainError(_("考核已结束，不能修改。"))
    order = (locked.problems.aggregate(last=Max("order"))["last"] or 0) + 1
    return Problem.objects.create(
        report=locked, text=clean_text(text, field=_("问题"), max_length=2000), order=order, created_by=by
    )


@transaction.atomic
def problem_remove(*, problem: Problem, by: User) -> None:
    """Removes a problem from a report BY assesses, until the cycle closes."""
    _require(access.may_assess(by, problem.report))
    if _locked_report(problem.report).cycle.is_closed:
        raise DomainError(_("考核已结束，不能修改。"))
    problem.delete()
