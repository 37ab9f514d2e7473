"""Rubric templates and cycles: creating, setting up, opening, and assigning reviewers (by the cycle's committee)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Organization, User
from foundation.errors import DomainError, clean_text, transition
from reviews import access
from reviews.models import (
    DEFAULT_SECTIONS,
    Cycle,
    DutyReport,
    Indicator,
    IndicatorKind,
    MissingRule,
    ReviewerAssignment,
    RubricTemplate,
    TemplateIndicator,
)
from reviews.services.ballots import MIN_BALLOTS_FLOOR
from reviews.services.base import CycleStatus, _decimal, _require
from reviews.workflow import CYCLE_TRANSITIONS

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
    if not 0 <= cycle.life_share <= 100:
        raise DomainError(_("组织生活占比须在 0 到 100 之间。"))
    if not (0 <= cycle.life_late_deduction <= 100 and 0 <= cycle.life_missed_deduction <= 100):
        raise DomainError(_("组织生活扣分须在 0 到 100 之间。"))
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
