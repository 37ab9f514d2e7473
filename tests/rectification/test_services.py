"""Every write of 督查 and 整改 (rectification.services): the rules hold and a refusal changes nothing.

Why one long file: the services' cases share the task, finding and evidence builders defined at the top;
the sections below follow the task's life from finding to acceptance.
"""

from __future__ import annotations

import struct
import zlib
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Organization, Position
from accounts.services import position_end
from foundation.errors import DomainError
from rectification import services
from rectification.models import (
    Disclosure,
    ExtensionRequest,
    Finding,
    Inspection,
    InspectionTarget,
    RectificationTask,
    TaskEvent,
    TaskEvidence,
)
from responsibility.models import Category
from reviews import services as review_services
from reviews.models import DutyReport
from tests.conftest import Tree

Status = RectificationTask.Status
Kind = TaskEvent.Kind
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def png_file(name: str = "整改照片.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def pdf_file(name: str = "整改台账.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def today() -> date:
    return timezone.localdate()


def in_progress(task: RectificationTask, by: Any) -> RectificationTask:
    return services.task_plan(
        task=task, measures="逐月检查会议记录。", standard="记录齐全、签到完整。", commitment="按期完成。", by=by
    )


def awaiting_acceptance(task: RectificationTask, by: Any) -> RectificationTask:
    task = in_progress(task, by)
    services.task_progress(task=task, text="已补齐签到表。", by=by, files=[png_file()])
    return services.task_submit(task=task, text="已整改到位。", by=by)


def snapshot(task: RectificationTask) -> tuple[Any, ...]:
    task.refresh_from_db()
    return (task.status, task.measures, task.returned_count, task.accepted_at, task.deadline, task.events.count())


# 督查 -----------------------------------------------------------------------------------


def test_a_random_inspection_records_its_draw_and_redraw_gives_the_same_organizations(
    tree: Tree, people: SimpleNamespace
) -> None:
    inspection = services.inspection_plan(
        organization=tree.township,
        kind=Inspection.Kind.RANDOM,
        title="随机抽查“三会一课”",
        planned_on=today(),
        by=people.committee_secretary,
        draw_size=2,
        seed="2026-春季",
        checklist=["会议记录", " ", "党费收缴"],
    )
    assert inspection.draw_seed == "2026-春季"
    assert inspection.draw_size == 2
    assert inspection.draw_candidates == 4  # 机关党总支, 一村, 二村, 三村
    drawn = set(inspection.targets.values_list("organization_id", flat=True))
    assert len(drawn) == 2
    assert set(services.redraw(inspection)) == drawn
    assert all(
        org_id in {tree.general.pk, tree.branch.pk, tree.branch_sibling.pk, tree.direct_branch.pk} for org_id in drawn
    )
    assert list(inspection.checklist.values_list("text", flat=True)) == ["会议记录", "党费收缴"]


def test_a_random_inspection_without_a_seed_gets_one_and_can_be_restricted_to_branches(
    tree: Tree, people: SimpleNamespace
) -> None:
    inspection = services.inspection_plan(
        organization=tree.township,
        kind=Inspection.Kind.RANDOM,
        title="随机抽查支部",
        planned_on=today(),
        by=people.committee_secretary,
        draw_size=10,
        draw_kind=Organization.Kind.BRANCH,
    )
    assert inspection.draw_seed
    assert inspection.draw_candidates == 3
    assert set(inspection.targets.values_list("organization_id", flat=True)) == {
        tree.branch.pk,
        tree.branch_sibling.pk,
        tree.direct_branch.pk,
    }


@pytest.mark.parametrize("size", [None, 0, -1])
def test_a_random_inspection_needs_a_positive_size(tree: Tree, people: SimpleNamespace, size: int | None) -> None:
    with pytest.raises(DomainError, match="抽取数量"):
        services.inspection_plan(
            organization=tree.township,
            kind=Inspection.Kind.RANDOM,
            title="随机抽查",
            planned_on=today(),
            by=people.committee_secretary,
            draw_size=size,
        )
    assert not Inspection.objects.exists()


def test_a_scheduled_inspection_refuses_targets_outside_the_subtree(tree: Tree, people: SimpleNamespace) -> None:
    for outside in (tree.sibling_branch, tree.township, tree.county):
        with pytest.raises(DomainError, match="不是本组织的下级组织"):
            services.inspection_plan(
                organization=tree.township,
                kind=Inspection.Kind.SCHEDULED,
                title="定期检查",
                planned_on=today(),
                by=people.committee_secretary,
                targets=[tree.branch, outside],
            )
    assert not Inspection.objects.exists()
    assert not InspectionTarget.objects.exists()


def test_a_scheduled_inspection_needs_a_target_and_a_committee(tree: Tree, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="至少选择一个"):
        services.inspection_plan(
            organization=tree.township,
            kind=Inspection.Kind.SCHEDULED,
            title="定期检查",
            planned_on=today(),
            by=people.committee_secretary,
        )
    with pytest.raises(DomainError, match="只有党委"):
        services.inspection_plan(
            organization=tree.branch,
            kind=Inspection.Kind.SCHEDULED,
            title="定期检查",
            planned_on=today(),
            by=people.branch_secretary,
            targets=[tree.branch],
        )
    with pytest.raises(DomainError, match="督查方式"):
        services.inspection_plan(
            organization=tree.township, kind="surprise", title="检查", planned_on=today(), by=people.admin
        )
    assert not Inspection.objects.exists()


@pytest.fixture
def inspection(tree: Tree, people: SimpleNamespace) -> Inspection:
    return services.inspection_plan(
        organization=tree.township,
        kind=Inspection.Kind.SCHEDULED,
        title="上半年定期检查",
        planned_on=today(),
        by=people.committee_secretary,
        targets=[tree.branch, tree.direct_branch],
    )


def test_recording_a_result_starts_the_inspection_and_completing_needs_every_result(
    inspection: Inspection, people: SimpleNamespace, tree: Tree
) -> None:
    first, second = inspection.targets.order_by("organization__path")
    services.inspection_record(
        target=first, outcome=InspectionTarget.Outcome.FAIL, notes="记录缺失", checked_on=today(), by=people.admin
    )
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.IN_PROGRESS
    with pytest.raises(DomainError, match="1 个组织未记录"):
        services.inspection_complete(inspection=inspection, by=people.committee_secretary)
    services.inspection_record(
        target=second, outcome=InspectionTarget.Outcome.GOOD, notes="", checked_on=today(), by=people.admin
    )
    done = services.inspection_complete(inspection=inspection, by=people.committee_secretary)
    assert done.status == Inspection.Status.DONE
    with pytest.raises(DomainError, match="督查已完成"):
        services.inspection_complete(inspection=inspection, by=people.committee_secretary)
    second.refresh_from_db()
    with pytest.raises(DomainError, match="不能再修改"):
        services.inspection_record(
            target=second, outcome=InspectionTarget.Outcome.FAIL, notes="", checked_on=today(), by=people.admin
        )
    second.refresh_from_db()
    assert second.outcome == InspectionTarget.Outcome.GOOD


def test_a_result_needs_an_outcome_and_a_date_not_in_the_future(
    inspection: Inspection, people: SimpleNamespace
) -> None:
    target = inspection.targets.first()
    assert target is not None
    with pytest.raises(DomainError, match="检查结果"):
        services.inspection_record(
            target=target, outcome=InspectionTarget.Outcome.PENDING, notes="", checked_on=today(), by=people.admin
        )
    with pytest.raises(DomainError, match="不能晚于今天"):
        services.inspection_record(
            target=target,
            outcome=InspectionTarget.Outcome.PASS,
            notes="",
            checked_on=today() + timedelta(days=1),
            by=people.admin,
        )
    target.refresh_from_db()
    assert target.outcome == InspectionTarget.Outcome.PENDING


# 问题清单 --------------------------------------------------------------------------------


def raise_finding(organization: Organization, year: int, category: Category, by: Any, **extra: Any) -> Finding:
    return services.finding_raise(
        organization=organization,
        year=year,
        source=extra.pop("source", Finding.Source.SELF_CHECK),
        description=extra.pop("description", "党员教育管理不到位。"),
        category=category,
        by=by,
        **extra,
    )


# Links to earlier years' findings (年年是问题): tests/rectification/test_recurrence.py.


def test_a_finding_needs_a_description_a_source_and_a_severity(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    year = today().year
    with pytest.raises(DomainError, match="问题描述"):
        raise_finding(tree.branch, year, category, people.committee_secretary, description="   ")
    with pytest.raises(DomainError, match="问题来源"):
        raise_finding(tree.branch, year, category, people.committee_secretary, source="rumour")
    with pytest.raises(DomainError, match="严重程度"):
        raise_finding(tree.branch, year, category, people.committee_secretary, severity="huge")
    assert not Finding.objects.exists()


def test_a_finding_from_an_inspection_must_be_about_an_inspected_organization(
    inspection: Inspection, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    finding = raise_finding(
        tree.branch,
        today().year,
        category,
        people.committee_secretary,
        source=Finding.Source.INSPECTION,
        inspection=inspection,
    )
    assert finding.inspection == inspection
    with pytest.raises(DomainError, match="不在本次督查范围内"):
        raise_finding(
            tree.branch_sibling,
            today().year,
            category,
            people.committee_secretary,
            source=Finding.Source.INSPECTION,
            inspection=inspection,
        )
    assert Finding.objects.count() == 1


def test_a_review_problem_becomes_a_finding_once(tree: Tree, people: SimpleNamespace, category: Category) -> None:
    cycle = review_services.cycle_create(
        organization=tree.township,
        year=today().year,
        title="述职评议",
        report_due=today() + timedelta(days=10),
        scoring_due=today() + timedelta(days=20),
        ballot_opens=today(),
        ballot_closes=today() + timedelta(days=10),
        scope="branches",
        by=people.committee_secretary,
    )
    report = DutyReport.objects.get(cycle=cycle, organization=tree.branch)
    problem = review_services.problem_add(report=report, text="发展党员梯队不足。", by=people.committee_secretary)
    finding = services.finding_from_problem(problem=problem, category=category, by=people.committee_secretary)
    assert finding.source == Finding.Source.REVIEW
    assert finding.organization == tree.branch
    assert finding.year == cycle.year
    assert finding.description == "发展党员梯队不足。"
    assert finding.problem == problem
    with pytest.raises(DomainError, match="已列入问题清单"):
        services.finding_from_problem(problem=problem, category=category, by=people.committee_secretary)
    assert Finding.objects.count() == 1


# 整改任务 --------------------------------------------------------------------------------


def test_a_task_takes_its_findings_and_starts_awaiting_a_plan(
    task: RectificationTask, finding: Finding, people: SimpleNamespace
) -> None:
    finding.refresh_from_db()
    assert finding.task == task
    assert task.status == Status.AWAITING_PLAN
    assert task.year == finding.year
    assert list(task.events.values_list("kind", flat=True)) == [Kind.CREATED]


def test_a_task_covers_the_findings_of_one_organization_only(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    first = raise_finding(tree.branch, today().year, category, people.committee_secretary)
    second = raise_finding(tree.direct_branch, today().year, category, people.committee_secretary)
    with pytest.raises(DomainError, match="同一个组织"):
        services.task_create(
            findings=[first, second],
            title="整改",
            responsible=people.branch_secretary,
            deadline=today() + timedelta(days=10),
            by=people.committee_secretary,
        )
    assert not RectificationTask.objects.exists()


def test_a_finding_already_in_a_task_cannot_be_given_another(
    task: RectificationTask, finding: Finding, people: SimpleNamespace
) -> None:
    with pytest.raises(DomainError, match="已下达整改任务"):
        services.task_create(
            findings=[finding],
            title="再次整改",
            responsible=people.branch_secretary,
            deadline=today() + timedelta(days=10),
            by=people.committee_secretary,
        )
    assert RectificationTask.objects.count() == 1


def test_a_task_needs_findings(people: SimpleNamespace, db: None) -> None:
    with pytest.raises(DomainError, match="至少选择一个问题"):
        services.task_create(
            findings=[],
            title="整改",
            responsible=people.branch_secretary,
            deadline=today() + timedelta(days=10),
            by=people.committee_secretary,
        )


def test_a_task_deadline_in_the_past_is_refused_and_today_is_allowed(finding: Finding, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="不能早于今天"):
        services.task_create(
            findings=[finding],
            title="整改",
            responsible=people.branch_secretary,
            deadline=today() - timedelta(days=1),
            by=people.committee_secretary,
        )
    assert not RectificationTask.objects.exists()
    finding.refresh_from_db()
    assert finding.task is None
    task = services.task_create(
        findings=[finding],
        title="整改",
        responsible=people.branch_secretary,
        deadline=today(),
        by=people.committee_secretary,
    )
    assert task.deadline == today()


def test_the_responsible_person_must_hold_a_current_position_in_the_organization(
    finding: Finding, people: SimpleNamespace, tree: Tree
) -> None:
    for stranger in (people.committee_secretary, people.outsider):
        with pytest.raises(DomainError, match="现任人员"):
            services.task_create(
                findings=[finding],
                title="整改",
                responsible=stranger,
                deadline=today() + timedelta(days=10),
                by=people.committee_secretary,
            )
    position = Position.objects.get(person=people.branch_deputy, organization=tree.branch)
    position_end(position=position)
    with pytest.raises(DomainError, match="现任人员"):
        services.task_create(
            findings=[finding],
            title="整改",
            responsible=people.branch_deputy,
            deadline=today() + timedelta(days=10),
            by=people.committee_secretary,
        )
    assert not RectificationTask.objects.exists()


def test_a_task_needs_a_title(finding: Finding, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="整改事项"):
        services.task_create(
            findings=[finding],
            title=" ",
            responsible=people.branch_secretary,
            deadline=today() + timedelta(days=10),
            by=people.committee_secretary,
        )
    finding.refresh_from_db()
    assert finding.task is None


# The state machine ------------------------------------------------------------------------


def test_the_whole_way_from_plan_to_acceptance_is_in_the_timeline(
    task: RectificationTask, people: SimpleNamespace
) -> None:
    task = awaiting_acceptance(task, people.branch_secretary)
    assert task.status == Status.AWAITING_ACCEPTANCE
    task = services.task_accept(task=task, by=people.committee_secretary, comment="整改到位。")
    assert task.status == Status.ACCEPTED
    assert task.accepted_at is not None
    assert task.accepted_by == people.committee_secretary
    assert not task.is_open
    assert list(task.events.values_list("kind", flat=True)) == [
        Kind.CREATED,
        Kind.PLANNED,
        Kind.PROGRESS,
        Kind.SUBMITTED,
        Kind.ACCEPTED,
    ]


def test_planning_needs_measures_standard_and_commitment(task: RectificationTask, people: SimpleNamespace) -> None:
    for field, kwargs in [
        ("整改措施", {"measures": "", "standard": "标准", "commitment": "承诺"}),
        ("整改标准", {"measures": "措施", "standard": " ", "commitment": "承诺"}),
        ("整改承诺", {"measures": "措施", "standard": "标准", "commitment": ""}),
    ]:
        with pytest.raises(DomainError, match=field):
            services.task_plan(task=task, by=people.branch_secretary, **kwargs)
    assert snapshot(task) == (Status.AWAITING_PLAN, "", 0, None, task.deadline, 1)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("awaiting_plan", "submit"),
        ("awaiting_plan", "accept"),
        ("awaiting_plan", "return"),
        ("in_progress", "plan"),
        ("in_progress", "accept"),
        ("in_progress", "return"),
        ("awaiting_acceptance", "plan"),
        ("accepted", "plan"),
        ("accepted", "submit"),
        ("accepted", "return"),
        ("accepted", "accept"),
    ],
)
def test_an_illegal_transition_is_refused_with_the_state_and_changes_nothing(
    task: RectificationTask, people: SimpleNamespace, state: str, action: str
) -> None:
    secretary, committee = people.branch_secretary, people.committee_secretary
    if state != "awaiting_plan":
        task = in_progress(task, secretary)
        services.task_progress(task=task, text="已补齐签到表。", by=secretary, files=[png_file()])
    if state in ("awaiting_acceptance", "accepted"):
        task = services.task_submit(task=task, text="完成。", by=secretary)
    if state == "accepted":
        task = services.task_accept(task=task, by=committee)
    before = snapshot(task)
    calls = {
        "plan": lambda: services.task_plan(
            task=task, measures="再定", standard="再定", commitment="再定", by=secretary
        ),
        "submit": lambda: services.task_submit(task=task, text="完成。", by=secretary),
        "return": lambda: services.task_return(task=task, reason="不合格", by=committee),
        "accept": lambda: services.task_accept(task=task, by=committee),
    }
    with pytest.raises(DomainError, match=f"当前状态为“{RectificationTask.Status(state).label}”"):
        calls[action]()
    assert snapshot(task) == before


def test_submitting_twice_says_it_is_already_waiting_for_acceptance(
    task: RectificationTask, people: SimpleNamespace
) -> None:
    task = awaiting_acceptance(task, people.branch_secretary)
    before = snapshot(task)
    with pytest.raises(DomainError, match="无需重复提交"):
        services.task_submit(task=task, text="再次申请", by=people.branch_secretary)
    assert snapshot(task) == before


def test_submitting_without_evidence_is_refused(task: RectificationTask, people: SimpleNamespace) -> None:
    task = in_progress(task, people.branch_secretary)
    services.task_progress(task=task, text="正在整改，暂无材料。", by=people.branch_secretary)
    before = snapshot(task)
    with pytest.raises(DomainError, match="佐证材料"):
        services.task_submit(task=task, text="完成。", by=people.branch_secretary)
    assert snapshot(task) == before


def test_submitting_needs_a_note(task: RectificationTask, people: SimpleNamespace) -> None:
    task = in_progress(task, people.branch_secretary)
    services.task_progress(task=task, text="已补齐。", by=people.branch_secretary, files=[pdf_file()])
    with pytest.raises(DomainError, match="整改完成情况"):
        services.task_submit(task=task, text="  ", by=people.branch_secretary)
    assert snapshot(task)[0] == Status.IN_PROGRESS


def test_progress_stores_png_and_pdf_evidence(
    task: RectificationTask, people: SimpleNamespace, media_root: Path
) -> None:
    task = in_progress(task, people.branch_secretary)
    event = services.task_progress(
        task=task, text="补齐签到表并拍照留存。", by=people.branch_secretary, files=[png_file(), pdf_file()]
    )
    evidence = list(event.evidence.order_by("id"))
    assert [item.content_type for item in evidence] == ["image/png", "application/pdf"]
    assert [item.original_name for item in evidence] == ["整改照片.png", "整改台账.pdf"]
    assert evidence[0].is_image
    assert len(files_under(media_root)) == 2
    assert all(str(task.organization_id) in item.file.name for item in evidence)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("病毒.png", EXE_BYTES), "不是允许的类型"),
        (lambda: SimpleUploadedFile("照片.pdf", png_bytes()), "扩展名与其内容不符"),
        (lambda: SimpleUploadedFile("空.png", b""), "空文件"),
    ],
)
def test_progress_with_a_bad_file_is_refused_leaving_no_event_and_no_file(
    task: RectificationTask, people: SimpleNamespace, media_root: Path, upload: Any, message: str
) -> None:
    task = in_progress(task, people.branch_secretary)
    before = snapshot(task)
    with pytest.raises(DomainError, match=message):
        services.task_progress(task=task, text="进展", by=people.branch_secretary, files=[png_file(), upload()])
    assert snapshot(task) == before
    assert not TaskEvidence.objects.exists()
    assert files_under(media_root) == []


