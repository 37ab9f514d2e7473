"""Every write of 述职评议考核: cycles, reports, scores, comments, ballots, closing.

Every function that acts for a person (`by=`) checks, through reviews.access, that this
person may do it, and raises PermissionDenied otherwise: a task, a command or a stale page
is as safe as a page. The rules themselves refuse with a DomainError whose message is shown
to the person. A grant that a row carries (a reviewer's assignment) is checked here again
against the actor's current positions. Each runs in one transaction, so a refused action
changes nothing.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import nh3
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history

from accounts import permissions
from accounts.models import Organization, Position, User
from foundation.concurrency import fingerprint, is_stale
from foundation.errors import DomainError, clean_text, transition
from notifications.services import Draft, notify, notify_many
from responsibility.models import DutyRecord, ResponsibilityList
from reviews import access, ballot_box, scoring
from reviews.models import (
    DEFAULT_SECTIONS,
    BallotBatch,
    BallotCode,
    BallotTally,
    ClosingNote,
    Component,
    Cycle,
    DutyReport,
    GapKind,
    Grade,
    Indicator,
    IndicatorKind,
    MissingRule,
    PendingBallot,
    Problem,
    Rating,
    ReportVersion,
    Result,
    ReviewerAssignment,
    RubricTemplate,
    Score,
    SelfAssessment,
    SpentCode,
    TemplateIndicator,
)
from reviews.workflow import CYCLE_TRANSITIONS, REPORT_TRANSITIONS

CycleStatus = Cycle.Status
ReportStatus = DutyReport.Status

# What a report's rich text may contain: paragraphs, lists, emphasis. Nothing else survives.
ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "u", "h3", "h4", "blockquote"}
MAX_SECTION_CHARS = 50_000
BALLOT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off paper
BALLOT_CODE_LENGTH = 10
MAX_CODES_PER_BATCH = 500


def _decimal(value: Any, *, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("%(field)s须是数字。") % {"field": field}) from None
    if not number.is_finite():
        raise DomainError(_("%(field)s须是数字。") % {"field": field})
    return number


def _require(allowed: bool) -> None:
    """Refuses an actor who may not do this, whoever calls (a page, a task, a command)."""
    if not allowed:
        raise PermissionDenied


def sanitize(html: str) -> str:
    """Keeps paragraphs, lists and emphasis; drops every other tag, attribute and script."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes={}, link_rel=None).strip()


# 考核指标模板 ------------------------------------------------------------------


@transaction.atomic
def rubric_template_create(*, organization: Organization, name: str, by: User) -> RubricTemplate:
    """A rubric template of a committee whose work BY keeps."""
    _require(permissions.can(by, permissions.Action.MANAGE, organization))
    if not organization.is_committee:
        raise DomainError(_("只有党委、党工委、党总支可以制定考核指标。"))
    return RubricTemplate.objects.create(
        organization=organization, name=clean_text(name, field=_("名称"), max_length=128)
    )


def _check_indicator(kind: str, max_points: Any) -> Decimal:
    if kind not in IndicatorKind.values:
        raise DomainError(_("请选择有效的指标类型。"))
    points = _decimal(max_points, field=_("分值"))
    if kind == IndicatorKind.VETO:
        return Decimal("0")
    if not Decimal("0") < points <= Decimal("100"):
        raise DomainError(_("分值须大于 0 且不超过 100。"))
    return points


@transaction.atomic
def template_indicator_add(
    *, template: RubricTemplate, category: str, name: str, guidance: str, kind: str, max_points: Any, by: User
) -> TemplateIndicator:
    """Adds an indicator to a template of a committee whose work BY keeps."""
    _require(access.may_manage_template(by, template))
    points = _check_indicator(kind, max_points)
    order = (template.indicators.aggregate(last=Max("order"))["last"] or 0) + 1
    return TemplateIndicator.objects.create(
        template=template,
        category=clean_text(category, field=_("指标类别"), max_length=64),
        name=clean_text(name, field=_("指标"), max_length=200),
        guidance=(guidance or "").strip()[:5000],
        kind=kind,
        max_points=points,
        order=order,
    )


# 考核 ------------------------------------------------------------------------


def _participants(organization: Organization, scope: str) -> list[Organization]:
    """The organizations a new cycle covers: the direct children, or every branch of the subtree."""
    below = Organization.objects.filter(path__startswith=organization.path, is_active=True).exclude(pk=organization.pk)
    if scope == "branches":
        return list(below.filter(kind=Organization.Kind.BRANCH).order_by("path"))
    return list(below.filter(depth=organization.depth + 1).order_by("path"))


