"""Every write in responsibility.services: the rules it keeps, its refusals, and that a refusal saves nothing.

Why one long file: the services' cases share the list, item and record builders defined at the top; the
sections below follow a list's year from plan to closing.
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

from accounts.models import Position
from accounts.services import position_end
from foundation.errors import DomainError
from responsibility import services
from responsibility.models import (
    Category,
    ContactPoint,
    ContactVisit,
    DutyRecord,
    DutyType,
    Evidence,
    Light,
    ListItem,
    ListTemplate,
    ListVersion,
    Period,
    PublicCommitment,
    ResponsibilityList,
    WorkPlan,
    WorkPoint,
)
from tests.conftest import Tree

Status = ResponsibilityList.Status
RecordStatus = DutyRecord.Status


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A real 1×1 PNG and a minimal PDF: small, but what `filetype` and a viewer recognize.
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + _chunk(b"IDAT", zlib.compress(b"\x00\xcc\x00\x00"))
    + _chunk(b"IEND", b"")
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png(name: str = "照片.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf(name: str = "会议记录.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """A private MEDIA_ROOT so the test can tell whether any file was written."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def files_in(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def item_of(responsibility_list: ResponsibilityList, duty_type: str) -> ListItem:
    return responsibility_list.items.get(duty_type=duty_type)


@pytest.fixture
def draft_list(tree: Tree, people: SimpleNamespace, year: int) -> ResponsibilityList:
    """This year's draft list of 三村党支部, with no items."""
    return services.list_start(organization=tree.direct_branch, year=year, by=people.committee_secretary)


def add_item(responsibility_list: ResponsibilityList, by: Any, category: Category, **overrides: Any) -> ListItem:
    fields: dict[str, Any] = {
        "category": category,
        "duty_type": DutyType.ORGANIZATION,
        "content": "每月召开支委会",
        "target_period": Period.MONTH,
        "target_count": 1,
    }
    fields.update(overrides)
    return services.list_item_add(responsibility_list=responsibility_list, by=by, **fields)


@pytest.fixture
def plan(tree: Tree, people: SimpleNamespace, category: Category, year: int) -> WorkPlan:
    """The county's published work points for this year."""
    plan = services.work_plan_create(organization=tree.county, year=year, title="县委年度工作要点", by=people.admin)
    services.work_point_add(plan=plan, category=category, text="推进基层组织标准化建设", by=people.admin)
    return services.work_plan_publish(plan=plan, by=people.admin)


# 年度工作要点 ---------------------------------------------------------------


def test_only_committees_make_work_plans(tree: Tree, people: SimpleNamespace, year: int) -> None:
    with pytest.raises(DomainError, match="只有党委、党工委、党总支"):
        services.work_plan_create(organization=tree.branch, year=year, title="要点", by=people.branch_secretary)
    for committee in (tree.township, tree.general):
        plan = services.work_plan_create(organization=committee, year=year, title=" 要点 ", by=people.admin)
        assert plan.title == "要点"
        assert not plan.is_published
    assert not WorkPlan.objects.filter(organization=tree.branch).exists()


def test_a_committee_has_one_work_plan_a_year(plan: WorkPlan, tree: Tree, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="年度工作要点已存在"):
        services.work_plan_create(organization=tree.county, year=plan.year, title="又一份", by=people.admin)
    next_year = services.work_plan_create(organization=tree.county, year=plan.year + 1, title="明年", by=people.admin)
    assert next_year.pk != plan.pk


def test_work_plan_refuses_an_absurd_year_and_an_empty_title(tree: Tree, people: SimpleNamespace) -> None:
    with pytest.raises(DomainError, match="年度 1990 无效"):
        services.work_plan_create(organization=tree.county, year=1990, title="要点", by=people.admin)
    with pytest.raises(DomainError, match="请填写标题"):
        services.work_plan_create(organization=tree.county, year=2030, title="   ", by=people.admin)
    assert not WorkPlan.objects.exists()


def test_publishing_needs_at_least_one_point(tree: Tree, people: SimpleNamespace, category: Category) -> None:
    plan = services.work_plan_create(organization=tree.township, year=2030, title="要点", by=people.admin)
    with pytest.raises(DomainError, match="请先添加至少一条工作要点"):
        services.work_plan_publish(plan=plan, by=people.admin)
    plan.refresh_from_db()
    assert plan.published_at is None

    first = services.work_point_add(plan=plan, category=category, text="抓党建促振兴", by=people.admin)
    second = services.work_point_add(plan=plan, category=category, text="整顿软弱涣散", by=people.admin)
    assert second.order == first.order + 1
    services.work_plan_publish(plan=plan, by=people.admin)
    plan.refresh_from_db()
    assert plan.is_published
    with pytest.raises(DomainError, match="已发布"):
        services.work_plan_publish(plan=plan, by=people.admin)


def test_points_may_be_added_after_publication(plan: WorkPlan, people: SimpleNamespace, category: Category) -> None:
    services.work_point_add(plan=plan, category=category, text="加强党员教育管理", by=people.admin)
    assert plan.points.count() == 2
    with pytest.raises(DomainError, match="请填写内容"):
        services.work_point_add(plan=plan, category=category, text="", by=people.admin)
    assert plan.points.count() == 2