def test_progress_with_too_big_or_too_many_files_is_refused(
    task: RectificationTask, people: SimpleNamespace, media_root: Path, settings: Any
) -> None:
    task = in_progress(task, people.branch_secretary)
    before = snapshot(task)
    with pytest.raises(DomainError, match="最多上传"):
        services.task_progress(
            task=task,
            text="进展",
            by=people.branch_secretary,
            files=[png_file(f"{n}.png") for n in range(services.MAX_TASK_FILES + 1)],
        )
    settings.EVIDENCE_MAX_BYTES = 10
    with pytest.raises(DomainError, match="大小限制"):
        services.task_progress(task=task, text="进展", by=people.branch_secretary, files=[png_file()])
    assert snapshot(task) == before
    assert files_under(media_root) == []


def test_progress_only_while_in_progress_and_with_text(task: RectificationTask, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="只有整改中"):
        services.task_progress(task=task, text="进展", by=people.branch_secretary)
    task = in_progress(task, people.branch_secretary)
    with pytest.raises(DomainError, match="进展情况"):
        services.task_progress(task=task, text="", by=people.branch_secretary, files=[png_file()])
    assert not task.events.filter(kind=Kind.PROGRESS).exists()


def test_returning_counts_and_sends_the_task_back_to_work(task: RectificationTask, people: SimpleNamespace) -> None:
    task = awaiting_acceptance(task, people.branch_secretary)
    task = services.task_return(task=task, reason="签到表仍不完整。", by=people.committee_secretary)
    assert task.status == Status.IN_PROGRESS
    assert task.returned_count == 1
    assert task.events.filter(kind=Kind.RETURNED, text="签到表仍不完整。").exists()
    # The evidence already on record stays: the secretary may resubmit after more work.
    services.task_progress(task=task, text="再次补齐。", by=people.branch_secretary)
    task = services.task_submit(task=task, text="已补齐。", by=people.branch_secretary)
    task = services.task_return(task=task, reason="仍有缺漏。", by=people.committee_secretary)
    assert task.returned_count == 2


