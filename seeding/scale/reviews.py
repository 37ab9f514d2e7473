"""Province-sized 述职评议考核: every committee's open review of its direct subordinates this year.

"一级抓一级": the province reviews its cities, each city its counties, each county its townships and
each township its branches, so every organization but the province has one duty report. About
half the reports are submitted; each committee's secretary is assigned to the submitted reports
of its cycle and has scored half of them; a fifth of the organizations have cast ballots. In the
first county's cycle `scale-reviewer` is assigned to every report and has reports left to score.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from reviews.ballot_box import spent_digest
from reviews.models import (
    DEFAULT_SECTIONS,
    BallotBatch,
    BallotCode,
    BallotTally,
    Cycle,
    DutyReport,
    Indicator,
    IndicatorKind,
    Problem,
    Rating,
    ReportVersion,
    ReviewerAssignment,
    RubricTemplate,
    Score,
    SpentCode,
    TemplateIndicator,
)
from reviews.services import BALLOT_CODE_ALPHABET, BALLOT_CODE_LENGTH
from seeding.demo.reviews import COMMENTS, PROBLEMS, RUBRIC, RUBRIC_NAME
from seeding.scale.people import REVIEWER_LOGIN, ScaleTree, TableWriter
from seeding.scale.texts import REPORT_COPY_SHARE, report_copy, report_sections

Status = DutyReport.Status
SUBMITTED_SHARE = 0.55
RETURNED_SHARE = 0.05
SCORED_SHARE = 0.5
BALLOT_SHARE = 0.2
RETURN_REASON = "“存在问题”查摆不够具体，请对照责任清单逐项补充后重新提交。"
BALLOT_WEIGHTS = [55, 28, 12, 5]  # 好, 较好, 一般, 差


@dataclass
class ProblemRow:
    """A problem named in a report's assessment, for the rectification builder to turn into a finding."""

    id: int
    org_index: int
    text: str
    by: int


@dataclass
class ReviewsScale:
    problems: list[ProblemRow] = field(default_factory=list)