def test_a_point_can_be_removed_until_a_list_implements_it(
    plan: WorkPlan, draft_list: ResponsibilityList, people: SimpleNamespace, category: Category
) -> None:
    unused = services.work_point_add(plan=plan, category=category, text="临时要点", by=people.admin)
    services.work_point_remove(point=unused, by=people.admin)
    assert not WorkPoint.objects.filter(pk=unused.pk).exists()

    used = plan.points.get()
    add_item(draft_list, people.admin, category, work_point=used)
    with pytest.raises(DomainError, match="已有下级清单落实该要点"):
        services.work_point_remove(point=used, by=people.admin)
    assert WorkPoint.objects.filter(pk=used.pk).exists()


# 清单模板 --------------------------------------------------------------------


def test_templates_are_made_by_committees_for_a_known_sector(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    with pytest.raises(DomainError, match="只有党委、党工委、党总支可以发布清单模板"):
        services.template_create(organization=tree.branch, name="模板", sector="rural", by=people.admin)
    with pytest.raises(DomainError, match="请选择有效的领域"):
        services.template_create(organization=tree.county, name="模板", sector="mars", by=people.admin)
    template = services.template_create(
        organization=tree.county, name="农村党支部模板", sector="rural", by=people.admin
    )
    with pytest.raises(DomainError, match="请先添加至少一个模板条目"):
        services.template_publish(template=template, by=people.admin)
    services.template_item_add(
        template=template,
        category=category,
        duty_type=DutyType.FIRST,
        content="每季度讲一次党课",
        target_period=Period.QUARTER,
        target_count="1",
        by=people.admin,
    )
    services.template_publish(template=template, by=people.admin)
    template.refresh_from_db()
    assert template.is_published
    assert ListTemplate.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target_period": Period.ONCE}, "模板条目请用周期性目标"),
        ({"target_count": 0}, "目标次数必须是正整数"),
        ({"target_count": "-2"}, "目标次数必须是正整数"),
        ({"target_count": "两次"}, "目标次数必须是正整数"),
        ({"target_count": 367}, "目标次数不能超过 366"),
        ({"duty_type": "boss"}, "请选择有效的责任类型"),
        ({"target_period": "weekly"}, "请选择有效的周期"),
        ({"content": " "}, "请填写内容"),
    ],
)
def test_template_items_refuse_bad_targets(
    tree: Tree, people: SimpleNamespace, category: Category, overrides: dict[str, Any], message: str
) -> None:
    template = services.template_create(organization=tree.county, name="模板", sector="", by=people.admin)
    fields: dict[str, Any] = {
        "category": category,
        "duty_type": DutyType.ORGANIZATION,
        "content": "每月召开支委会",
        "target_period": Period.MONTH,
        "target_count": 1,
    }
    fields.update(overrides)
    with pytest.raises(DomainError, match=message):
        services.template_item_add(template=template, by=people.admin, **fields)
    assert not template.items.exists()


@pytest.fixture
def template(tree: Tree, people: SimpleNamespace, category: Category) -> ListTemplate:
    """The county's published rural template: one item per duty type."""
    template = services.template_create(
        organization=tree.county, name="农村党支部模板", sector="rural", by=people.admin
    )
    for duty_type, content, period in [
        (DutyType.ORGANIZATION, "每月召开支委会", Period.MONTH),
        (DutyType.FIRST, "每季度讲一次党课", Period.QUARTER),
        (DutyType.DIRECT, "每半年组织一次专题学习", Period.HALF),
        (DutyType.DUAL, "每年联系党员", Period.YEAR),
    ]:
        services.template_item_add(
            template=template,
            category=category,
            duty_type=duty_type,
            content=content,
            target_period=period,
            target_count=1,
            by=people.admin,
        )
    return services.template_publish(template=template, by=people.admin)


# 责任清单: start, items -----------------------------------------------------


def test_a_list_started_from_a_template_copies_its_items_with_default_people(
    template: ListTemplate, tree: Tree, people: SimpleNamespace, year: int
) -> None:
    responsibility_list = services.list_start(
        organization=tree.branch, year=year, by=people.branch_secretary, template=template
    )
    assert responsibility_list.status == Status.DRAFT
    assert responsibility_list.template == template
    items = {item.duty_type: item for item in responsibility_list.items.select_related("responsible")}
    assert [item.content for item in responsibility_list.items.all()] == [
        "每月召开支委会",
        "每季度讲一次党课",
        "每半年组织一次专题学习",
        "每年联系党员",
    ]
    assert items[DutyType.FIRST].responsible.person == people.branch_secretary
    assert items[DutyType.DIRECT].responsible.person == people.branch_deputy
    assert items[DutyType.ORGANIZATION].responsible is None
    assert items[DutyType.DUAL].responsible is None
    # The states are computed at once: the list is not an empty shell on the progress pages.
    assert all(item.state_date == timezone.localdate() for item in items.values())
    responsibility_list.refresh_from_db()
    assert responsibility_list.required_total == 12 + 4 + 2 + 1


