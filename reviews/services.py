"""Every write of 述职评议考核: cycles, reports, scores, comments, ballots, closing.

Views check who may act (accounts.permissions); these functions hold the rules and
refuse with a DomainError whose message is shown to the person. Each runs in one
transaction, so a refused action changes nothing.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import nh3
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.concurrency import fingerprint, is_stale
from accounts.models import Organization, Position, User
from accounts.notifications import notify
from accounts.services import DomainError, clean_text, transition
from responsibility.models import DutyRecord, ResponsibilityList
from reviews import scoring
from reviews.models import (
    DEFAULT_SECTIONS,
    Ballot,
    BallotCode,
    Cycle,
    DutyReport,
    Indicator,
    IndicatorKind,
    Problem,
    Rating,
    ReportVersion,
    Result,
    ReviewerAssignment,
    RubricTemplate,
    Score,
    SelfAssessment,
    TemplateIndicator,
)

CycleStatus = Cycle.Status
ReportStatus = DutyReport.Status

# The one place that says which transitions are allowed.
CYCLE_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "open": (frozenset({CycleStatus.DRAFT}), CycleStatus.OPEN),
    "close": (frozenset({CycleStatus.OPEN}), CycleStatus.CLOSED),
}
REPORT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({ReportStatus.DRAFT, ReportStatus.RETURNED}), ReportStatus.SUBMITTED),
    "return": (frozenset({ReportStatus.SUBMITTED}), ReportStatus.RETURNED),
}

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


def sanitize(html: str) -> str:
    """Keeps paragraphs, lists and emphasis; drops every other tag, attribute and script."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes={}, link_rel=None).strip()


# 考核指标模板 ------------------------------------------------------------------


@transaction.atomic
def rubric_template_create(*, organization: Organization, name: str, by: User) -> RubricTemplate:
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
    if _locked_report(problem.report).cycle.is_closed:
        raise DomainError(_("考核已结束，不能修改。"))
    problem.delete()


# 民主测评 --------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(BALLOT_CODE_ALPHABET) for _ in range(BALLOT_CODE_LENGTH))


@transaction.atomic
def ballot_codes_generate(*, cycle: Cycle, organization: Organization, count: Any, by: User) -> list[BallotCode]:
    """Makes COUNT one-time codes for an organization's members."""
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
    batch = (cycle.ballot_codes.filter(organization=organization).aggregate(last=Max("batch"))["last"] or 0) + 1
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(_new_code())
    taken = set(BallotCode.objects.filter(code__in=codes).values_list("code", flat=True))
    while taken:
        codes -= taken
        while len(codes) < count:
            codes.add(_new_code())
        taken = set(BallotCode.objects.filter(code__in=codes).values_list("code", flat=True))
    return BallotCode.objects.bulk_create(
        BallotCode(cycle=cycle, organization=organization, code=code, batch=batch) for code in sorted(codes)
    )


def normalize_code(code: str) -> str:
    return "".join((code or "").split()).upper()


@transaction.atomic
def ballot_cast(
    *, code: str, rating: str, item_ratings: Mapping[str, str] | None = None, today: date | None = None
) -> None:
    """Casts one anonymous ballot with a one-time code. The code is marked used; the ballot keeps no trace of it."""
    today = today or timezone.localdate()
    if rating not in Rating.values:
        raise DomainError(_("请选择评价：好、较好、一般或差。"))
    items = {str(label)[:100]: value for label, value in (item_ratings or {}).items() if value}
    if any(value not in Rating.values for value in items.values()):
        raise DomainError(_("分项评价无效。"))
    try:
        ballot_code = BallotCode.objects.select_for_update().select_related("cycle").get(code=normalize_code(code))
    except BallotCode.DoesNotExist:
        raise DomainError(_("测评码无效，请核对后重新输入。")) from None
    cycle = ballot_code.cycle
    if ballot_code.is_used:
        raise DomainError(_("该测评码已使用过，每个测评码只能投票一次。"))
    if cycle.status != CycleStatus.OPEN or not cycle.ballot_opens <= today <= cycle.ballot_closes:
        raise DomainError(
            _("不在民主测评时间内（%(start)s 至 %(end)s）。")
            % {"start": cycle.ballot_opens.isoformat(), "end": cycle.ballot_closes.isoformat()}
        )
    updated = BallotCode.objects.filter(pk=ballot_code.pk, is_used=False).update(is_used=True)
    if updated != 1:
        raise DomainError(_("该测评码已使用过，每个测评码只能投票一次。"))
    Ballot.objects.create(cycle=cycle, organization_id=ballot_code.organization_id, rating=rating, item_ratings=items)