def _code(number: int, rng: random.Random) -> str:
    """A ballot code, unique by its numbered tail, random at its head."""
    base = len(BALLOT_CODE_ALPHABET)
    tail = ""
    while number:
        number, remainder = divmod(number, base)
        tail = BALLOT_CODE_ALPHABET[remainder] + tail
    tail = tail.rjust(BALLOT_CODE_LENGTH // 2, BALLOT_CODE_ALPHABET[0])
    head = "".join(rng.choice(BALLOT_CODE_ALPHABET) for _ in range(BALLOT_CODE_LENGTH - len(tail)))
    return head + tail


def _dates(tree: ScaleTree) -> tuple[date, date, date, date]:
    """(report due, scoring due, ballots open, ballots close): running now in the current year, at its end otherwise."""
    today = tree.today
    if tree.year == today.year:
        return (
            today + timedelta(days=21),
            today + timedelta(days=35),
            today - timedelta(days=7),
            today + timedelta(days=28),
        )
    year = tree.year
    return date(year, 12, 20), date(year + 1, 1, 10), date(year, 12, 1), date(year + 1, 1, 5)


def reviews_scale_build(writer: TableWriter, tree: ScaleTree) -> ReviewsScale:
    """Writes the rubric, the cycles and their indicators, reports, assignments, scores, problems and ballots."""
    rng = tree.rng("reviews")
    result = ReviewsScale()
    reviewer_user = tree.logins[REVIEWER_LOGIN]
    report_due, scoring_due, ballot_opens, ballot_closes = _dates(tree)
    opened = tree.moment(tree.today - timedelta(days=10), 9)

    template_id = writer.next_id(RubricTemplate)
    writer.write(RubricTemplate, ["id", "organization_id", "name"], [(template_id, tree.ids[0], RUBRIC_NAME)])
    indicator_columns = ["category", "name", "kind", "max_points", "order"]
    rubric = [
        (category, name, kind, Decimal(points), order)
        for order, (category, name, kind, points, _g) in enumerate(RUBRIC, start=1)
    ]
    guidance = [spec[4] for spec in RUBRIC]
    writer.write(
        TemplateIndicator,
        ["template_id", "guidance", *indicator_columns],
        [(template_id, guidance[number], *spec) for number, spec in enumerate(rubric)],
    )

    children = tree.children()
    next_cycle = writer.next_id(Cycle)
    next_indicator = writer.next_id(Indicator)
    next_report = writer.next_id(DutyReport)
    next_assignment = writer.next_id(ReviewerAssignment)
    next_problem = writer.next_id(Problem)
    code_number = writer.next_id(BallotCode)
    cycles: list[tuple[Any, ...]] = []
    indicators: list[tuple[Any, ...]] = []
    reports: list[tuple[Any, ...]] = []
    versions: list[tuple[Any, ...]] = []
    assignments: list[tuple[Any, ...]] = []
    scores: list[tuple[Any, ...]] = []
    problems: list[tuple[Any, ...]] = []
    codes: list[tuple[Any, ...]] = []
    batches: list[tuple[Any, ...]] = []
    spent: list[tuple[Any, ...]] = []
    tallies: list[tuple[Any, ...]] = []

    for committee in tree.committees():
        below = children.get(committee, [])
        if not below:
            continue
        cycle_id = next_cycle
        next_cycle += 1
        title = f"{tree.names[committee]}{tree.year}年度下级党组织书记抓基层党建述职评议考核"
        cycles.append(
            (cycle_id, tree.ids[committee], title, report_due, scoring_due, ballot_opens, ballot_closes, opened)
        )
        indicator_ids = []
        for number, spec in enumerate(rubric):
            indicators.append((next_indicator, cycle_id, guidance[number], *spec))
            indicator_ids.append((next_indicator, spec[2], spec[3]))
            next_indicator += 1
        committee_user = tree.secretaries[committee]
        reviewers = [committee_user] + ([reviewer_user] if committee == tree.first_county else [])
        written: list[dict[str, str]] = []
        for org_index in below:
            secretary = tree.secretaries[org_index]
            draw = rng.random()
            status = (
                Status.SUBMITTED
                if draw < SUBMITTED_SHARE
                else Status.RETURNED
                if draw < SUBMITTED_SHARE + RETURNED_SHARE
                else Status.DRAFT
            )
            edited = tree.moment(tree.today - timedelta(days=rng.randint(0, 9)), 15)
            quality = rng.randint(65, 98)
            sections: dict[str, str] = {}
            if status != Status.DRAFT:
                if written and rng.random() < REPORT_COPY_SHARE:
                    sections = report_copy(rng, rng.choice(written))
                else:
                    sections = report_sections(rng)
                written.append(sections)
                versions.append((next_report, 1, sections, [], edited, secretary))
            elif rng.random() < 0.5:
                # A draft: the first two sections written, the rest still to come. (The first alone, three
                # sentences from pools of 64, made a thousand drafts share two of three by chance.)
                sections = dict(list(report_sections(rng).items())[:2])
            scored = status == Status.SUBMITTED and rng.random() < SCORED_SHARE
            comment, daily_score, daily_reason = "", None, ""
            if scored:
                comment = COMMENTS[quality % len(COMMENTS)]
                daily_score = Decimal(max(0, quality - rng.randint(0, 6)))
                daily_reason = "依据日常考核和督查台账评定"
                problems.append((next_problem, next_report, rng.choice(PROBLEMS), 1, committee_user))
                result.problems.append(ProblemRow(next_problem, org_index, problems[-1][2], committee_user))
                next_problem += 1
            reports.append(
                (
                    next_report,
                    cycle_id,
                    tree.ids[org_index],
                    status,
                    sections,
                    2 if status != Status.DRAFT else len(sections),
                    secretary if sections else None,
                    edited if sections else None,
                    edited if status != Status.DRAFT else None,
                    RETURN_REASON if status == Status.RETURNED else "",
                    comment,
                    daily_score,
                    daily_reason,
                )
            )
            if status == Status.SUBMITTED:
                for reviewer in reviewers:
                    # The fixed reviewer has scored only a third of the county's reports: the rest wait for the harness.
                    done = scored if reviewer == committee_user else rng.random() < 1 / 3
                    assignments.append(
                        (next_assignment, next_report, reviewer, "" if not done else comment, edited if done else None)
                    )
                    if done:
                        for indicator_id, kind, max_points in indicator_ids:
                            points = _points(kind, max_points, quality, rng)
                            if points is not None:
                                scores.append((next_assignment, indicator_id, points, False))
                    next_assignment += 1
            if rng.random() < BALLOT_SHARE:
                # As the ballot box keeps them: the codes, a keyed digest per spent one, and the counts only.
                count = rng.randint(6, 15)
                cast = count - rng.randint(0, 3)
                organization_id = tree.ids[org_index]
                batches.append((cycle_id, organization_id, 1, count, committee_user))
                for number in range(count):
                    code = _code(code_number, rng)
                    codes.append((code_number, cycle_id, organization_id, code, 1))
                    if number < cast:
                        spent.append(
                            (
                                uuid.UUID(int=rng.getrandbits(128), version=4),
                                cycle_id,
                                organization_id,
                                spent_digest(code),
                            )
                        )
                    code_number += 1
                counted = Counter(rng.choices(Rating.values, weights=BALLOT_WEIGHTS, k=cast))
                tallies.append((cycle_id, organization_id, *(counted.get(value, 0) for value in Rating.values), {}))
            next_report += 1

    _write_cycles(writer, tree, cycles)
    writer.write(Indicator, ["id", "cycle_id", "guidance", *indicator_columns], indicators)
    writer.write(
        DutyReport,
        [
            "id",
            "cycle_id",
            "organization_id",
            "status",
            "sections",
            "revision",
            "last_edited_by_id",
            "last_edited_at",
            "submitted_at",
            "return_reason",
            "comment",
            "daily_score",
            "daily_reason",
        ],
        reports,
    )
    writer.write(
        ReportVersion,
        ["report_id", "number", "sections", "self_assessment", "submitted_at", "submitted_by_id"],
        versions,
    )
    writer.write(ReviewerAssignment, ["id", "report_id", "reviewer_id", "comment", "submitted_at"], assignments)
    writer.write(Score, ["assignment_id", "indicator_id", "points", "vetoed"], scores)
    writer.write(Problem, ["id", "report_id", "text", "order", "created_by_id"], problems)
    writer.write(BallotBatch, ["cycle_id", "organization_id", "number", "count", "created_by_id"], batches)
    writer.write(BallotCode, ["id", "cycle_id", "organization_id", "code", "batch"], codes)
    writer.write(SpentCode, ["id", "cycle_id", "organization_id", "digest"], spent)
    writer.write(BallotTally, ["cycle_id", "organization_id", *Rating.values, "items"], tallies)
    return result


def _write_cycles(writer: TableWriter, tree: ScaleTree, cycles: list[tuple[Any, ...]]) -> None:
    writer.write(
        Cycle,
        [
            "id",
            "organization_id",
            "title",
            "report_due",
            "scoring_due",
            "ballot_opens",
            "ballot_closes",
            "opened_at",
            "year",
            "status",
            "sections",
        ],
        ((*row, tree.year, Cycle.Status.OPEN, list(DEFAULT_SECTIONS)) for row in cycles),
    )


def _points(kind: str, max_points: Decimal, quality: int, rng: random.Random) -> Decimal | None:
    """A reviewer's points around the report's QUALITY (percent of the maximum), as the demo scores; None: blank."""
    if kind == IndicatorKind.STANDARD:
        share = Decimal(min(100, max(40, quality + rng.randint(-8, 6)))) / 100
        return (max_points * share).quantize(Decimal("0.5"))
    if kind == IndicatorKind.BONUS and quality > 90:
        return Decimal(2)
    if kind == IndicatorKind.DEDUCTION and quality < 75:
        return Decimal(4)
    return None