def test_returning_needs_a_reason(task: RectificationTask, people: SimpleNamespace) -> None:
    task = awaiting_acceptance(task, people.branch_secretary)
    before = snapshot(task)
    with pytest.raises(DomainError, match="退回理由"):
        services.task_return(task=task, reason=" ", by=people.committee_secretary)
    assert snapshot(task) == before


# Extensions ---------------------------------------------------------------------------------


def test_an_approved_extension_moves_the_deadline(task: RectificationTask, people: SimpleNamespace) -> None:
    later = task.deadline + timedelta(days=15)
    extension = services.extension_request(task=task, deadline=later, reason="涉及换届。", by=people.branch_secretary)
    assert extension.status == ExtensionRequest.Status.PENDING
    decided = services.extension_decide(extension=extension, approve=True, by=people.committee_secretary)
    assert decided.status == ExtensionRequest.Status.APPROVED
    assert decided.decided_by == people.committee_secretary
    assert decided.decided_at is not None
    task.refresh_from_db()
    assert task.deadline == later
    kinds = list(task.events.values_list("kind", flat=True))
    assert kinds[-2:] == [Kind.EXTENSION_REQUESTED, Kind.EXTENSION_APPROVED]


def test_a_rejected_extension_keeps_the_deadline_and_cannot_be_decided_again(
    task: RectificationTask, people: SimpleNamespace
) -> None:
    deadline = task.deadline
    extension = services.extension_request(
        task=task, deadline=deadline + timedelta(days=5), reason="人手不足。", by=people.branch_secretary
    )
    decided = services.extension_decide(extension=extension, approve=False, by=people.committee_secretary)
    assert decided.status == ExtensionRequest.Status.REJECTED
    task.refresh_from_db()
    assert task.deadline == deadline
    assert task.events.filter(kind=Kind.EXTENSION_REJECTED).exists()
    with pytest.raises(DomainError, match="已审批"):
        services.extension_decide(extension=extension, approve=True, by=people.committee_secretary)
    task.refresh_from_db()
    assert task.deadline == deadline