def _check_settings(cycle: Cycle) -> None:
    weights = (cycle.weight_daily, cycle.weight_review, cycle.weight_ballot)
    if any(weight < 0 for weight in weights) or sum(weights) != 100:
        raise DomainError(_("三项权重之和须为 100（当前为 %(sum)s）。") % {"sum": sum(weights)})
    if not (100 >= cycle.band_good >= cycle.band_fair >= cycle.band_average >= 0):
        raise DomainError(_("等次分数线须满足：100 ≥ 好 ≥ 较好 ≥ 一般 ≥ 0。"))
    if not (100 >= cycle.advanced_floor >= cycle.standard_floor >= 0):
        raise DomainError(_("分类定级分数线须满足：100 ≥ 先进 ≥ 达标 ≥ 0。"))
    if not Decimal("0") <= cycle.poor_ballot_share <= Decimal("1"):
        raise DomainError(_("“差”票比例须在 0 到 1 之间。"))
    if not (100 >= cycle.points_good >= cycle.points_fair >= cycle.points_average >= cycle.points_poor >= 0):
        raise DomainError(_("测评票分值须满足：100 ≥ 好 ≥ 较好 ≥ 一般 ≥ 差 ≥ 0。"))
    if cycle.ballot_opens > cycle.ballot_closes:
        raise DomainError(_("民主测评开始日期不能晚于结束日期。"))
    if cycle.report_due > cycle.scoring_due:
        raise DomainError(_("评分截止不能早于述职报告截止。"))
    if not MIN_BALLOTS_FLOOR <= cycle.min_ballots <= 100:
        raise DomainError(_("民主测评最少有效票数须在 %(min)s 到 100 之间。") % {"min": MIN_BALLOTS_FLOOR})
    if not 1 <= cycle.min_reviewers <= 50:
        raise DomainError(_("最少评分人数须在 1 到 50 之间。"))
    if cycle.missing_rule not in MissingRule.values:
        raise DomainError(_("请选择缺项处理办法。"))
    if cycle.score_places not in (0, 1, 2):
        raise DomainError(_("得分保留小数位数须为 0、1 或 2。"))
    sections = cycle.section_titles()
    if not sections or len(set(sections)) != len(sections) or any(not title.strip() for title in sections):
        raise DomainError(_("报告栏目不能为空，也不能重复。"))


@transaction.atomic
def cycle_create(
    *,
    organization: Organization,
    year: int,
    title: str,
    report_due: date,
    scoring_due: date,
    ballot_opens: date,
    ballot_closes: date,
    by: User,
    scope: str = "children",
    participants: Sequence[Organization] | None = None,
    template: RubricTemplate | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Cycle:
    """Opens a draft cycle over the chosen organizations, with a copy of the rubric template."""
    if not organization.is_committee:
        raise DomainError(_("只有党委、党工委、党总支可以组织述职评议考核。"))
    _require(permissions.can(by, permissions.Action.MANAGE, organization))
    if not 2000 <= year <= 2100:
        raise DomainError(_("年度 %(year)s 无效。") % {"year": year})
    chosen = list(participants) if participants is not None else _participants(organization, scope)
    outside = [org for org in chosen if not org.path.startswith(organization.path) or org.pk == organization.pk]
    if outside:
        raise DomainError(_("“%(name)s”不是本组织的下级组织。") % {"name": outside[0].name})
    if not chosen:
        raise DomainError(_("没有可参加述职评议的下级组织。"))
    cycle = Cycle(
        organization=organization,
        year=year,
        title=clean_text(title, field=_("名称"), max_length=128),
        report_due=report_due,
        scoring_due=scoring_due,
        ballot_opens=ballot_opens,
        ballot_closes=ballot_closes,
        sections=list(DEFAULT_SECTIONS),
    )
    for field, value in (settings or {}).items():
        setattr(cycle, field, value)
    _check_settings(cycle)
    cycle.save()
    if template is not None:
        if not organization.path.startswith(template.organization.path):
            raise DomainError(_("只能使用本组织或上级组织的考核指标模板。"))
        Indicator.objects.bulk_create(
            Indicator(
                cycle=cycle,
                category=source.category,
                name=source.name,
                guidance=source.guidance,
                kind=source.kind,
                max_points=source.max_points,
                order=source.order,
            )
            for source in template.indicators.all()
        )
    DutyReport.objects.bulk_create(DutyReport(cycle=cycle, organization=org) for org in chosen)
    return cycle


@transaction.atomic
def cycle_update(*, cycle: Cycle, by: User, **fields: Any) -> Cycle:
    """Changes a draft cycle's dates, weights, bands and rules."""
    _require(access.may_manage_cycle(by, cycle))
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if locked.status != CycleStatus.DRAFT:
        raise DomainError(_("考核已启动，设置不能再修改。"))
    for field, value in fields.items():
        setattr(locked, field, value)
    _check_settings(locked)
    locked.save()
    return locked


@transaction.atomic
def indicator_add(
    *, cycle: Cycle, category: str, name: str, guidance: str, kind: str, max_points: Any, by: User
) -> Indicator:
    """Adds an indicator to a draft cycle's own rubric."""
    _require(access.may_manage_cycle(by, cycle))
    if cycle.status != CycleStatus.DRAFT:
        raise DomainError(_("考核已启动，指标不能再修改。"))
    points = _check_indicator(kind, max_points)
    order = (cycle.indicators.aggregate(last=Max("order"))["last"] or 0) + 1
    return Indicator.objects.create(
        cycle=cycle,
        category=clean_text(category, field=_("指标类别"), max_length=64),
        name=clean_text(name, field=_("指标"), max_length=200),
        guidance=(guidance or "").strip()[:5000],
        kind=kind,
        max_points=points,
        order=order,
    )


@transaction.atomic
def cycle_open(*, cycle: Cycle, by: User) -> Cycle:
    """Starts the cycle: secretaries may write, reviewers score, ballots be cast in their window."""
    _require(access.may_manage_cycle(by, cycle))
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    locked.status = transition(CYCLE_TRANSITIONS, "open", locked.status, locked.get_status_display())
    _check_settings(locked)
    if not locked.indicators.filter(kind=IndicatorKind.STANDARD).exists():
        raise DomainError(_("请先设置至少一项考核指标。"))
    locked.opened_at = timezone.now()
    locked.save(update_fields=["status", "opened_at"])
    return locked


@transaction.atomic
def reviewer_assign(*, reports: Iterable[DutyReport], reviewer: User, by: User) -> int:
    """Assigns a reviewer, who must supervise each report's organization (a committee member or a grantee)."""
    created = 0
    for report in reports:
        _require(access.may_manage_cycle(by, report.cycle))
        if report.cycle.is_closed:
            raise DomainError(_("考核已结束。"))
        if not permissions.can(reviewer, permissions.Action.SUPERVISE, report.organization):
            raise DomainError(
                _("%(person)s 不是 %(org)s 的上级组织人员，不能担任评议人。")
                % {"person": reviewer, "org": report.organization.name}
            )
        _assignment, was_created = ReviewerAssignment.objects.get_or_create(report=report, reviewer=reviewer)
        created += was_created
    return created


@transaction.atomic
def reviewer_unassign(*, assignment: ReviewerAssignment, by: User) -> None:
    """Withdraws a reviewer who has not submitted yet; the cycle's committee does."""
    _require(access.may_manage_cycle(by, assignment.report.cycle))
    if assignment.report.cycle.is_closed:
        raise DomainError(_("考核已结束。"))
    if assignment.submitted_at is not None:
        raise DomainError(_("该评议人已提交评分，不能撤销。"))
    assignment.delete()


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
) -> SelfAssessment:
    """The organization's own score on an indicator, with duty records of that year as evidence."""
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
    assessment, _created = SelfAssessment.objects.update_or_create(
        report=locked, indicator=indicator, defaults={"points": value, "note": (note or "").strip()[:5000]}
    )
    assessment.records.set(records)
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
    assessments = locked.self_assessments.select_related("indicator").prefetch_related("records")
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
            title=_("述职报告已提交，待评议：%(organization)s") % {"organization": locked.organization.name},
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
            title=_("述职报告被退回修改：%(cycle)s") % {"cycle": locked.cycle.title},
            body=reason,
            url=reverse("report_edit", args=[locked.pk]),
        )
    return locked


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