def test_a_list_without_a_template_starts_empty(tree: Tree, people: SimpleNamespace, year: int) -> None:
    responsibility_list = services.list_start(organization=tree.branch, year=year, by=people.branch_secretary)
    assert not responsibility_list.items.exists()
    assert responsibility_list.template is None


def test_one_list_per_organization_and_year(
    branch_list: ResponsibilityList, tree: Tree, people: SimpleNamespace
) -> None:
    with pytest.raises(DomainError, match="年度责任清单已存在"):
        services.list_start(organization=tree.branch, year=branch_list.year, by=people.branch_secretary)
    assert ResponsibilityList.objects.filter(organization=tree.branch).count() == 1


def test_a_list_starts_only_from_a_published_template_of_an_ancestor(
    template: ListTemplate, tree: Tree, people: SimpleNamespace, category: Category, year: int
) -> None:
    draft = services.template_create(organization=tree.county, name="未发布", sector="", by=people.admin)
    with pytest.raises(DomainError, match="该模板尚未发布"):
        services.list_start(organization=tree.branch, year=year, by=people.admin, template=draft)
    with pytest.raises(DomainError, match="只能使用上级组织发布的模板"):
        services.list_start(organization=tree.unrelated_branch, year=year, by=people.admin, template=template)
    sibling = services.template_create(organization=tree.sibling_township, name="乙镇模板", sector="", by=people.admin)
    services.template_item_add(
        template=sibling,
        category=category,
        duty_type=DutyType.ORGANIZATION,
        content="每月召开支委会",
        target_period=Period.MONTH,
        target_count=1,
        by=people.admin,
    )
    services.template_publish(template=sibling, by=people.admin)
    with pytest.raises(DomainError, match="只能使用上级组织发布的模板"):
        services.list_start(organization=tree.branch, year=year, by=people.admin, template=sibling)
    assert not ResponsibilityList.objects.exists()