def test_an_extension_must_be_later_than_the_deadline_and_not_in_the_past(
    task: RectificationTask, people: SimpleNamespace
) -> None:
    for deadline in (task.deadline, task.deadline - timedelta(days=1)):
        with pytest.raises(DomainError, match="须晚于当前时限"):
            services.extension_request(task=task, deadline=deadline, reason="理由", by=people.branch_secretary)
    # An overdue task: a new deadline after the old one but still in the past is refused too.
    RectificationTask.objects.filter(pk=task.pk).update(deadline=today() - timedelta(days=10))
    task.refresh_from_db()
    with pytest.raises(DomainError, match="不能早于今天"):
        services.extension_request(
            task=task, deadline=today() - timedelta(days=2), reason="理由", by=people.branch_secretary
        )
    with pytest.raises(DomainError, match="延期理由"):
        services.extension_request(
            task=task, deadline=today() + timedelta(days=2), reason="", by=people.branch_secretary
        )
    assert not ExtensionRequest.objects.exists()
    assert not task.events.filter(kind=Kind.EXTENSION_REQUESTED).exists()


def test_an_extension_still_pending_when_the_task_is_accepted_can_only_be_rejected(
    task: RectificationTask, people: SimpleNamespace
) -> None:
    extension = services.extension_request(
        task=task, deadline=task.deadline + timedelta(days=20), reason="理由", by=people.branch_secretary
    )
    task = services.task_accept(task=awaiting_acceptance(task, people.branch_secretary), by=people.committee_secretary)
    before = snapshot(task)
    with pytest.raises(DomainError, match="任务已销号"):
        services.extension_decide(extension=extension, approve=True, by=people.committee_secretary)
    assert snapshot(task) == before
    decided = services.extension_decide(extension=extension, approve=False, by=people.committee_secretary)
    assert decided.status == ExtensionRequest.Status.REJECTED


