"""Demo data for 督查 and 整改: findings and tasks in every state at the demo county.

`rectification_demo_build()` runs after the reviews demo (see `manage.py seed_demo`):

- last year's closed review at 东湖镇 named problems; some become findings
  (`finding_from_problem`), among them the demo secretary's task still awaiting a plan;
- 东湖镇's random inspection of its branches (a recorded seed, re-runnable) and the county's
  scheduled inspection of its townships raise findings, so do self-checks and member feedback;
- tasks awaiting a plan, in progress with evidence, awaiting acceptance, accepted (柳塘村's of last
  year shows in this year's duty report), returned once and twice (整改不力, with a 约谈 recorded),
  overdue by a few days, by more than 7 and by more than 14 days (督办), one pending extension;
- recurring findings by meaning: this year's finding at 柳塘村 rewords last year's (linked, and the
  committee confirmed it: 年年是问题); 东湖镇's own this year rewords its last year's (linked, awaiting
  the county's word); a branch's "党费台账未按月登记" is not linked to its last year's "发展党员梯队"
  problem of the same category.

Everything goes through the services, so the demo obeys the real rules. Only time is bent
afterwards: services refuse past deadlines, so overdue deadlines and last year's dates are
written onto the rows once they exist. Idempotent: nothing is built when the county already has findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organization, Position, User
from rectification import services
from rectification.models import Finding, Inspection, InspectionTarget, RectificationTask, TaskEvent
from responsibility.models import Category
from reviews.models import Cycle, Problem
from seeding.demo.people import COUNTY_CODE, FIRST_TOWNSHIP_CODE, FIRST_VILLAGE_CODE
from seeding.demo.responsibility import demo_pdf, demo_png

Source = Finding.Source
Severity = Finding.Severity
RANDOM_SEED = "东湖镇随机抽查"


@dataclass
class RectificationDemoSummary:
    findings: int = 0
    tasks: int = 0
    inspections: int = 0
    created: bool = False

    def __str__(self) -> str:
        return f"督查整改：督查 {self.inspections} 次，问题 {self.findings} 个，整改任务 {self.tasks} 项。"


@dataclass
class _Context:
    today: date
    county: Organization
    township: Organization
    branches: list[Organization]
    committee: User
    """demo-township: 东湖镇党委书记, over the branches."""
    county_reviewer: User
    """demo-county: the county's 组织委员, over the townships."""
    categories: dict[str, Category]

    @property
    def year(self) -> int:
        return self.today.year


def _leader(organization: Organization) -> User | None:
    position = (
        Position.objects.current()
        .filter(organization=organization, role=Position.Role.SECRETARY)
        .select_related("person")
        .first()
    )
    return position.person if position else None


