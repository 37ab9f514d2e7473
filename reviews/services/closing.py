"""结束考核: the gaps by organization, the results computed once, stored and sent to each secretary."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Organization, Position, User
from foundation.errors import DomainError, transition
from meetings.models import LifeYear
from notifications.services import Draft, notify_many
from responsibility.models import ResponsibilityList
from reviews import scoring
from reviews.models import (
    ClosingNote,
    Component,
    Cycle,
    GapKind,
    Grade,
    Rating,
    Result,
    ReviewerAssignment,
    Score,
    SpentCode,
)
from reviews.services.assessment import reviewer_supervises
from reviews.services.ballots import _count_all_waiting, ballot_counts, ballot_window_closed, ballots_published
from reviews.services.base import ReportStatus
from reviews.workflow import CYCLE_TRANSITIONS

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
    # The year's organizational life, when the cycle gives it a share of the daily score (one query).
    life = (
        {
            row.organization_id: scoring.life_score(
                required=row.required_total,
                held=row.held_total,
                late=row.late_periods,
                missed=row.missed_periods,
                late_deduction=cycle.life_late_deduction,
                missed_deduction=cycle.life_missed_deduction,
            )
            for row in LifeYear.objects.filter(
                year=cycle.year, organization__in=[report.organization_id for report in reports]
            )
        }
        if cycle.life_share
        else {}
    )
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
        else:
            rate = completion.get(report.organization_id)
            daily = scoring.daily_blend(
                None if rate is None else Decimal(rate), life.get(report.organization_id), cycle.life_share, places
            )
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
    if cycle.life_share:
        # A year of meetings with something required is daily data too, by the cycle's rule.
        with_list |= set(
            LifeYear.objects.filter(
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
        drafts.append(
            Draft(
                recipient=secretary,
                kind="review_result",
                key="review_result",
                params={
                    "cycle": cycle.title,
                    "grade": Grade(row["grade"]).value,
                    "score": str(composite) if composite is not None else None,
                    "rank": row["rank"],
                    "comment": report.comment.strip(),
                },
                url=reverse("report_result", args=[report.pk]),
            )
        )
    if drafts:
        notify_many(drafts)
