"""Demo data for 述职评议考核: the 东湖镇 committee's closed review of last year and its open one this year.

Built through the services (so the demo exercises the real rules), except that last
year's dates are in the past: ballots are cast "on" a day inside last year's window.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Organization, Position, User
from reviews import services
from reviews.models import Cycle, DutyReport, IndicatorKind, Rating, RubricTemplate, SpentCode
from seeding.demo.people import FIRST_TOWNSHIP_CODE, FIRST_VILLAGE_CODE
from seeding.demo.report_texts import PARAGRAPHS

RUBRIC_NAME = "村（社区）党组织书记抓基层党建述职评议考核指标"
RUBRIC = [
    ("政治建设", "学习贯彻党的创新理论，落实“第一议题”制度", IndicatorKind.STANDARD, 15, "每缺一次集中学习扣 1 分。"),
    ("组织建设", "“三会一课”、主题党日、组织生活会落实", IndicatorKind.STANDARD, 20, "查会议记录；每缺一次扣 2 分。"),
    ("组织建设", "党员发展、教育管理和党费收缴", IndicatorKind.STANDARD, 15, "程序不规范每处扣 2 分。"),
    ("作风建设", "为民办实事、联系服务群众", IndicatorKind.STANDARD, 15, "查民情台账和办结情况。"),
    ("纪律建设", "落实全面从严治党主体责任", IndicatorKind.STANDARD, 15, "出现违纪违规问题酌情扣分。"),
    (
        "履职尽责",
        "书记“四个亲自”履责记实",
        IndicatorKind.STANDARD,
        20,
        "查履责记实；亲自部署、过问、协调、督办各 5 分。",
    ),
    ("加分项", "工作获县级以上表彰或经验推广", IndicatorKind.BONUS, 5, "县级 2 分，市级以上 5 分，累计不超过 5 分。"),
    ("扣分项", "上年度整改事项未按期完成", IndicatorKind.DEDUCTION, 10, "每项扣 2 分，累计不超过 10 分。"),
    ("一票否决", "发生严重违纪违法或重大责任事故", IndicatorKind.VETO, 0, "发生即定为“差”。"),
]
SECTIONS_TEXT = {
    "履职情况": (
        "<p>一年来，支部坚持把抓党建作为第一责任，落实“三会一课”制度，全年召开支委会 {meetings} 次、党员大会 4 次，"
        "讲党课 4 次。</p><ul><li>亲自部署村级换届后班子建设；</li><li>亲自协调解决灌溉水渠修缮问题；</li>"
        "<li>亲自督办矛盾纠纷排查化解。</li></ul>"
    ),
    "存在问题": "<p>一是党员教育方式较单一，流动党员参学率不高；二是发展党员梯队不足，35 岁以下入党积极分子偏少。</p>",
    "原因分析": "<p>对党员教育创新思考不够，<strong>抓班子带队伍的办法不多</strong>。</p>",
    "下步打算": "<ol><li>建立流动党员线上学习群；</li><li>从致富能手、返乡青年中培养入党积极分子；</li></ol>",
}
COMMENTS = [
    "履职情况总结全面，“四个亲自”有记实支撑；存在问题查摆较具体，整改措施需进一步量化。",
    "基础工作扎实，但党员教育管理仍有短板，发展党员工作需加强。",
    "问题查摆不够深入，原因分析流于表面，下步打算缺少时间节点。",
]
PROBLEMS = [
    "流动党员教育管理不到位，参学率偏低。",
    "发展党员梯队建设不足，入党积极分子年龄偏大。",
    "“三会一课”记录不够规范，个别会议缺少签到。",
]


@dataclass
class ReviewsDemoSummary:
    closed_cycles: int = 0
    open_cycles: int = 0
    reports: int = 0
    ballots: int = 0

    def __str__(self) -> str:
        return (
            f"述职评议：已结束 {self.closed_cycles} 次、进行中 {self.open_cycles} 次，"
            f"述职报告 {self.reports} 份，民主测评票 {self.ballots} 张。"
        )


def _rubric(township: Organization, by: User) -> RubricTemplate:
    existing = RubricTemplate.objects.filter(organization=township, name=RUBRIC_NAME).first()
    if existing is not None:
        return existing
    template = services.rubric_template_create(organization=township, name=RUBRIC_NAME, by=by)
    for category, name, kind, points, guidance in RUBRIC:
        services.template_indicator_add(
            template=template, category=category, name=name, guidance=guidance, kind=kind, max_points=points, by=by
        )
    return template


def _reviewers(township: Organization) -> list[User]:
    leading = [Position.Role.SECRETARY, Position.Role.DEPUTY, Position.Role.COMMITTEE_MEMBER]
    positions = Position.objects.current().filter(organization=township, role__in=leading).select_related("person")
    return [position.person for position in positions.order_by("id")]


def duty_paragraphs(index: int, year: int) -> str:
    """The 履职情况 the organization at INDEX of the township wrote in YEAR's closed review: two paragraphs of its
    own (no two organizations share one), dated in that year."""
    chosen = PARAGRAPHS[(2 * index) % len(PARAGRAPHS)], PARAGRAPHS[(2 * index + 1) % len(PARAGRAPHS)]
    return "".join(f"<p>{paragraph.replace('2025', str(year))}</p>" for paragraph in chosen)


def copied(body: str, year: int, numbers: dict[str, str], names: dict[str, str]) -> str:
    """BODY as a secretary reuses it: the year, some numbers and names changed, nothing else (相似内容's demo)."""
    body = body.replace(str(year - 1), str(year))
    for old, new in {**numbers, **names}.items():
        body = body.replace(old, new)
    return body


def _write(report: DutyReport, by: User, rng: random.Random, duties: str = "") -> DutyReport:
    sections = {title: text.format(meetings=rng.randint(11, 14)) for title, text in SECTIONS_TEXT.items()}
    if duties:
        sections["履职情况"] = duties + sections["履职情况"]
    report = services.report_save(report=report, sections=sections, revision=report.revision, by=by)
    return services.report_submit(report=report, by=by)


def _score(report: DutyReport, quality: int, rng: random.Random) -> None:
    """Every assigned reviewer scores around the report's QUALITY (a share of the maximum, in percent)."""
    indicators = list(report.cycle.indicators.all())
    for assignment in report.assignments.select_related("reviewer"):
        entries: dict[int, dict[str, object]] = {}
        for indicator in indicators:
            if indicator.kind == IndicatorKind.STANDARD:
                share = min(100, max(40, quality + rng.randint(-8, 6))) / Decimal(100)
                entries[indicator.pk] = {"points": (indicator.max_points * share).quantize(Decimal("0.5"))}
            elif indicator.kind == IndicatorKind.BONUS and quality > 90:
                entries[indicator.pk] = {"points": 2}
            elif indicator.kind == IndicatorKind.DEDUCTION and quality < 75:
                entries[indicator.pk] = {"points": 4}
        services.scores_save(assignment=assignment, entries=entries, comment="", by=assignment.reviewer)
        services.scores_submit(assignment=assignment, by=assignment.reviewer)


def _ballots(cycle: Cycle, organization: Organization, weights: list[int], by: User, on: date, count: int) -> int:
    """Casts COUNT ballots in the proportions of WEIGHTS (好, 较好, 一般, 差), leaving a few codes unused."""
    codes = services.ballot_codes_generate(
        cycle=cycle,
        organization=organization,
        count=count + 3,
        by=by,
        reason="在册党员之外，邀请村民代表和驻村工作队列席参加测评",
    )
    total = sum(weights)
    ratings = [
        rating for rating, weight in zip(Rating.values, weights, strict=True) for _ in range(count * weight // total)
    ]
    ratings += [Rating.GOOD] * (count - len(ratings))
    random.Random(organization.code).shuffle(ratings)
    for code, rating in zip(codes, ratings, strict=False):
        services.ballot_cast(code=code.code, rating=rating, today=on)
    return count


def _closed_cycle(township: Organization, secretary: User, template: RubricTemplate, year: int) -> Cycle:
    rng = random.Random(year)
    cycle = services.cycle_create(
        organization=township,
        year=year,
        title=f"东湖镇{year}年度村（社区）党组织书记抓基层党建述职评议考核",
        report_due=date(year, 12, 20),
        scoring_due=date(year + 1, 1, 10),
        ballot_opens=date(year, 12, 25),
        ballot_closes=date(year + 1, 1, 5),
        template=template,
        by=secretary,
    )
    services.cycle_open(cycle=cycle, by=secretary)
    reports = list(cycle.reports.select_related("organization").order_by("organization__code"))
    services.reviewer_assign(reports=reports, reviewer=secretary, by=secretary)
    for reviewer in _reviewers(township)[1:5]:
        services.reviewer_assign(reports=reports, reviewer=reviewer, by=secretary)
    qualities = [94, 86, 72, 90, 80, 78, 88]
    poor_heavy = {2}  # one branch whose members rated it poorly: the ballot rule decides its grade
    for index, report in enumerate(reports):
        leader = Position.objects.secretary_of(report.organization) or secretary
        report = _write(report, leader, rng, duty_paragraphs(index, year))
        _score(report, qualities[index % len(qualities)], rng)
        services.report_comment_save(
            report=report,
            comment=COMMENTS[index % len(COMMENTS)],
            daily_score=Decimal(qualities[index % len(qualities)] - rng.randint(0, 6)),
            daily_reason="依据上年度日常考核和督查台账评定",
            by=secretary,
        )
        for text in PROBLEMS[: 1 + index % len(PROBLEMS)]:
            services.problem_add(report=report, text=text, by=secretary)
        weights = [20, 25, 15, 40] if index in poor_heavy else [60, 25, 10, 5]
        _ballots(cycle, report.organization, weights, secretary, date(year, 12, 28), 12 + index)
    return services.cycle_close(cycle=cycle, by=secretary)


def _open_cycle(township: Organization, secretary: User, template: RubricTemplate, year: int) -> Cycle:
    today = timezone.localdate()
    rng = random.Random(year)
    cycle = services.cycle_create(
        organization=township,
        year=year,
        title=f"东湖镇{year}年度村（社区）党组织书记抓基层党建述职评议考核",
        report_due=today + timedelta(days=21),
        scoring_due=today + timedelta(days=35),
        ballot_opens=today - timedelta(days=1),
        ballot_closes=today + timedelta(days=28),
        template=template,
        by=secretary,
    )
    services.cycle_open(cycle=cycle, by=secretary)
    reports = list(cycle.reports.select_related("organization").order_by("organization__code"))
    # 形式主义 as the committee will meet it (相似内容): the third organization hands in last year's report with
    # the dates and numbers changed, and the fifth hands in the third's, names and all.
    reused = copied(duty_paragraphs(2, year - 1), year, {"12次": "11次", "4次": "5次", "85%": "88%"}, {})
    duties = {2: reused, 4: copied(reused, year, {}, {"张伟": "赵敏", "李强": "周涛"})}
    services.reviewer_assign(reports=reports, reviewer=secretary, by=secretary)
    for reviewer in _reviewers(township)[1:3]:
        services.reviewer_assign(reports=reports, reviewer=reviewer, by=secretary)
    for index, report in enumerate(reports):
        organization = report.organization
        if organization.code == FIRST_VILLAGE_CODE:
            # The demo secretary's own report waits, half written, for the browser journey.
            services.report_save(
                report=report,
                sections={"履职情况": "<p>（草稿）今年以来，支部围绕责任清单逐项落实……</p>"},
                revision=report.revision,
                by=Position.objects.secretary_of(organization) or secretary,
            )
            services.ballot_codes_generate(
                cycle=cycle,
                organization=organization,
                count=20,
                by=secretary,
                reason="在册党员之外，邀请村民代表列席参加测评",
            )
            continue
        if index % 2 == 0:
            leader = Position.objects.secretary_of(organization) or secretary
            report = _write(report, leader, rng, duties.get(index, ""))
            if index % 4 == 0:
                _score(report, 85, rng)
        _ballots(cycle, organization, [50, 30, 15, 5], secretary, today, 5 + index)
    return cycle


def reviews_demo_build() -> ReviewsDemoSummary:
    """Last year's closed review and this year's open one at 东湖镇; nothing is created twice."""
    summary = ReviewsDemoSummary()
    township = Organization.objects.filter(code=FIRST_TOWNSHIP_CODE).first()
    secretary = Position.objects.secretary_of(township) if township is not None else None
    if township is None or secretary is None:
        return summary
    template = _rubric(township, secretary)
    this_year = timezone.localdate().year
    if not Cycle.objects.filter(organization=township, year=this_year - 1).exists():
        _closed_cycle(township, secretary, template, this_year - 1)
    if not Cycle.objects.filter(organization=township, year=this_year).exists():
        _open_cycle(township, secretary, template, this_year)
    cycles = Cycle.objects.filter(organization=township)
    summary.closed_cycles = cycles.filter(status=Cycle.Status.CLOSED).count()
    summary.open_cycles = cycles.filter(status=Cycle.Status.OPEN).count()
    summary.reports = DutyReport.objects.filter(cycle__in=cycles).count()
    summary.ballots = SpentCode.objects.filter(cycle__in=cycles).count()
    return summary