def _children(organization: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(path__startswith=organization.path, depth=organization.depth + 1).order_by(
        "path"
    )


def _aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _evidence(name: str, number: int) -> SimpleUploadedFile:
    if number % 2:
        return SimpleUploadedFile(f"{name}.pdf", demo_pdf(f"Rectification evidence {number}"), "application/pdf")
    colour = ((number * 71) % 200 + 40, (number * 37) % 200 + 40, (number * 13) % 200 + 40)
    return SimpleUploadedFile(f"{name}.png", demo_png(colour), "image/png")


# Steps of a task, each through its service ---------------------------------------------------


def _task(ctx: _Context, findings: list[Finding], title: str, by: User, days: int = 30) -> RectificationTask:
    organization = findings[0].organization
    responsible = _leader(organization)
    assert responsible is not None, organization
    return services.task_create(
        findings=findings, title=title, responsible=responsible, deadline=ctx.today + timedelta(days=days), by=by
    )


def _plan(task: RectificationTask, measures: str) -> RectificationTask:
    return services.task_plan(
        task=task,
        measures=measures,
        standard="问题整改到位，相关制度建立并执行，台账资料齐全。",
        commitment="坚决按期完成整改，不打折扣、不搞变通，确保问题不反弹。",
        by=task.responsible,
    )


def _progress(task: RectificationTask, text: str, *, files: int = 1, number: int = 0) -> None:
    uploads = [_evidence(f"整改佐证{number + index}", number + index) for index in range(files)]
    services.task_progress(task=task, text=text, by=task.responsible, files=uploads)


def _submit(task: RectificationTask, measures: str, number: int) -> RectificationTask:
    task = _plan(task, measures)
    _progress(task, "已按整改方案完成整改，补齐相关台账。", files=2, number=number)
    return services.task_submit(task=task, text="整改已完成，佐证材料已上传，申请销号。", by=task.responsible)


def _overdue(task: RectificationTask, today: date, days: int) -> None:
    """Services refuse a past deadline; the demo bends time once the task exists."""
    RectificationTask.objects.filter(pk=task.pk).update(deadline=today - timedelta(days=days))


def _backdate(task: RectificationTask, *, start: date, accepted: date, deadline: date) -> None:
    """Moves a closed task's story into last year: created on START, a step every few days, accepted on ACCEPTED."""
    events = list(task.events.order_by("at", "id"))
    step = max(1, (accepted - start).days // max(1, len(events) - 1))
    for index, event in enumerate(events):
        at = _aware(accepted if event.kind == TaskEvent.Kind.ACCEPTED else start + timedelta(days=index * step))
        TaskEvent.objects.filter(pk=event.pk).update(at=at)
    RectificationTask.objects.filter(pk=task.pk).update(
        created_at=_aware(start), accepted_at=_aware(accepted, 16), deadline=deadline
    )


# Where the findings come from -----------------------------------------------------------------


def _raise(
    ctx: _Context,
    organization: Organization,
    description: str,
    category: str,
    *,
    year: int,
    source: str,
    by: User,
    severity: str = Severity.MINOR,
    inspection: Inspection | None = None,
) -> Finding:
    return services.finding_raise(
        organization=organization,
        year=year,
        source=source,
        description=description,
        category=ctx.categories[category],
        severity=severity,
        inspection=inspection,
        by=by,
    )


def _review_findings(ctx: _Context) -> dict[str, list[Finding]]:
    """Last year's 点评意见 problems become findings, by organization code (the first one or two of each)."""
    cycle = Cycle.objects.filter(organization=ctx.township, year=ctx.year - 1, status=Cycle.Status.CLOSED).first()
    if cycle is None:
        return {}
    problems = Problem.objects.filter(report__cycle=cycle).select_related("report__organization", "report__cycle")
    by_code: dict[str, list[Finding]] = {}
    for problem in problems.order_by("report__organization__code", "order", "id"):
        code = problem.report.organization.code
        taken = by_code.setdefault(code, [])
        if len(taken) >= 2:
            continue
        category = "组织建设" if "党员" in problem.text or "三会一课" in problem.text else "作风建设"
        taken.append(
            services.finding_from_problem(problem=problem, category=ctx.categories[category], by=ctx.committee)
        )
    return by_code


def _random_inspection(ctx: _Context) -> tuple[Inspection, list[Organization]]:
    """东湖镇 draws two branches with a recorded seed; both are checked, and fail."""
    inspection = services.inspection_plan(
        organization=ctx.township,
        kind=Inspection.Kind.RANDOM,
        title=f"东湖镇{ctx.year}年基层党建工作随机抽查",
        planned_on=ctx.today - timedelta(days=40),
        by=ctx.committee,
        draw_size=2,
        seed=f"{RANDOM_SEED}{ctx.year}",
        checklist=["“三会一课”会议记录", "党费收缴台账", "党员发展档案"],
    )
    targets = list(inspection.targets.select_related("organization").order_by("organization__path"))
    for target in targets:
        services.inspection_record(
            target=target,
            outcome=InspectionTarget.Outcome.FAIL,
            notes="会议记录不全，党费台账未按月登记。",
            checked_on=ctx.today - timedelta(days=38),
            by=ctx.committee,
        )
    services.inspection_complete(inspection=inspection, by=ctx.committee)
    return inspection, [target.organization for target in targets]


def _scheduled_inspection(ctx: _Context, townships: list[Organization]) -> Inspection:
    """The county's scheduled check of its townships: one good, the others with findings."""
    inspection = services.inspection_plan(
        organization=ctx.county,
        kind=Inspection.Kind.SCHEDULED,
        title=f"青山县{ctx.year}年上半年乡镇党委抓党建工作定期检查",
        planned_on=ctx.today - timedelta(days=30),
        by=ctx.county_reviewer,
        targets=townships,
        checklist=["落实全面从严治党主体责任", "书记抓基层党建责任清单", "软弱涣散党组织整顿"],
    )
    for index, target in enumerate(inspection.targets.order_by("organization__path")):
        services.inspection_record(
            target=target,
            outcome=InspectionTarget.Outcome.GOOD if index == 0 else InspectionTarget.Outcome.PASS,
            notes="总体较好，个别台账需完善。",
            checked_on=ctx.today - timedelta(days=28),
            by=ctx.county_reviewer,
        )
    return inspection


# The whole demo ---------------------------------------------------------------------------------


def _village(ctx: _Context, reviewed: dict[str, list[Finding]]) -> None:
    """柳塘村 (demo-secretary): last year's accepted task, last year's review problem awaiting a plan,
    and this year's recurring finding (confirmed) in progress with evidence."""
    committee, year = ctx.committee, ctx.year
    village = ctx.branches[0]
    # Rectified and accepted before last year ended: it shows in this year's duty report.
    meetings = _raise(
        ctx,
        village,
        "“三会一课”记录不够规范，个别支委会缺少签到和会议决议。",
        "组织建设",
        year=year - 1,
        source=Source.SELF_CHECK,
        by=committee,
    )
    accepted = _task(ctx, [meetings], "规范“三会一课”会议记录", committee)
    accepted = _submit(accepted, "统一使用会议记录本，会前签到、会后形成决议并公示；组织委员每月检查。", 0)
    accepted = services.task_accept(task=accepted, by=committee, comment="台账齐全，同意销号。")
    _backdate(accepted, start=date(year - 1, 9, 10), accepted=date(year - 1, 11, 25), deadline=date(year - 1, 11, 30))
    # From last year's review, waiting for the plan (the browser journey may use it).
    for finding in reviewed.get(FIRST_VILLAGE_CODE, [])[:1]:
        _task(ctx, [finding], "整改述职评议指出的问题：" + finding.description[:40], committee, days=45)
    # The same problem again this year in other words: linked by its wording, confirmed by the committee.
    again = _raise(
        ctx,
        village,
        "党员反映“三会一课”会议记录仍不规范，支委会签到不全、没有形成决议。",
        "组织建设",
        year=year,
        source=Source.FEEDBACK,
        by=committee,
    )
    if again.recurrence_to_confirm:  # tests/rectification/test_recurrence.py: linked to `meetings`
        again = services.finding_recurrence_confirm(finding=again, by=committee)
    mine = _plan(
        _task(ctx, [again], "主题党日和会议签到再整改", committee, days=20), "建立主题党日活动台账，逐次签到拍照。"
    )
    _progress(mine, "已建立主题党日活动台账，补录 3 月以来的签到。", files=2, number=2)
    _progress(mine, "支委会研究整改措施，明确组织委员每月检查。", files=0)


def _review_tasks(ctx: _Context, reviewed: dict[str, list[Finding]]) -> None:
    """The other villages' review findings: accepted, awaiting acceptance, returned once and twice, 督办, overdue."""
    committee, today = ctx.committee, ctx.today
    findings = [finding for branch in ctx.branches[1:] for finding in reviewed.get(branch.code, [])]
    measures = "制定整改台账，明确责任人和完成时限，支委会每月听取整改进展。"
    for index, finding in enumerate(findings[:6]):
        number = 4 + 2 * index
        task = _task(ctx, [finding], "整改述职评议问题：" + finding.description[:30], committee, days=25 + index)
        if index == 0:
            services.task_accept(task=_submit(task, measures, number), by=committee, comment="整改到位，同意销号。")
        elif index == 1:
            _submit(task, measures, number)
        elif index in (2, 3):
            task = services.task_return(
                task=_submit(task, measures, number), reason="佐证材料不全，缺少会议记录。", by=committee
            )
            if index == 3:  # returned twice: 整改不力, and the committee records its measure
                task = services.task_submit(task=task, text="已补充会议记录，再次申请销号。", by=task.responsible)
                task = services.task_return(task=task, reason="整改仍不到位，问题未解决。", by=committee)
                services.measure_record(task=task, text="约谈支部书记，责令限期整改。", by=committee)
        elif index == 4:  # overdue more than 14 days: the committee takes it over (督办)
            _plan(task, measures)
            _overdue(task, today, 18)
            services.task_supervise(task=task, by=committee, text="逾期未完成，挂牌督办。")
        else:
            _overdue(task, today, 2)


def _inspection_tasks(ctx: _Context) -> None:
    """东湖镇's random inspection of its branches, the county's scheduled one of its townships, a self-check."""
    today, year, committee = ctx.today, ctx.year, ctx.committee
    inspection, drawn = _random_inspection(ctx)
    for index, organization in enumerate(drawn):
        finding = _raise(
            ctx,
            organization,
            "党费收缴台账未按月登记，个别党员党费补缴不及时。",
            "组织建设" if index else "纪律建设",
            year=year,
            source=Source.INSPECTION,
            severity=Severity.MAJOR,
            inspection=inspection,
            by=committee,
        )
        task = _plan(_task(ctx, [finding], "规范党费收缴管理", committee), "逐月登记党费台账，补缴情况张榜公示。")
        _overdue(task, today, 9 if index == 0 else 4)  # beyond the secretary's limit, and within it

    # The townships: one pending extension and one late.
    townships = list(_children(ctx.county).filter(kind=Organization.Kind.COMMITTEE)[:3])
    scheduled = _scheduled_inspection(ctx, townships)
    for index, township in enumerate(townships[1:]):
        finding = _raise(
            ctx,
            township,
            "软弱涣散村党组织整顿推进较慢，整顿方案针对性不强。",
            "组织建设",
            year=year,
            source=Source.INSPECTION,
            inspection=scheduled,
            by=ctx.county_reviewer,
        )
        task = _plan(
            _task(ctx, [finding], "推进软弱涣散村党组织整顿", ctx.county_reviewer, days=15),
            "一村一策制定整顿方案，镇领导包村推进。",
        )
        if index == 0:
            services.extension_request(
                task=task,
                deadline=task.deadline + timedelta(days=30),
                reason="整顿涉及村“两委”调整，需待补选完成。",
                by=task.responsible,
            )
        else:
            _overdue(task, today, 5)
    # Last year's inspection of 东湖镇 itself, rectified and accepted ...
    last = _raise(
        ctx,
        ctx.township,
        "班子成员“一岗双责”落实情况记实不具体、不全面。",
        "作风建设",
        year=year - 1,
        source=Source.INSPECTION,
        by=ctx.county_reviewer,
    )
    accepted = _task(ctx, [last], "规范班子成员“一岗双责”记实", ctx.county_reviewer)
    accepted = _submit(accepted, "班子成员每季度报送“一岗双责”记实，组织委员审核。", 20)
    accepted = services.task_accept(task=accepted, by=ctx.county_reviewer, comment="记实已规范，同意销号。")
    _backdate(accepted, start=date(year - 1, 6, 1), accepted=date(year - 1, 8, 20), deadline=date(year - 1, 8, 31))
    # ... and this year's self-check says it again in other words: linked, awaiting the county's word.
    own = _raise(
        ctx,
        ctx.township,
        "镇党委班子成员落实“一岗双责”记实不够具体。",
        "作风建设",
        year=year,
        source=Source.SELF_CHECK,
        by=ctx.county_reviewer,
    )
    _task(ctx, [own], "细化班子成员“一岗双责”记实", ctx.county_reviewer, days=40)


def _unlike_problem(ctx: _Context, reviewed: dict[str, list[Finding]]) -> None:
    """A branch whose review named 发展党员梯队 last year has its 党费台账 found this year: the same category,
    another problem, so no link (the category alone once made it a repeat)."""
    for branch in ctx.branches[1:]:
        if any("梯队" in finding.description for finding in reviewed.get(branch.code, [])):
            dues = "党费台账未按月登记。"
            _raise(ctx, branch, dues, "组织建设", year=ctx.year, source=Source.SELF_CHECK, by=ctx.committee)
            return


def _build(ctx: _Context) -> None:
    reviewed = _review_findings(ctx)
    _village(ctx, reviewed)
    _review_tasks(ctx, reviewed)
    _inspection_tasks(ctx)
    _unlike_problem(ctx, reviewed)


def rectification_demo_build() -> RectificationDemoSummary:
    """Findings and tasks in every state at the demo county; a second run creates nothing."""
    summary = RectificationDemoSummary()
    county = Organization.objects.filter(code=COUNTY_CODE).first()
    township = Organization.objects.filter(code=FIRST_TOWNSHIP_CODE).first()
    committee = User.objects.filter(username="demo-township").first()
    county_reviewer = User.objects.filter(username="demo-county").first()
    if county is None or township is None or committee is None or county_reviewer is None:
        return summary
    in_county = Finding.objects.filter(organization__path__startswith=county.path)
    if not in_county.exists():
        branches = list(_children(township).filter(kind=Organization.Kind.BRANCH).order_by("code"))
        if branches and branches[0].code == FIRST_VILLAGE_CODE:
            ctx = _Context(
                today=timezone.localdate(),
                county=county,
                township=township,
                branches=branches,
                committee=committee,
                county_reviewer=county_reviewer,
                categories={category.name: category for category in Category.objects.all()},
            )
            with transaction.atomic():
                _build(ctx)
            summary.created = True
    summary.findings = in_county.count()
    summary.tasks = RectificationTask.objects.filter(organization__path__startswith=county.path).count()
    summary.inspections = Inspection.objects.filter(organization__path__startswith=county.path).count()
    return summary