# 民主测评 --------------------------------------------------------------------
#
# What the database keeps of a vote, and what it never does, is reviews.ballot_box's to say;
# docs/architecture.md ("Ballot secrecy") lists what each observer can and cannot learn.

# The optional aspects of a ballot (分项评价); the stored key is the Chinese word, whatever the voter's language.
BALLOT_ASPECT_LABELS = (
    gettext_noop("政治建设"),
    gettext_noop("履职尽责"),
    gettext_noop("作风形象"),
    gettext_noop("联系群众"),
)
MIN_BALLOTS_FLOOR = 3
"""Fewer would publish, or add to the counts, a ballot or two that anyone could tell apart."""


def _check_keeps_cycle(cycle: Cycle, by: User) -> None:
    """The cycle's committee (or an administrator) keeps its codes; anyone else is refused, whoever calls."""
    if not permissions.can(by, permissions.Action.MANAGE, cycle.organization):
        raise DomainError(_("只有组织本次考核的党组织可以办理测评码。"))


def _new_code() -> str:
    return "".join(secrets.choice(BALLOT_CODE_ALPHABET) for _ in range(BALLOT_CODE_LENGTH))


def members_on_record(organization: Organization) -> int:
    """The people who hold a current position in the organization (its members on record)."""
    return Position.objects.current().filter(organization=organization).values("person").distinct().count()