def ballot_tally(cycle: Cycle) -> dict[int, Counter[str]]:
    """Ballots per organization and rating (one query)."""
    tally: dict[int, Counter[str]] = defaultdict(Counter)
    rows = Ballot.objects.filter(cycle=cycle).values_list("organization_id", "rating")
    for organization_id, rating in rows:
        tally[organization_id][rating] += 1
    return tally


# 结束考核 --------------------------------------------------------------------


def cycle_points(cycle: Cycle) -> dict[str, int]:
    return {
        Rating.GOOD: cycle.points_good,
        Rating.FAIR: cycle.points_fair,
        Rating.AVERAGE: cycle.points_average,
        Rating.POOR: cycle.points_poor,
    }


def compute_results(cycle: Cycle) -> list[dict[str, Any]]:
    """Every report's components, composite, grade and classification, in a fixed number of queries."""
    reports = list(cycle.reports.select_related("organization").order_by("organization__path"))
    indicators = [
        scoring.IndicatorSpec(id=indicator.pk, kind=indicator.kind, max_points=indicator.max_points)
        for indicator in cycle.indicators.all()
    ]
    points: dict[int, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    vetoed: set[int] = set()
    reviewers: Counter[int] = Counter()
    submitted_scores = Score.objects.filter(
        assignment__report__cycle=cycle, assignment__submitted_at__isnull=False
    ).values_list("assignment__report_id", "indicator_id", "points", "vetoed")
    for report_id, indicator_id, value, hit in submitted_scores:
        points[report_id][indicator_id].append(value)
        if hit:
            vetoed.add(report_id)
    for report_id in ReviewerAssignment.objects.filter(report__cycle=cycle, submitted_at__isnull=False).values_list(
        "report_id", flat=True
    ):
        reviewers[report_id] += 1
    completion = {
        organization_id: responsibility_list.completion_rate
        for organization_id, responsibility_list in (
            (row.organization_id, row)
            for row in ResponsibilityList.objects.filter(
                year=cycle.year, organization__in=[report.organization_id for report in reports]
            ).only("organization_id", "required_total", "done_total")
        )
    }
    tally = ballot_tally(cycle)
    ballot_points = cycle_points(cycle)
    bands = scoring.Bands(
        good=cycle.band_good, fair=cycle.band_fair, average=cycle.band_average, poor_share=cycle.poor_ballot_share
    )
    rows: list[dict[str, Any]] = []
    for report in reports:
        daily = (
            report.daily_score if report.daily_score is not None else Decimal(completion.get(report.organization_id, 0))
        )
        # A reviewer who left a bonus or deduction item blank gave it 0: every submitted
        # reviewer counts in every indicator's mean.
        scored = points.get(report.pk, {})
        padded = {
            indicator.id: [
                *scored.get(indicator.id, ()),
                *[Decimal("0")] * (reviewers[report.pk] - len(scored.get(indicator.id, ()))),
            ]
            for indicator in indicators
        }
        review = (
            scoring.review_score(indicators, padded, trim=cycle.trim_extremes)
            if report.status == ReportStatus.SUBMITTED
            else Decimal("0")
        )
        counts = tally.get(report.organization_id, Counter())
        ballot = scoring.ballot_score(counts, ballot_points)
        total = scoring.composite(
            daily=daily,
            review=review,
            ballot=ballot,
            weights=(cycle.weight_daily, cycle.weight_review, cycle.weight_ballot),
        )
        valid = sum(counts.values())
        verdict = scoring.grade(total, bands, vetoed=report.pk in vetoed, poor=counts.get(Rating.POOR, 0), valid=valid)
        reason = verdict.reason
        if report.status != ReportStatus.SUBMITTED and not reason:
            reason = "not_submitted"
        rows.append(
            {
                "report": report,
                "daily_score": scoring.rounded(daily),
                "review_score": review,
                "ballot_score": ballot,
                "composite": total,
                "grade": verdict.rating,
                "grade_reason": reason,
                "classification": scoring.classify(
                    total, verdict.rating, advanced=cycle.advanced_floor, standard=cycle.standard_floor
                ),
                "ballots_valid": valid,
                "ballots_poor": counts.get(Rating.POOR, 0),
                "reviewers": reviewers.get(report.pk, 0),
            }
        )
    ranks = scoring.competition_ranks([row["composite"] for row in rows])
    for row, rank in zip(rows, ranks, strict=True):
        row["rank"] = rank
    return rows


@transaction.atomic
def cycle_close(*, cycle: Cycle, by: User) -> Cycle:
    """Closes the cycle: results are computed once, stored, and reach the secretaries; nothing changes after."""
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    locked.status = transition(CYCLE_TRANSITIONS, "close", locked.status, locked.get_status_display())
    rows = compute_results(locked)
    try:
        Result.objects.bulk_create(Result(**row) for row in rows)
    except IntegrityError:
        raise DomainError(_("考核结果已生成。")) from None
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    return locked