def test_only_one_extension_may_wait_at_a_time(task: RectificationTask, people: SimpleNamespace) -> None:
    services.extension_request(
        task=task, deadline=task.deadline + timedelta(days=5), reason="理由一", by=people.branch_secretary
    )
    with pytest.raises(DomainError, match="已有待审批"):
        services.extension_request(
            task=task, deadline=task.deadline + timedelta(days=9), reason="理由二", by=people.branch_secretary
        )
    assert ExtensionRequest.objects.count() == 1


def test_a_closed_task_cannot_be_extended_or_supervised(task: RectificationTask, people: SimpleNamespace) -> None:
    task = awaiting_acceptance(task, people.branch_secretary)
    task = services.task_accept(task=task, by=people.committee_secretary)
    with pytest.raises(DomainError, match="已销号"):
        services.extension_request(
            task=task, deadline=task.deadline + timedelta(days=5), reason="理由", by=people.branch_secretary
        )
    with pytest.raises(DomainError, match="已销号"):
        services.task_supervise(task=task, by=people.committee_secretary)


# 督办, measures, disclosure ------------------------------------------------------------------


def test_a_task_is_supervised_once(task: RectificationTask, people: SimpleNamespace) -> None:
    task = services.task_supervise(task=task, by=people.committee_secretary, text="挂牌督办，限期整改。")
    assert task.supervised
    with pytest.raises(DomainError, match="已挂牌督办"):
        services.task_supervise(task=task, by=people.committee_secretary)
    assert task.events.filter(kind=Kind.SUPERVISED).count() == 1


def test_a_measure_needs_its_text(task: RectificationTask, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="问责措施"):
        services.measure_record(task=task, text=" ", by=people.committee_secretary)
    event = services.measure_record(task=task, text="约谈支部书记。", by=people.committee_secretary)
    assert event.kind == Kind.MEASURE
    assert task.events.filter(kind=Kind.MEASURE).count() == 1


def test_a_disclosure_is_published_once_per_year_and_withdrawn(tree: Tree, people: SimpleNamespace) -> None:
    year = today().year
    services.disclosure_publish(organization=tree.branch, year=year, hide_names=True, by=people.committee_secretary)
    again = services.disclosure_publish(
        organization=tree.branch, year=year, hide_names=False, by=people.committee_deputy
    )
    assert Disclosure.objects.count() == 1
    assert not again.hide_names
    assert again.published_by == people.committee_deputy
    services.disclosure_withdraw(organization=tree.branch, year=year, by=people.committee_secretary)
    assert not Disclosure.objects.exists()
    services.disclosure_withdraw(organization=tree.branch, year=year, by=people.committee_secretary)  # harmless