@transaction.atomic
def ballot_codes_generate(
    *, cycle: Cycle, organization: Organization, count: Any, by: User, reason: str = ""
) -> list[BallotCode]:
    """Makes COUNT one-time codes for an organization's members; more codes than members need a reason, kept."""
    _check_keeps_cycle(cycle, by)
    if cycle.is_closed:
        raise DomainError(_("考核已结束。"))
    if not cycle.reports.filter(organization=organization).exists():
        raise DomainError(_("%(org)s 不在本次考核范围内。") % {"org": organization.name})
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise DomainError(_("测评码数量须在 1 到 %(max)s 之间。") % {"max": MAX_CODES_PER_BATCH})
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise DomainError(_("%(field)s不能超过 %(max)s 个字。") % {"field": _("理由"), "max": 500})
    members = members_on_record(organization)
    issued = cycle.ballot_codes.filter(organization=organization, voided_at__isnull=True).count()
    if issued + count > members and not reason:
        raise DomainError(
            _(
                "%(org)s 在册党员 %(members)s 人，已发放有效测评码 %(issued)s 个，再生成 %(count)s 个将超过在册人数。"
                "如确需多发（例如列席测评的群众代表），请填写理由。"
            )
            % {"org": organization.name, "members": members, "issued": issued, "count": count}
        )
    number = (cycle.ballot_codes.filter(organization=organization).aggregate(last=Max("batch"))["last"] or 0) + 1
    batch = BallotBatch(
        cycle=cycle,
        organization=organization,
        number=number,
        count=count,
        reason=reason if issued + count > members else "",
        created_by=by,
    )
    batch._history_user = by  # type: ignore[attr-defined]  # the actor, also when no request is behind the call
    batch.save()
    # The tally exists before the first vote: adding a batch of votes locks it, so two never add at once.
    BallotTally.objects.get_or_create(cycle=cycle, organization=organization)
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(_new_code())
    taken = set(BallotCode.objects.filter(code__in=codes).values_list("code", flat=True))
    while taken:
        codes -= taken
        while len(codes) < count:
            codes.add(_new_code())
        taken = set(BallotCode.objects.filter(code__in=codes).values_list("code", flat=True))
    # Shuffled, not sorted: the rows' order then says nothing about a slip's place on the printed sheet.
    shuffled = list(codes)
    secrets.SystemRandom().shuffle(shuffled)
    # With their history rows, so that a later voiding shows in the audit trail as a change.
    return bulk_create_with_history(
        [BallotCode(cycle=cycle, organization=organization, code=code, batch=number) for code in shuffled],
        BallotCode,
        default_user=by,
    )


def normalize_code(code: str) -> str:
    return "".join((code or "").split()).upper()


@transaction.atomic
def ballot_code_void(*, cycle: Cycle, code: str, reason: str, by: User) -> BallotCode:
    """Voids a code (a slip lost or handed out in error): it can no longer vote. A vote it already cast stays
    counted, and nobody can tell whether it had: nothing ties a vote to its code."""
    _check_keeps_cycle(cycle, by)
    if Cycle.objects.get(pk=cycle.pk).is_closed:
        raise DomainError(_("考核已结束。"))
    reason = clean_text(reason, field=_("作废理由"), max_length=500)
    ballot_code = cycle.ballot_codes.filter(code=normalize_code(code)).first()
    if ballot_code is None:
        raise DomainError(_("本次考核没有这个测评码，请核对后重新输入。"))
    if ballot_code.is_void:
        raise DomainError(_("该测评码已作废。"))
    ballot_code.voided_at = timezone.now()
    ballot_code.voided_by = by
    ballot_code.void_reason = reason
    ballot_code._history_user = by  # type: ignore[attr-defined]
    ballot_code.save(update_fields=["voided_at", "voided_by", "void_reason"])
    return ballot_code


@transaction.atomic
def ballot_batch_printed(*, cycle: Cycle, organization_id: int, number: int, by: User) -> BallotBatch:
    """Records that a batch's slips were opened for printing (the audit trail keeps who and when)."""
    _check_keeps_cycle(cycle, by)
    batch = BallotBatch.objects.select_for_update().filter(cycle=cycle, organization_id=organization_id, number=number)
    locked = batch.first()
    if locked is None:
        raise DomainError(_("没有这批测评码。"))
    locked.printed_count += 1
    locked.last_printed_at = timezone.now()
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["printed_count", "last_printed_at"])
    return locked


def ballot_window_refusal(cycle: Cycle, today: date) -> str:
    """Why no vote can be cast in the cycle today, in plain words; '' while the window is open."""
    if cycle.is_closed:
        return _("本次考核已结束，民主测评已关闭，不能再投票。")
    if today > cycle.ballot_closes:
        return _("民主测评已于 %(end)s 结束，不能再投票。") % {"end": cycle.ballot_closes.isoformat()}
    if cycle.status != CycleStatus.OPEN or today < cycle.ballot_opens:
        return _("民主测评尚未开始，开始日期为 %(start)s。") % {"start": cycle.ballot_opens.isoformat()}
    return ""


def ballot_window_closed(cycle: Cycle, today: date | None = None) -> bool:
    """Whether no more votes can come: the cycle closed or the window's last day passed."""
    return cycle.is_closed or (today or timezone.localdate()) > cycle.ballot_closes


def _checked_vote(rating: str, item_ratings: Mapping[str, str] | None) -> ballot_box.Vote:
    if rating not in Rating.values:
        raise DomainError(_("请选择评价：好、较好、一般或差。"))
    items = {str(label): value for label, value in (item_ratings or {}).items() if value}
    if any(label not in BALLOT_ASPECT_LABELS for label in items) or any(
        value not in Rating.values for value in items.values()
    ):
        raise DomainError(_("分项评价无效。"))
    return ballot_box.Vote(rating=rating, items=items)


def _code_used() -> DomainError:
    return DomainError(_("该测评码已使用过，每个测评码只能投票一次。"))