def test_an_item_takes_the_default_responsible_person(
    branch_list: ResponsibilityList, people: SimpleNamespace, category: Category
) -> None:
    branch_list = services.list_revise(responsibility_list=branch_list, by=people.branch_secretary)
    item = add_item(branch_list, people.branch_secretary, category, duty_type=DutyType.FIRST, content="亲自抓党建")
    item.refresh_from_db()
    assert item.responsible is not None
    assert item.responsible.person == people.branch_secretary
    assert item.order == 5
    assert item.state_date == timezone.localdate()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target_count": 0}, "目标次数必须是正整数"),
        ({"target_count": -1}, "目标次数必须是正整数"),
        ({"target_count": "1.5"}, "目标次数必须是正整数"),
        ({"target_count": None}, "目标次数必须是正整数"),
        ({"target_count": 400}, "目标次数不能超过 366"),
        ({"target_period": "daily"}, "请选择有效的周期"),
        ({"target_period": Period.ONCE}, "限期完成的条目须填写完成期限"),
        ({"target_period": Period.ONCE, "due_date": date(1999, 6, 30)}, "完成期限须在"),
        ({"duty_type": "nobody"}, "请选择有效的责任类型"),
        ({"content": ""}, "请填写内容"),
        ({"content": "长" * 501}, "不能超过 500 个字"),
    ],
)
def test_item_refuses_bad_input_and_saves_nothing(
    draft_list: ResponsibilityList, people: SimpleNamespace, category: Category, overrides: dict, message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        add_item(draft_list, people.admin, category, **overrides)
    assert not draft_list.items.exists()


def test_a_one_off_item_keeps_its_due_date_and_a_repeating_one_drops_it(
    draft_list: ResponsibilityList, people: SimpleNamespace, category: Category, year: int
) -> None:
    due = date(year, 9, 30)
    once = add_item(draft_list, people.admin, category, target_period=Period.ONCE, due_date=due, content="换届")
    monthly = add_item(draft_list, people.admin, category, due_date=due)
    assert once.due_date == due
    assert monthly.due_date is None


def test_the_responsible_person_must_hold_a_current_position_in_the_organization(
    branch_list: ResponsibilityList, people: SimpleNamespace, category: Category
) -> None:
    branch_list = services.list_revise(responsibility_list=branch_list, by=people.branch_secretary)
    elsewhere = Position.objects.get(person=people.committee_member)
    with pytest.raises(DomainError, match="责任人须是本组织的现任人员"):
        add_item(branch_list, people.branch_secretary, category, duty_type=DutyType.DUAL, responsible=elsewhere)
    former = Position.objects.get(person=people.branch_staff)
    position_end(position=former)
    with pytest.raises(DomainError, match="责任人须是本组织的现任人员"):
        add_item(branch_list, people.branch_secretary, category, duty_type=DutyType.DUAL, responsible=former)
    assert branch_list.items.count() == 4


def test_an_item_implements_a_published_point_of_an_ancestor_or_itself_of_the_same_year(
    plan: WorkPlan, draft_list: ResponsibilityList, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    point = plan.points.get()
    assert add_item(draft_list, people.admin, category, work_point=point).work_point == point

    def refused(point: WorkPoint) -> None:
        with pytest.raises(DomainError, match="只能落实本组织或上级组织已发布的当年工作要点"):
            add_item(draft_list, people.admin, category, work_point=point)

    unpublished = services.work_plan_create(organization=tree.township, year=plan.year, title="镇要点", by=people.admin)
    refused(services.work_point_add(plan=unpublished, category=category, text="镇要点一", by=people.admin))
    next_year = services.work_plan_create(organization=tree.county, year=plan.year + 1, title="明年", by=people.admin)
    next_point = services.work_point_add(plan=next_year, category=category, text="明年要点", by=people.admin)
    services.work_plan_publish(plan=next_year, by=people.admin)
    refused(next_point)
    sibling = services.work_plan_create(
        organization=tree.sibling_township, year=plan.year, title="乙镇要点", by=people.admin
    )
    sibling_point = services.work_point_add(plan=sibling, category=category, text="乙镇要点一", by=people.admin)
    services.work_plan_publish(plan=sibling, by=people.admin)
    refused(sibling_point)
    assert draft_list.items.count() == 1

    # A committee's own list may implement its own published points.
    township_list = services.list_start(organization=tree.township, year=plan.year, by=people.admin)
    services.work_plan_publish(plan=unpublished, by=people.admin)
    own = unpublished.points.get()
    assert add_item(township_list, people.admin, category, work_point=own).work_point == own


def test_items_are_locked_while_submitted_after_approval_and_once_closed(
    branch_list: ResponsibilityList, people: SimpleNamespace, category: Category
) -> None:
    item = branch_list.items.first()
    assert item is not None
    secretary = people.branch_secretary

    def refused(message: str) -> None:
        with pytest.raises(DomainError, match=message):
            add_item(branch_list, secretary, category)
        with pytest.raises(DomainError, match=message):
            services.list_item_update(
                item=item,
                category=category,
                duty_type=item.duty_type,
                content="改过的内容",
                target_period=Period.YEAR,
                target_count=1,
                by=secretary,
            )
        with pytest.raises(DomainError, match=message):
            services.list_item_remove(item=item, by=secretary)

    refused("清单已审定锁定")
    services.list_revise(responsibility_list=branch_list, by=secretary)
    services.list_submit(responsibility_list=branch_list, by=secretary)
    branch_list.refresh_from_db()
    refused("清单已提交审核")
    services.list_return(responsibility_list=branch_list, by=people.committee_secretary, comment="请补充")
    services.list_close(responsibility_list=branch_list, by=people.committee_secretary)
    branch_list.refresh_from_db()
    refused("该年度清单已关闭")
    item.refresh_from_db()
    assert item.content == "每月召开支委会"
    assert branch_list.items.count() == 4


def test_updating_an_item_changes_it_and_recomputes_its_state(
    draft_list: ResponsibilityList, people: SimpleNamespace, category: Category, year: int
) -> None:
    item = add_item(draft_list, people.admin, category)
    item.refresh_from_db()
    assert item.required_total == 12
    updated = services.list_item_update(
        item=item,
        category=Category.objects.get(name="政治建设"),
        duty_type=DutyType.ORGANIZATION,
        content=" 每季度召开党员大会 ",
        target_period=Period.QUARTER,
        target_count="2",
        due_date=date(year, 3, 1),
        by=people.admin,
    )
    updated.refresh_from_db()
    assert (updated.content, updated.target_period, updated.target_count) == ("每季度召开党员大会", "quarter", 2)
    assert updated.due_date is None
    assert updated.required_total == 8
    draft_list.refresh_from_db()
    assert draft_list.required_total == 8


def test_an_item_update_with_a_bad_target_loses_nothing(
    draft_list: ResponsibilityList, people: SimpleNamespace, category: Category
) -> None:
    item = add_item(draft_list, people.admin, category)
    with pytest.raises(DomainError, match="目标次数必须是正整数"):
        services.list_item_update(
            item=item,
            category=category,
            duty_type=DutyType.ORGANIZATION,
            content="新内容",
            target_period=Period.MONTH,
            target_count="0",
            by=people.admin,
        )
    item.refresh_from_db()
    assert (item.content, item.target_count) == ("每月召开支委会", 1)


def test_an_item_with_records_cannot_be_removed(
    draft_list: ResponsibilityList, people: SimpleNamespace, category: Category
) -> None:
    kept = add_item(draft_list, people.admin, category, target_period=Period.YEAR)
    removed = add_item(draft_list, people.admin, category, content="可删除", target_period=Period.YEAR)
    services.record_add(
        item=kept, occurred_on=timezone.localdate(), content="召开支委会", done_by=people.admin, by=people.admin
    )
    with pytest.raises(DomainError, match="该条目已有履责记实，不能删除"):
        services.list_item_remove(item=kept, by=people.admin)
    services.list_item_remove(item=removed, by=people.admin)
    assert list(draft_list.items.all()) == [kept]
    draft_list.refresh_from_db()
    assert draft_list.required_total == 1


# 责任清单: lifecycle ----------------------------------------------------------


def test_submit_approve_revise_and_approve_again_keeps_every_version(
    branch_list: ResponsibilityList, people: SimpleNamespace, category: Category
) -> None:
    secretary, reviewer = people.branch_secretary, people.committee_secretary
    assert (branch_list.status, branch_list.version) == (Status.APPROVED, 1)
    assert branch_list.reviewed_by == reviewer
    first = ListVersion.objects.get(list=branch_list, number=1)
    assert first.comment == "同意"
    assert [row["content"] for row in first.items] == [item.content for item in branch_list.items.all()]

    revised = services.list_revise(responsibility_list=branch_list, by=secretary)
    assert (revised.status, revised.version) == (Status.DRAFT, 2)
    add_item(revised, secretary, category, content="新增：每月主题党日")
    services.list_submit(responsibility_list=revised, by=secretary)
    services.list_approve(responsibility_list=revised, by=reviewer)

    versions = {version.number: version for version in branch_list.versions.all()}
    assert set(versions) == {1, 2}
    assert len(versions[1].items) == 4
    assert len(versions[2].items) == 5
    assert versions[2].items[-1]["content"] == "新增：每月主题党日"
    snapshot = versions[1].items[1]
    assert snapshot["duty_type"] == DutyType.FIRST
    assert snapshot["duty_type_label"] == "第一责任人"
    assert snapshot["responsible"] == str(people.branch_secretary)
    assert snapshot["target"] == "每季度至少 1 次"
    assert snapshot["category"] == "组织建设"
    # The id and raw fields let the next revision be compared item by item.
    item = branch_list.items.get(duty_type=DutyType.FIRST)
    assert snapshot["id"] == item.id
    assert (snapshot["category_id"], snapshot["target_period"], snapshot["target_count"]) == (category.id, "quarter", 1)
    assert (snapshot["due_date"], snapshot["work_point_id"]) == (None, None)
    assert snapshot["responsible_id"] == item.responsible_id


def test_a_returned_list_carries_the_comment_and_may_be_changed_and_resubmitted(
    branch_list: ResponsibilityList, people: SimpleNamespace, category: Category
) -> None:
    secretary, reviewer = people.branch_secretary, people.committee_secretary
    services.list_revise(responsibility_list=branch_list, by=secretary)
    services.list_submit(responsibility_list=branch_list, by=secretary)
    with pytest.raises(DomainError, match="请填写退回意见"):
        services.list_return(responsibility_list=branch_list, by=reviewer, comment=" ")
    returned = services.list_return(responsibility_list=branch_list, by=reviewer, comment="请细化党课安排")
    assert returned.status == Status.RETURNED
    assert returned.review_comment == "请细化党课安排"
    returned.refresh_from_db()
    add_item(returned, secretary, category, content="补充条目")
    assert services.list_submit(responsibility_list=returned, by=secretary).status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("action", "from_status"),
    [
        ("approve", Status.DRAFT),
        ("return", Status.DRAFT),
        ("revise", Status.DRAFT),
        ("submit", Status.SUBMITTED),
        ("approve", Status.APPROVED),
        ("return", Status.APPROVED),
        ("submit", Status.APPROVED),
        ("revise", Status.RETURNED),
        ("approve", Status.RETURNED),
    ],
)
def test_illegal_list_transitions_are_refused(
    branch_list: ResponsibilityList, people: SimpleNamespace, action: str, from_status: str
) -> None:
    ResponsibilityList.objects.filter(pk=branch_list.pk).update(status=from_status)
    branch_list.refresh_from_db()
    calls = {
        "submit": lambda: services.list_submit(responsibility_list=branch_list, by=people.branch_secretary),
        "approve": lambda: services.list_approve(responsibility_list=branch_list, by=people.committee_secretary),
        "return": lambda: services.list_return(
            responsibility_list=branch_list, by=people.committee_secretary, comment="不行"
        ),
        "revise": lambda: services.list_revise(responsibility_list=branch_list, by=people.branch_secretary),
    }
    with pytest.raises(DomainError, match="不能执行此操作"):
        calls[action]()
    branch_list.refresh_from_db()
    assert branch_list.status == from_status
    assert branch_list.versions.count() == 1


def test_submit_needs_items_people_and_a_committee_above(
    draft_list: ResponsibilityList, tree: Tree, people: SimpleNamespace, category: Category, year: int
) -> None:
    with pytest.raises(DomainError, match="清单还没有条目"):
        services.list_submit(responsibility_list=draft_list, by=people.admin)
    # 三村党支部 has no deputy: the 直接责任人 item has nobody.
    add_item(draft_list, people.admin, category, duty_type=DutyType.DIRECT, content="组织生活会筹备")
    with pytest.raises(DomainError, match="有 1 个条目尚未指定责任人"):
        services.list_submit(responsibility_list=draft_list, by=people.admin)
    draft_list.refresh_from_db()
    assert draft_list.status == Status.DRAFT

    county_list = services.list_start(organization=tree.county, year=year, by=people.admin)
    add_item(county_list, people.admin, category)
    with pytest.raises(DomainError, match="本组织没有上级党组织"):
        services.list_submit(responsibility_list=county_list, by=people.admin)


def test_a_closed_year_cannot_be_submitted_revised_or_closed_again(
    branch_list: ResponsibilityList, people: SimpleNamespace
) -> None:
    closed = services.list_close(responsibility_list=branch_list, by=people.committee_secretary)
    assert closed.is_closed
    with pytest.raises(DomainError, match="该年度清单已关闭，不能修订"):
        services.list_revise(responsibility_list=branch_list, by=people.branch_secretary)
    with pytest.raises(DomainError, match="该年度清单已关闭"):
        services.list_close(responsibility_list=branch_list, by=people.committee_secretary)
    ResponsibilityList.objects.filter(pk=branch_list.pk).update(status=Status.DRAFT)
    with pytest.raises(DomainError, match="该年度清单已关闭"):
        services.list_submit(responsibility_list=branch_list, by=people.branch_secretary)


# 履责记实 --------------------------------------------------------------------


@pytest.fixture
def due_today(draft_list: ResponsibilityList, people: SimpleNamespace, category: Category) -> ListItem:
    """A one-off due today: red with no record, green with one, whatever the day of the year."""
    item = add_item(
        draft_list,
        people.admin,
        category,
        content="完成换届选举",
        target_period=Period.ONCE,
        due_date=timezone.localdate(),
    )
    item.refresh_from_db()
    return item


def test_a_record_with_evidence_is_stored_privately_and_turns_the_item_green(
    due_today: ListItem, people: SimpleNamespace, media: Path
) -> None:
    assert due_today.warning == Light.RED
    record = services.record_add(
        item=due_today,
        occurred_on=timezone.localdate(),
        content=" 召开党员大会完成换届 ",
        done_by=people.committee_secretary,
        by=people.admin,
        files=[png("合影.PNG"), pdf()],
    )
    assert record.status == RecordStatus.SUBMITTED
    assert record.content == "召开党员大会完成换届"
    assert record.organization_id == due_today.list.organization_id
    assert (record.done_by, record.created_by) == (people.committee_secretary, people.admin)
    evidence = list(record.evidence.all())
    assert [(file.original_name, file.content_type, file.size) for file in evidence] == [
        ("合影.PNG", "image/png", len(PNG)),
        ("会议记录.pdf", "application/pdf", len(PDF)),
    ]
    assert evidence[0].is_image
    stored = files_in(media)
    assert len(stored) == 2
    # A random name under evidence/<org>/: the person's file name never reaches the disk.
    assert all(path.parent == media / "evidence" / str(record.organization_id) for path in stored)
    assert {path.suffix for path in stored} == {".png", ".pdf"}
    assert "合影" not in str(evidence[0].file.name)
    due_today.refresh_from_db()
    assert due_today.warning == Light.GREEN
    assert due_today.done_total == 1


def test_the_secretary_may_mark_a_personal_action_on_a_first_duty_item(
    branch_list: ResponsibilityList, people: SimpleNamespace
) -> None:
    item = item_of(branch_list, DutyType.FIRST)
    record = services.record_add(
        item=item,
        occurred_on=timezone.localdate(),
        content="亲自部署党课",
        done_by=people.branch_secretary,
        by=people.branch_secretary,
        personal_action=DutyRecord.PersonalAction.DEPLOY,
    )
    assert record.get_personal_action_display() == "亲自部署"


def _bad_record_cases(year: int) -> list[tuple[dict[str, Any], str]]:
    today = timezone.localdate()
    return [
        ({"occurred_on": date(year - 1, 12, 31)}, f"不在 {year} 年度内"),
        ({"occurred_on": today + timedelta(days=1)}, "履责日期不能晚于今天" if today.year == year else "年度内"),
        ({"content": "  "}, "请填写履责内容"),
        ({"personal_action": DutyRecord.PersonalAction.SUPERVISE}, "只用于书记第一责任人条目"),
        ({"personal_action": "wish"}, "请选择有效的亲自履责方式"),
        ({"files": [SimpleUploadedFile("伪装.pdf", b"just some text, not a pdf")]}, "不是允许的类型"),
        ({"files": [SimpleUploadedFile("照片.pdf", PNG)]}, "扩展名与其内容不符"),
        ({"files": [SimpleUploadedFile("空.png", b"")]}, "是空文件"),
        ({"files": [png(), SimpleUploadedFile("a.exe", b"MZ\x90\x00" + b"\x00" * 60)]}, "不是允许的类型"),
    ]


BAD_RECORDS = [
    "date_before_the_year",
    "date_in_the_future",
    "empty_content",
    "personal_action_on_an_organization_item",
    "unknown_personal_action",
    "text_named_pdf",
    "png_named_pdf",
    "empty_file",
    "good_file_with_an_executable",
]


@pytest.mark.parametrize("case", range(len(BAD_RECORDS)), ids=BAD_RECORDS)
def test_a_bad_record_is_refused_and_nothing_is_saved(
    branch_list: ResponsibilityList, people: SimpleNamespace, media: Path, year: int, case: int
) -> None:
    item = item_of(branch_list, DutyType.ORGANIZATION)
    before = (item.warning, item.done_total)
    overrides, message = _bad_record_cases(year)[case]
    fields: dict[str, Any] = {
        "item": item,
        "occurred_on": timezone.localdate(),
        "content": "召开支委会",
        "done_by": people.branch_secretary,
        "by": people.branch_secretary,
        "files": [png()],
    }
    fields.update(overrides)
    with pytest.raises(DomainError, match=message):
        services.record_add(**fields)
    assert not DutyRecord.objects.exists()
    assert not Evidence.objects.exists()
    assert files_in(media) == []
    item.refresh_from_db()
    assert (item.warning, item.done_total) == before


def test_a_file_over_the_size_limit_is_refused(
    branch_list: ResponsibilityList, people: SimpleNamespace, media: Path, settings: Any
) -> None:
    settings.EVIDENCE_MAX_BYTES = len(PNG) - 1
    with pytest.raises(DomainError, match=r"超过 .* 的大小限制"):
        services.record_add(
            item=item_of(branch_list, DutyType.ORGANIZATION),
            occurred_on=timezone.localdate(),
            content="召开支委会",
            done_by=people.branch_secretary,
            by=people.branch_secretary,
            files=[pdf(), png()],
        )
    assert (DutyRecord.objects.count(), Evidence.objects.count(), files_in(media)) == (0, 0, [])


def test_too_many_files_are_refused(
    branch_list: ResponsibilityList, people: SimpleNamespace, media: Path, settings: Any
) -> None:
    settings.EVIDENCE_MAX_FILES = 1
    with pytest.raises(DomainError, match="每条记实最多 1 个佐证文件"):
        services.record_add(
            item=item_of(branch_list, DutyType.ORGANIZATION),
            occurred_on=timezone.localdate(),
            content="召开支委会",
            done_by=people.branch_secretary,
            by=people.branch_secretary,
            files=[pdf(), png()],
        )
    assert (DutyRecord.objects.count(), Evidence.objects.count(), files_in(media)) == (0, 0, [])


def test_no_record_on_a_closed_year(
    branch_list: ResponsibilityList, people: SimpleNamespace, media: Path, year: int
) -> None:
    services.list_close(responsibility_list=branch_list, by=people.committee_secretary)
    branch_list.refresh_from_db()
    with pytest.raises(DomainError, match=f"{year} 年度已关闭（锁定），不能再记实"):
        services.record_add(
            item=item_of(branch_list, DutyType.ORGANIZATION),
            occurred_on=timezone.localdate(),
            content="召开支委会",
            done_by=people.branch_secretary,
            by=people.branch_secretary,
            files=[png()],
        )
    assert (DutyRecord.objects.count(), Evidence.objects.count(), files_in(media)) == (0, 0, [])


@pytest.fixture
def counted(due_today: ListItem, people: SimpleNamespace) -> DutyRecord:
    """A record of 三村's item, written by the administrator (who keeps every organization's work)."""
    return services.record_add(
        item=due_today,
        occurred_on=timezone.localdate(),
        content="完成换届选举",
        done_by=people.committee_secretary,
        by=people.admin,
    )


def test_a_returned_record_stops_counting_and_the_item_turns_back(
    counted: DutyRecord, due_today: ListItem, people: SimpleNamespace
) -> None:
    due_today.refresh_from_db()
    assert due_today.warning == Light.GREEN
    with pytest.raises(DomainError, match="请填写驳回理由"):
        services.record_return(record=counted, by=people.admin, reason="")
    returned = services.record_return(record=counted, by=people.admin, reason="缺少会议记录")
    assert returned.status == RecordStatus.RETURNED
    assert (returned.review_reason, returned.reviewed_by) == ("缺少会议记录", people.admin)
    assert not returned.counts
    due_today.refresh_from_db()
    assert (due_today.warning, due_today.done_total) == (Light.RED, 0)


def test_correcting_a_returned_record_resubmits_it_and_it_counts_again(
    counted: DutyRecord, due_today: ListItem, people: SimpleNamespace, media: Path
) -> None:
    returned = services.record_return(record=counted, by=people.admin, reason="缺少会议记录")
    updated = services.record_update(
        record=returned,
        occurred_on=timezone.localdate(),
        content="完成换届选举，附会议记录",
        files=[pdf()],
        by=people.admin,
    )
    assert updated.status == RecordStatus.SUBMITTED
    assert updated.submitted_at > returned.reviewed_at
    assert updated.evidence.count() == 1
    due_today.refresh_from_db()
    assert due_today.warning == Light.GREEN


def test_a_bad_correction_keeps_the_saved_record(counted: DutyRecord, people: SimpleNamespace, media: Path) -> None:
    with pytest.raises(DomainError, match="扩展名与其内容不符"):
        services.record_update(
            record=counted,
            occurred_on=timezone.localdate(),
            content="改写的内容",
            files=[SimpleUploadedFile("照片.jpg", PNG)],
            by=people.admin,
        )
    counted.refresh_from_db()
    assert counted.content == "完成换届选举"
    assert (Evidence.objects.count(), files_in(media)) == (0, [])


def test_accept_then_the_record_is_final_for_its_author(counted: DutyRecord, people: SimpleNamespace) -> None:
    accepted = services.record_accept(record=counted, by=people.admin, without_evidence=True)
    assert (accepted.status, accepted.reviewed_by) == (RecordStatus.ACCEPTED, people.admin)
    with pytest.raises(DomainError, match="不能执行此操作"):
        services.record_accept(record=counted, by=people.admin, without_evidence=True)
    with pytest.raises(DomainError, match="已认可的记实不能修改"):
        services.record_update(record=counted, occurred_on=timezone.localdate(), content="改", by=people.admin)
    # A reviewer may still return an accepted record found thin later.
    assert services.record_return(record=counted, by=people.admin, reason="复查不足").status == RecordStatus.RETURNED
    with pytest.raises(DomainError, match="不能执行此操作"):
        services.record_return(record=counted, by=people.admin, reason="再驳回")
    with pytest.raises(DomainError, match="不能执行此操作"):
        services.record_accept(record=counted, by=people.admin, without_evidence=True)


def test_no_return_on_a_closed_year(
    counted: DutyRecord, draft_list: ResponsibilityList, people: SimpleNamespace
) -> None:
    services.list_close(responsibility_list=draft_list, by=people.admin)
    with pytest.raises(DomainError, match="该年度已关闭"):
        services.record_return(record=counted, by=people.admin, reason="太简单")
    counted.refresh_from_db()
    assert counted.status == RecordStatus.SUBMITTED


def test_evidence_removal_deletes_the_file_after_commit(
    due_today: ListItem, people: SimpleNamespace, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    record = services.record_add(
        item=due_today,
        occurred_on=timezone.localdate(),
        content="完成换届选举",
        done_by=people.admin,
        by=people.admin,
        files=[png()],
    )
    evidence = record.evidence.get()
    assert len(files_in(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_remove(evidence=evidence, by=people.admin)
    assert not Evidence.objects.exists()
    assert files_in(media) == []


def test_evidence_of_an_accepted_record_stays(due_today: ListItem, people: SimpleNamespace, media: Path) -> None:
    record = services.record_add(
        item=due_today,
        occurred_on=timezone.localdate(),
        content="完成换届选举",
        done_by=people.admin,
        by=people.admin,
        files=[png()],
    )
    services.record_accept(record=record, by=people.admin)
    with pytest.raises(DomainError, match="已认可的记实不能修改"):
        services.evidence_remove(evidence=Evidence.objects.get(), by=people.admin)
    assert len(files_in(media)) == 1


# 公开承诺 --------------------------------------------------------------------


def test_a_commitment_is_saved_published_and_withdrawn(tree: Tree, people: SimpleNamespace, year: int) -> None:
    secretary = people.branch_secretary
    draft = services.commitment_save(
        organization=tree.branch, year=year, text="带头讲党课", publish=False, by=secretary
    )
    assert not draft.is_published
    published = services.commitment_save(
        organization=tree.branch, year=year, text="带头讲党课，每季度一次", publish=True, by=secretary
    )
    assert published.pk == draft.pk
    assert published.is_published
    first_published_at = published.published_at
    again = services.commitment_save(organization=tree.branch, year=year, text="再改", publish=True, by=secretary)
    assert again.published_at == first_published_at
    withdrawn = services.commitment_save(organization=tree.branch, year=year, text="再改", publish=False, by=secretary)
    assert not withdrawn.is_published
    assert PublicCommitment.objects.count() == 1


def test_an_empty_commitment_is_refused(tree: Tree, people: SimpleNamespace, year: int) -> None:
    with pytest.raises(DomainError, match="请填写承诺内容"):
        services.commitment_save(organization=tree.branch, year=year, text=" ", publish=True, by=people.admin)
    assert not PublicCommitment.objects.exists()


# 书记联系点 ------------------------------------------------------------------


def test_a_contact_point_is_designated_once_a_year_and_visited(tree: Tree, people: SimpleNamespace, year: int) -> None:
    member = people.committee_member
    point = services.contact_point_designate(
        member=member, organization=tree.direct_branch, year=year, reason="班子软弱涣散", by=member
    )
    with pytest.raises(DomainError, match=f"已是您 {year} 年的联系点"):
        services.contact_point_designate(
            member=member, organization=tree.direct_branch, year=year, reason="再次", by=member
        )
    with pytest.raises(DomainError, match="请填写确定原因"):
        services.contact_point_designate(member=member, organization=tree.branch, year=year, reason="", by=member)
    assert ContactPoint.objects.count() == 1

    today = timezone.localdate()
    visit = services.contact_visit_add(
        contact_point=point, visited_on=today, summary="指导召开组织生活会", problems=" 台账不全 ", by=member
    )
    assert (visit.problems, visit.created_by) == ("台账不全", member)
    assert list(point.visits.all()) == [visit]


def test_a_visit_needs_a_past_date_in_the_year_and_a_summary(tree: Tree, people: SimpleNamespace, year: int) -> None:
    member = people.committee_member
    point = services.contact_point_designate(
        member=member, organization=tree.direct_branch, year=year, reason="软弱涣散", by=member
    )
    today = timezone.localdate()
    for visited_on, summary, message in [
        (today + timedelta(days=1), "指导", "走访日期不能晚于今天"),
        (date(year - 1, 12, 1), "指导", f"走访日期须在 {year} 年内"),
        (today, "  ", "请填写指导内容"),
    ]:
        with pytest.raises(DomainError, match=message):
            services.contact_visit_add(contact_point=point, visited_on=visited_on, summary=summary, by=member)
    assert not ContactVisit.objects.exists()
