"""Province-sized 督查 and 整改: inspections, findings and about three tasks per organization.

Each township-level committee has run its scheduled inspection of its branches (the failed
ones raise findings); each county has drawn a random check of ten branches, still under way.
Every organization then has two to four tasks, one finding each, with deadlines spread over
the year and statuses that follow from the deadline: long-closed work is mostly accepted,
while overdue tasks are still in progress, some of them 督办; each task carries its timeline.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from accounts.models import Organization
from rectification.models import (
    ChecklistItem,
    ExtensionRequest,
    Finding,
    Inspection,
    InspectionTarget,
    RectificationTask,
    TaskEvent,
)
from responsibility.models import Category
from seeding.scale.people import PROVINCE_LOGIN, ScaleTree, TableWriter
from seeding.scale.reviews import ReviewsScale

Source = Finding.Source
TaskStatus = RectificationTask.Status
Event = TaskEvent.Kind
RANDOM_DRAW = 10
CHECKLIST = ["“三会一课”和主题党日落实情况", "党员发展和教育管理台账", "党费收缴和使用情况"]
# (category, finding, task title, measures)
PROBLEMS: list[tuple[str, str, str, str]] = [
    (
        "组织建设",
        "“三会一课”记录不规范，个别会议缺少签到和决议。",
        "规范“三会一课”会议记录",
        "统一使用会议记录本，会前签到、会后形成决议并公示；组织委员每月检查。",
    ),
    (
        "组织建设",
        "党费收缴台账不完整，部分党员未按月交纳党费。",
        "规范党费收缴管理",
        "逐月登记党费台账，补缴情况张榜公示。",
    ),
    (
        "思想建设",
        "党员集中学习次数不足，流动党员参学率偏低。",
        "加强党员日常学习",
        "建立流动党员线上学习群，每月集中学习不少于一次。",
    ),
    (
        "作风建设",
        "民情台账更新不及时，群众反映的问题办结率偏低。",
        "提高群众诉求办结率",
        "每周梳理民情台账，明确办结时限，办结后回访。",
    ),
    (
        "纪律建设",
        "警示教育开展不经常，廉政谈话未覆盖全部班子成员。",
        "落实警示教育和廉政谈话",
        "制定年度警示教育计划，书记与班子成员逐一开展廉政谈话。",
    ),
    (
        "制度建设",
        "班子成员“一岗双责”记实不具体，责任分工不清。",
        "细化班子成员“一岗双责”",
        "修订班子成员责任清单，按季度记实并报上级党组织备案。",
    ),
]
SOURCES = [Source.INSPECTION, Source.SELF_CHECK, Source.FEEDBACK]
STANDARD = "问题整改到位，相关制度建立并执行，台账资料齐全。"
COMMITMENT = "坚决按期完成整改，不打折扣、不搞变通，确保问题不反弹。"


def rectification_scale_build(writer: TableWriter, tree: ScaleTree, reviews: ReviewsScale) -> None:
    """Writes the inspections, their targets and checklists, the findings, tasks, timelines and a few extensions."""
    rng = tree.rng("rectification")
    categories = dict(Category.objects.values_list("name", "id"))
    year, today = tree.year, tree.today
    children = tree.children()

    next_inspection = writer.next_id(Inspection)
    inspections: list[tuple[Any, ...]] = []
    checklist: list[tuple[Any, ...]] = []
    targets: list[tuple[Any, ...]] = []
    failed: dict[int, int] = {}  # branch index → the inspection that failed it
    for committee in tree.committees():
        below = [index for index in children.get(committee, []) if tree.kinds[index] == Organization.Kind.BRANCH]
        if not below:
            continue
        planned = date(year, rng.randint(3, 6), rng.randint(1, 28))
        title = f"{tree.names[committee]}{year}年上半年基层党建工作定期检查"
        by = tree.secretaries[committee]
        inspections.append(
            (
                next_inspection,
                tree.ids[committee],
                Inspection.Kind.SCHEDULED,
                title,
                planned,
                Inspection.Status.DONE,
                "",
                None,
                False,
                "",
                None,
                by,
            )
        )
        for index in below:
            draw = rng.random()
            outcome = (
                InspectionTarget.Outcome.FAIL
                if draw < 0.15
                else InspectionTarget.Outcome.PASS
                if draw < 0.7
                else InspectionTarget.Outcome.GOOD
            )
            notes = "台账不全，部分制度未落实。" if outcome == InspectionTarget.Outcome.FAIL else "基础工作规范。"
            targets.append(
                (next_inspection, tree.ids[index], outcome, notes, planned + timedelta(days=rng.randint(0, 10)))
            )
            if outcome == InspectionTarget.Outcome.FAIL:
                failed[index] = next_inspection
        checklist.extend((next_inspection, text, order) for order, text in enumerate(CHECKLIST, start=1))
        next_inspection += 1
    for county in (index for index, depth in enumerate(tree.depths) if depth == 3):
        candidates = [index for index in tree.under(county) if tree.kinds[index] == Organization.Kind.BRANCH]
        if not candidates:
            continue
        drawn = sorted(rng.sample(candidates, min(RANDOM_DRAW, len(candidates))))
        seed = f"{tree.names[county]}{year}年随机抽查"
        title = f"{tree.names[county]}{year}年基层党建工作随机抽查"
        planned = min(today, date(year, 12, 31)) - timedelta(days=rng.randint(0, 20))
        inspections.append(
            (
                next_inspection,
                tree.ids[county],
                Inspection.Kind.RANDOM,
                title,
                planned,
                Inspection.Status.IN_PROGRESS,
                seed,
                len(drawn),
                False,
                Organization.Kind.BRANCH,
                len(candidates),
                tree.secretaries[county],
            )
        )
        targets.extend(
            (next_inspection, tree.ids[index], InspectionTarget.Outcome.PENDING, "", None) for index in drawn
        )
        checklist.extend((next_inspection, text, order) for order, text in enumerate(CHECKLIST, start=1))
        next_inspection += 1
    writer.write(
        Inspection,
        [
            "id",
            "organization_id",
            "kind",
            "title",
            "year",
            "planned_on",
            "status",
            "draw_seed",
            "draw_size",
            "draw_per_sector",
            "draw_kind",
            "draw_candidates",
            "created_by_id",
        ],
        [(*row[:4], year, *row[4:]) for row in inspections],
    )
    writer.write(InspectionTarget, ["inspection_id", "organization_id", "outcome", "notes", "checked_on"], targets)
    writer.write(ChecklistItem, ["inspection_id", "text", "order"], checklist)
    del inspections, targets, checklist

    problems_of: dict[int, list[Any]] = {}
    for problem in reviews.problems:
        problems_of.setdefault(problem.org_index, []).append(problem)
    next_finding = writer.next_id(Finding)
    next_task = writer.next_id(RectificationTask)
    findings: list[tuple[Any, ...]] = []
    tasks: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    extensions: list[tuple[Any, ...]] = []
    province_user = tree.logins[PROVINCE_LOGIN]
    for index, org_id in enumerate(tree.ids):
        parent = tree.parents[index]
        committee = tree.secretaries[parent] if parent >= 0 else province_user
        responsible = tree.secretaries[index]
        from_review = list(problems_of.get(index, ()))
        inspection = failed.get(index)
        for number in range(rng.choice((2, 3, 3, 3, 4))):
            category, text, title, measures = PROBLEMS[rng.randrange(len(PROBLEMS))]
            source, problem_id, inspection_id = SOURCES[1 + number % 2], None, None
            if from_review:
                problem = from_review.pop()
                source, problem_id, text, title = Source.REVIEW, problem.id, problem.text, "整改述职评议指出的问题"
            elif inspection is not None:
                source, inspection_id, inspection = Source.INSPECTION, inspection, None
            deadline = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
            created = tree.moment(deadline - timedelta(days=rng.randint(30, 90)), 9)
            task = _task_row(
                tree,
                rng,
                next_task,
                org_id,
                title,
                measures,
                responsible,
                committee,
                deadline,
                created,
                events,
                extensions,
            )
            tasks.append(task)
            findings.append(
                (
                    next_finding,
                    org_id,
                    year,
                    source,
                    text,
                    categories[category],
                    rng.choice(list(Finding.Severity.values)),
                    inspection_id,
                    problem_id,
                    next_task,
                    committee,
                    created,
                )
            )
            next_finding += 1
            next_task += 1
        if rng.random() < 0.1:
            # A finding raised recently, not yet made into a task.
            category, text, _title, _measures = PROBLEMS[rng.randrange(len(PROBLEMS))]
            findings.append(
                (
                    next_finding,
                    org_id,
                    year,
                    Source.FEEDBACK,
                    text,
                    categories[category],
                    Finding.Severity.MINOR,
                    None,
                    None,
                    None,
                    committee,
                    tree.now,
                )
            )
            next_finding += 1
    writer.write(
        RectificationTask,
        [
            "id",
            "organization_id",
            "year",
            "title",
            "measures",
            "standard",
            "commitment",
            "responsible_id",
            "leader_id",
            "deadline",
            "status",
            "returned_count",
            "accepted_at",
            "accepted_by_id",
            "supervised",
            "created_by_id",
            "created_at",
        ],
        tasks,
    )
    writer.write(
        Finding,
        [
            "id",
            "organization_id",
            "year",
            "source",
            "description",
            "category_id",
            "severity",
            "inspection_id",
            "problem_id",
            "task_id",
            "created_by_id",
            "created_at",
        ],
        findings,
    )
    writer.write(TaskEvent, ["task_id", "kind", "text", "by_id", "at"], events)
    writer.write(ExtensionRequest, ["task_id", "requested_deadline", "reason", "status", "requested_by_id"], extensions)


def _task_row(
    tree: ScaleTree,
    rng: Any,
    task_id: int,
    org_id: int,
    title: str,
    measures: str,
    responsible: int,
    committee: int,
    deadline: date,
    created: datetime,
    events: list[tuple[Any, ...]],
    extensions: list[tuple[Any, ...]],
) -> tuple[Any, ...]:
    """One task whose status follows from its deadline, appending its timeline to EVENTS."""
    today, now = tree.today, tree.now
    draw = rng.random()
    if deadline < today:
        # Past the deadline: mostly accepted; the rest overdue, in progress or waiting for acceptance.
        status = (
            TaskStatus.ACCEPTED
            if draw < 0.6
            else TaskStatus.AWAITING_ACCEPTANCE
            if draw < 0.75
            else TaskStatus.IN_PROGRESS
        )
    else:
        status = (
            TaskStatus.AWAITING_PLAN
            if draw < 0.2
            else TaskStatus.IN_PROGRESS
            if draw < 0.7
            else TaskStatus.AWAITING_ACCEPTANCE
            if draw < 0.85
            else TaskStatus.ACCEPTED
        )

    def at(days: int) -> datetime:
        return min(created + timedelta(days=days), now)

    events.append((task_id, Event.CREATED, "", committee, created))
    planned = status != TaskStatus.AWAITING_PLAN
    if planned:
        events.append((task_id, Event.PLANNED, measures, responsible, at(5)))
        if rng.random() < 0.5:
            events.append((task_id, Event.PROGRESS, "已召开支委会研究整改措施，正在逐项落实。", responsible, at(15)))
    returned = 0
    if status in (TaskStatus.AWAITING_ACCEPTANCE, TaskStatus.ACCEPTED):
        if rng.random() < 0.1:
            returned = 1
            events.append((task_id, Event.SUBMITTED, "整改已完成，申请销号。", responsible, at(20)))
            events.append((task_id, Event.RETURNED, "佐证材料不全，缺少会议记录。", committee, at(22)))
        events.append((task_id, Event.SUBMITTED, "整改已完成，佐证材料已上传，申请销号。", responsible, at(25)))
    accepted_at = at(28) if status == TaskStatus.ACCEPTED else None
    if accepted_at is not None:
        events.append((task_id, Event.ACCEPTED, "整改到位，同意销号。", committee, accepted_at))
    supervised = status != TaskStatus.ACCEPTED and (today - deadline).days > 14 and rng.random() < 0.5
    if supervised:
        events.append((task_id, Event.SUPERVISED, "逾期未完成整改，挂牌督办。", committee, now))
    elif status == TaskStatus.IN_PROGRESS and deadline >= today and rng.random() < 0.03:
        extensions.append(
            (
                task_id,
                deadline + timedelta(days=30),
                "涉及多部门协调，申请延期一个月。",
                ExtensionRequest.Status.PENDING,
                responsible,
            )
        )
        events.append((task_id, Event.EXTENSION_REQUESTED, "涉及多部门协调，申请延期一个月。", responsible, now))
    return (
        task_id,
        org_id,
        tree.year,
        title,
        measures if planned else "",
        STANDARD if planned else "",
        COMMITMENT if planned else "",
        responsible,
        committee,
        deadline,
        status,
        returned,
        accepted_at,
        committee if accepted_at else None,
        supervised,
        committee,
        created,
    )