@transaction.atomic
def ballot_cast(
    *, code: str, rating: str, item_ratings: Mapping[str, str] | None = None, today: date | None = None
) -> None:
    """Casts one anonymous ballot with a one-time code.

    The code is remembered as spent by a keyed digest alone and the vote is sealed until its organization
    has a batch of them; the code's own row is only read, never written or locked (reviews.ballot_box).
    """
    today = today or timezone.localdate()
    vote = _checked_vote(rating, item_ratings)
    normalized = normalize_code(code)
    ballot_code = BallotCode.objects.filter(code=normalized).only("cycle_id", "organization_id", "voided_at").first()
    if ballot_code is None:
        raise DomainError(_("测评码无效，请核对后重新输入。"))
    # The cycle row is locked, not the code's: closing takes the same lock, so no vote slips in after it.
    cycle = Cycle.objects.select_for_update().get(pk=ballot_code.cycle_id)
    if ballot_code.is_void:
        raise DomainError(_("该测评码已作废，不能投票。请向发放测评票的同志咨询。"))
    refusal = ballot_window_refusal(cycle, today)
    if refusal:
        raise DomainError(refusal)
    digests = ballot_box.spent_digests(normalized)
    if SpentCode.objects.filter(digest__in=digests).exists():
        raise _code_used()
    try:
        with transaction.atomic():
            SpentCode.objects.create(cycle=cycle, organization_id=ballot_code.organization_id, digest=digests[0])
    except IntegrityError:
        raise _code_used() from None
    PendingBallot.objects.create(
        cycle=cycle,
        organization_id=ballot_code.organization_id,
        sealed=ballot_box.seal(vote, cycle_id=cycle.pk, organization_id=ballot_code.organization_id),
    )
    waiting = PendingBallot.objects.filter(cycle=cycle, organization_id=ballot_code.organization_id).count()
    if waiting >= max(cycle.min_ballots, MIN_BALLOTS_FLOOR):
        _count_waiting(cycle, ballot_code.organization_id)


def _add(counts: Counter[str], items: dict[str, dict[str, int]], vote: ballot_box.Vote) -> None:
    counts[vote.rating] += 1
    for label, value in vote.items.items():
        aspect = items.setdefault(label, {})
        aspect[value] = aspect.get(value, 0) + 1


def _merged(
    first: Mapping[str, Mapping[str, int]], second: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, int]]:
    """Two sets of aspect counts ({aspect: {rating: count}}) added together."""
    merged = {label: dict(ratings) for label, ratings in first.items()}
    for label, ratings in second.items():
        aspect = merged.setdefault(label, {})
        for value, count in ratings.items():
            aspect[value] = aspect.get(value, 0) + count
    return merged


def _open_boxes(cycle_id: int, organization_id: int, boxes: Iterable[bytes]) -> tuple[Counter[str], dict[str, Any]]:
    counts: Counter[str] = Counter()
    items: dict[str, dict[str, int]] = {}
    for box in boxes:
        _add(counts, items, ballot_box.unseal(box, cycle_id=cycle_id, organization_id=organization_id))
    return counts, items


def _count_waiting(cycle: Cycle, organization_id: int) -> int:
    """Opens the organization's waiting boxes, adds them to its tally and deletes them, all in one transaction."""
    tally, _created = BallotTally.objects.get_or_create(cycle=cycle, organization_id=organization_id)
    tally = BallotTally.objects.select_for_update().get(pk=tally.pk)
    waiting = list(
        PendingBallot.objects.select_for_update()
        .filter(cycle=cycle, organization_id=organization_id)
        .values_list("pk", "sealed")
    )
    if not waiting:
        return 0
    counts, items = _open_boxes(cycle.pk, organization_id, (bytes(box) for _pk, box in waiting))
    for value in Rating.values:
        setattr(tally, value, getattr(tally, value) + counts.get(value, 0))
    tally.items = _merged(tally.items, items)
    tally.save(update_fields=[*Rating.values, "items"])
    PendingBallot.objects.filter(pk__in=[pk for pk, _box in waiting]).delete()
    return len(waiting)


@transaction.atomic
def ballots_count(*, cycle: Cycle) -> int:
    """Adds every vote still waiting to the tallies; done when the window has closed (beat, and at closing)."""
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if not ballot_window_closed(locked):
        raise DomainError(_("民主测评尚未结束，测评票按批计入。"))
    return _count_all_waiting(locked)


def _count_all_waiting(cycle: Cycle) -> int:
    organizations = set(PendingBallot.objects.filter(cycle=cycle).values_list("organization_id", flat=True))
    return sum(_count_waiting(cycle, organization_id) for organization_id in sorted(organizations))


@dataclass(frozen=True)
class BallotCounts:
    """One organization's 民主测评 figures, which only a closed window may show (see ballots_published)."""

    counts: Counter[str]
    items: dict[str, dict[str, int]]

    @property
    def valid(self) -> int:
        return sum(self.counts.values())

    @property
    def poor(self) -> int:
        return self.counts.get(Rating.POOR, 0)


def ballot_counts(cycle: Cycle, organization_ids: Iterable[int] | None = None) -> dict[int, BallotCounts]:
    """Per organization: every vote cast, the waiting ones included. Only for a closed window (two queries)."""
    if not ballot_window_closed(cycle):
        raise DomainError(_("民主测评尚未结束，票数不能查看。"))
    tallies = BallotTally.objects.filter(cycle=cycle)
    waiting = PendingBallot.objects.filter(cycle=cycle)
    if organization_ids is not None:
        wanted = list(organization_ids)
        tallies = tallies.filter(organization_id__in=wanted)
        waiting = waiting.filter(organization_id__in=wanted)
    result: dict[int, BallotCounts] = {}
    for tally in tallies:
        result[tally.organization_id] = BallotCounts(Counter(tally.counts()), tally.items)
    boxes: dict[int, list[bytes]] = defaultdict(list)
    for organization_id, box in waiting.values_list("organization_id", "sealed"):
        boxes[organization_id].append(bytes(box))
    for organization_id, sealed in boxes.items():
        counts, items = _open_boxes(cycle.pk, organization_id, sealed)
        known = result.get(organization_id, BallotCounts(Counter(), {}))
        result[organization_id] = BallotCounts(known.counts + counts, _merged(known.items, items))
    return result


def ballots_published(cycle: Cycle, counts: BallotCounts | None) -> bool:
    """Whether an organization's 民主测评 is published: the window has closed and it has the cycle's minimum."""
    return counts is not None and ballot_window_closed(cycle) and counts.valid >= cycle.min_ballots


# 结束考核 --------------------------------------------------------------------


def cycle_points(cycle: Cycle) -> dict[str, int]:
    return {
        Rating.GOOD: cycle.points_good,
        Rating.FAIR: cycle.points_fair,
        Rating.AVERAGE: cycle.points_average,
        Rating.POOR: cycle.points_poor,
    }


def cycle_weights(cycle: Cycle) -> dict[str, int]:
    return {
        Component.DAILY: cycle.weight_daily,
        Component.REVIEW: cycle.weight_review,
        Component.BALLOT: cycle.weight_ballot,
    }


def _submitted_reviewers(cycle: Cycle) -> dict[int, list[int]]:
    """Per report, the reviewers (user ids) who submitted their scores."""
    submitted: dict[int, list[int]] = defaultdict(list)
    rows = ReviewerAssignment.objects.filter(report__cycle=cycle, submitted_at__isnull=False).values_list(
        "report_id", "reviewer_id"
    )
    for report_id, reviewer_id in rows:
        submitted[report_id].append(reviewer_id)
    return submitted


def compute_results(
    cycle: Cycle, *, notes: Mapping[int | None, list[dict[str, str]]] | None = None, today: date | None = None
) -> list[dict[str, Any]]:
    """Every report's components, composite, grade, the rule that decided it, rank and class (fixed queries).

    Ballots count only once the window has closed and an organization has the cycle's minimum; before
    that the 民主测评 component has no data, as has a review nobody scored and a daily score with
    neither a list nor the committee's figure. NOTES are the committee's reasons per organization
    (under None: those about the whole cycle, which every result carries).
    """
    notes = notes or {}
    places = cycle.score_places
    reports = list(cycle.reports.select_related("organization").order_by("organization__path"))
    indicators = [
        scoring.IndicatorSpec(id=indicator.pk, kind=indicator.kind, max_points=indicator.max_points)
        for indicator in cycle.indicators.all()
    ]
    points: dict[int, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    vetoed: set[int] = set()
    submitted_scores = Score.objects.filter(
        assignment__report__cycle=cycle, assignment__submitted_at__isnull=False
    ).values_list("assignment__report_id", "indicator_id", "points", "vetoed")
    for report_id, indicator_id, value, hit in submitted_scores:
        points[report_id][indicator_id].append(value)
        if hit:
            vetoed.add(report_id)
    reviewers = {report_id: len(people) for report_id, people in _submitted_reviewers(cycle).items()}
    completion = {
        row.organization_id: row.completion_rate
        for row in ResponsibilityList.objects.filter(
            year=cycle.year, organization__in=[report.organization_id for report in reports]
        ).only("organization_id", "required_total", "done_total")
        if row.required_total
    }
    window_closed = ballot_window_closed(cycle, today)
    counts = ballot_counts(cycle) if window_closed else {}
    ballot_points = cycle_points(cycle)
    weights = cycle_weights(cycle)
    bands = scoring.Bands(
        good=cycle.band_good, fair=cycle.band_fair, average=cycle.band_average, poor_share=cycle.poor_ballot_share
    )
    rows: list[dict[str, Any]] = []
    for report in reports:
        submitted = report.status == ReportStatus.SUBMITTED
        if report.daily_score is not None:
            daily: Decimal | None = scoring.rounded(report.daily_score, places)
        elif report.organization_id in completion:
            daily = scoring.rounded(Decimal(completion[report.organization_id]), places)
        else:
            daily = None
        scored = points.get(report.pk, {})
        count = reviewers.get(report.pk, 0)
        # A reviewer who left a bonus or deduction item blank gave it 0: every submitted
        # reviewer counts in every indicator's mean.
        padded = {
            indicator.id: [*scored.get(indicator.id, ()), *[Decimal("0")] * (count - len(scored.get(indicator.id, ())))]
            for indicator in indicators
        }
        review = (
            scoring.review_score(indicators, padded, trim=cycle.trim_extremes, places=places)
            if submitted and count
            else None
        )
        ballots = counts.get(report.organization_id)
        published = ballots_published(cycle, ballots)
        ballot = scoring.ballot_score(ballots.counts, ballot_points, places) if published and ballots else None
        weighted = scoring.composite(
            {Component.DAILY: daily, Component.REVIEW: review, Component.BALLOT: ballot},
            weights,
            rule=cycle.missing_rule,
            places=places,
        )
        verdict = scoring.grade(
            weighted.composite,
            bands,
            vetoed=report.pk in vetoed,
            submitted=submitted,
            poor=ballots.poor if published and ballots else 0,
            valid=ballots.valid if published and ballots else 0,
            ballots_published=published,
        )
        rows.append(
            {
                "report": report,
                "daily_score": daily,
                "review_score": review,
                "ballot_score": ballot,
                "composite": weighted.composite,
                "grade": verdict.rating,
                "grade_reason": verdict.rule,
                "classification": scoring.classify(
                    weighted.composite, verdict.rating, advanced=cycle.advanced_floor, standard=cycle.standard_floor
                ),
                "ballots_valid": ballots.valid if published and ballots else 0,
                "ballots_poor": ballots.poor if published and ballots else 0,
                "ballots_published": published,
                "reviewers": count,
                "weights": {name: str(weight) for name, weight in weighted.weights.items()},
                "notes": [*notes.get(None, []), *notes.get(report.organization_id, [])],
            }
        )
    ranks = scoring.competition_ranks(
        [
            None if row["grade"] == Grade.PENDING else (scoring.tier(row["grade_reason"]), row["composite"])
            for row in rows
        ]
    )
    for row, rank in zip(rows, ranks, strict=True):
        row["rank"] = rank
    return rows


@dataclass(frozen=True)
class Gap:
    """Something missing when a cycle closes: of one organization, or (organization None) of the whole cycle."""

    kind: str
    organization: Organization | None
    detail: str

    @property
    def needs_reason(self) -> bool:
        """Closing over this gap is refused unless the committee records why."""
        return self.kind in (GapKind.BALLOTS_OPEN, GapKind.FEW_REVIEWERS)

    @property
    def key(self) -> str:
        """The name of its reason in the closing form and in `cycle_close(reasons=...)`."""
        return f"{self.kind}:{self.organization.pk if self.organization else 'cycle'}"

    @property
    def label(self) -> str:
        return str(GapKind(self.kind).label)

    @property
    def where(self) -> str:
        return self.organization.name if self.organization else _("整个考核")


def closing_gaps(cycle: Cycle, *, today: date | None = None) -> list[Gap]:
    """Everything missing if the cycle closed now, organization by organization (a fixed number of queries)."""
    today = today or timezone.localdate()
    gaps: list[Gap] = []
    if not ballot_window_closed(cycle, today):
        gaps.append(
            Gap(
                GapKind.BALLOTS_OPEN,
                None,
                _("测评时间至 %(end)s；结束考核后不能再投票，已投的票全部计入。")
                % {"end": cycle.ballot_closes.isoformat()},
            )
        )
    reports = list(cycle.reports.select_related("organization").order_by("organization__path"))
    submitted_by = _submitted_reviewers(cycle)
    waiting: dict[int, list[str]] = defaultdict(list)
    pending = ReviewerAssignment.objects.filter(report__cycle=cycle, submitted_at__isnull=True).annotate(
        reviewer_supervises=reviewer_supervises()
    )
    for report_id, name, login, supervises in pending.values_list(
        "report_id", "reviewer__full_name", "reviewer__username", "reviewer_supervises"
    ):
        shown = name or login
        # One whose position has ended cannot score any more: the committee assigns someone else.
        waiting[report_id].append(shown if supervises else _("%(name)s（已离任）") % {"name": shown})
    turnout = dict(
        SpentCode.objects.filter(cycle=cycle)
        .values("organization_id")
        .annotate(total=Count("pk"))
        .values_list("organization_id", "total")
    )
    with_list = set(
        ResponsibilityList.objects.filter(
            year=cycle.year, organization__in=[report.organization_id for report in reports], required_total__gt=0
        ).values_list("organization_id", flat=True)
    )
    for report in reports:
        organization = report.organization
        if report.status != ReportStatus.SUBMITTED:
            gaps.append(
                Gap(
                    GapKind.REPORT_MISSING,
                    organization,
                    _("按规则定为“差”（%(status)s）。") % {"status": report.get_status_display()},
                )
            )
        else:
            scored = len(submitted_by.get(report.pk, ()))
            if scored < cycle.min_reviewers:
                gaps.append(
                    Gap(
                        GapKind.FEW_REVIEWERS,
                        organization,
                        _("已评分 %(scored)s 人，规定至少 %(min)s 人。")
                        % {"scored": scored, "min": cycle.min_reviewers},
                    )
                )
            if waiting.get(report.pk):
                gaps.append(Gap(GapKind.REVIEWERS_PENDING, organization, "、".join(sorted(waiting[report.pk]))))
        cast = turnout.get(organization.pk, 0)
        if cycle.weight_ballot and cast < cycle.min_ballots:
            gaps.append(
                Gap(
                    GapKind.FEW_BALLOTS,
                    organization,
                    _("已投 %(cast)s 张，规定至少 %(min)s 张：民主测评不公布，%(rule)s。")
                    % {"cast": cast, "min": cycle.min_ballots, "rule": cycle.get_missing_rule_display()},
                )
            )
        if cycle.weight_daily and report.daily_score is None and organization.pk not in with_list:
            gaps.append(
                Gap(
                    GapKind.NO_DAILY,
                    organization,
                    _("本年度没有责任清单，上级也未评定日常考核得分：%(rule)s。")
                    % {"rule": cycle.get_missing_rule_display()},
                )
            )
    return gaps


class ClosingRefused(DomainError):
    """Closing would pass over gaps that need the committee's reason; `gaps` lists them."""

    def __init__(self, message: str, gaps: list[Gap]) -> None:
        super().__init__(message)
        self.gaps = gaps


@transaction.atomic
def cycle_close(
    *, cycle: Cycle, by: User, reasons: Mapping[str, str] | None = None, today: date | None = None
) -> Cycle:
    """Closes the cycle: results are computed once, stored, and reach the secretaries; nothing changes after.

    REASONS maps a gap's key (Gap.key) to the committee's reason. Closing is refused while a gap that needs
    one has none; every reason given is kept (ClosingNote) and shown on the results it concerns.
    """
    if not permissions.can(by, permissions.Action.MANAGE, cycle.organization):
        raise DomainError(_("只有组织本次考核的党组织可以结束考核。"))
    locked = Cycle.objects.select_for_update().select_related("organization").get(pk=cycle.pk)
    target = transition(CYCLE_TRANSITIONS, "close", locked.status, locked.get_status_display())
    gaps = closing_gaps(locked, today=today)
    given = {key: " ".join((text or "").split()) for key, text in (reasons or {}).items()}
    unexplained = [gap for gap in gaps if gap.needs_reason and not given.get(gap.key)]
    if unexplained:
        raise ClosingRefused(
            _("还有 %(count)s 项缺项需要填写情况说明才能结束考核（如 %(where)s：%(gap)s）。")
            % {"count": len(unexplained), "where": unexplained[0].where, "gap": unexplained[0].label},
            unexplained,
        )
    too_long = [gap for gap in gaps if len(given.get(gap.key, "")) > 1000]
    if too_long:
        raise DomainError(_("%(field)s不能超过 %(max)s 个字。") % {"field": _("情况说明"), "max": 1000})
    notes: dict[int | None, list[dict[str, str]]] = defaultdict(list)
    for gap in gaps:
        reason = given.get(gap.key, "")
        if reason:
            ClosingNote.objects.create(
                cycle=locked, organization=gap.organization, gap=gap.kind, reason=reason, recorded_by=by
            )
            notes[gap.organization.pk if gap.organization else None].append({"gap": gap.kind, "reason": reason})
    locked.status = target
    locked.closed_at = timezone.now()
    # Closed before counting: no vote can come after this point, so every waiting one is counted now.
    locked.save(update_fields=["status", "closed_at"])
    _count_all_waiting(locked)
    rows = compute_results(locked, notes=notes, today=today)
    try:
        Result.objects.bulk_create(Result(**row) for row in rows)
    except IntegrityError:
        raise DomainError(_("考核结果已生成。")) from None
    _notify_results(locked, rows)
    return locked


def _notify_results(cycle: Cycle, rows: Sequence[Mapping[str, Any]]) -> None:
    """Each secretary learns the result and the committee's comment (and finds it on the home page)."""
    secretaries = Position.objects.secretaries_of([row["report"].organization for row in rows])
    drafts = []
    for row in rows:
        report = row["report"]
        secretary = secretaries.get(report.organization_id)
        if secretary is None:
            continue
        composite = row["composite"]
        figures = _("等次：%(grade)s；综合得分：%(score)s；排名：%(rank)s。") % {
            "grade": Grade(row["grade"]).label,
            "score": composite if composite is not None else "—",
            "rank": row["rank"] if row["rank"] is not None else "—",
        }
        comment = report.comment.strip()
        drafts.append(
            Draft(
                recipient=secretary,
                kind="review_result",
                title=_("述职评议考核结果：%(cycle)s") % {"cycle": cycle.title},
                body=f"{figures}\n{_('点评意见')}：{comment}" if comment else figures,
                url=reverse("report_result", args=[report.pk]),
            )
        )
    if drafts:
        notify_many(drafts)
