"""What the approver of a revised list sees: the changes against the approved version, item by item, with late marks."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Position
from responsibility import progress, services
from responsibility.models import Category, DutyType, ListItem, ListVersion, Period, ResponsibilityList

SetDay = Callable[[date], None]


def page(client: Client, user: Any, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def changes_section(body: str) -> str:
    found = re.search(r'<section class="card revision-changes".*?</section>', body, re.S)
    assert found is not None, "the page shows no changes"
    return found.group(0)


def change_row(section: str, content: str) -> str:
    rows = [row for row in re.findall(r"<tr data-change=.*?</tr>", section, re.S) if content in row]
    assert len(rows) == 1, f"one row for {content}"
    return rows[0]


def update(item: ListItem, by: Any, **changes: Any) -> ListItem:
    values: dict[str, Any] = {
        "category": item.category,
        "duty_type": item.duty_type,
        "content": item.content,
        "target_period": item.target_period,
        "target_count": item.target_count,
        "due_date": item.due_date,
        "work_point": item.work_point,
        "responsible": item.responsible,
    }
    values.update(changes)
    return services.list_item_update(item=item, by=by, **values)


def by_content(responsibility_list: ResponsibilityList) -> dict[str, ListItem]:
    return {item.content: item for item in responsibility_list.items.all()}


def revised_and_submitted(
    january_list: ResponsibilityList, people: SimpleNamespace, category: Category, year: int, on_day: SetDay
) -> ResponsibilityList:
    """The branch's list on 3 December, revised: one item renamed with a new target, one moved to a
    yearly period and another person, one added, one removed; then submitted."""
    secretary = people.branch_secretary
    on_day(date(year, 12, 3))
    progress.refresh_stale()  # the night before: every period that ended unmet is marked
    january_list = services.list_revise(responsibility_list=january_list, by=secretary)
    items = by_content(january_list)
    update(items["每季度讲一次党课"], secretary, content="每季度讲一次专题党课", target_count=2)
    member = Position.objects.get(person=people.branch_member_of_committee)
    update(items["每半年开展一次组织生活会筹备"], secretary, target_period=Period.YEAR, responsible=member)
    services.list_item_add(
        responsibility_list=january_list,
        category=category,
        duty_type=DutyType.ORGANIZATION,
        content="年底前完成党员档案整理",
        target_period=Period.ONCE,
        target_count=1,
        due_date=date(year, 12, 31),
        by=secretary,
    )
    services.list_item_remove(item=items["每年走访联系党员两次"], by=secretary)
    services.list_submit(responsibility_list=january_list, by=secretary)
    january_list.refresh_from_db()
    return january_list


def test_the_approver_sees_each_added_removed_and_changed_item_with_old_and_new_values(
    client: Client,
    people: SimpleNamespace,
    january_list: ResponsibilityList,
    category: Category,
    year: int,
    on_day: SetDay,
) -> None:
    revised = revised_and_submitted(january_list, people, category, year, on_day)

    section = changes_section(page(client, people.committee_secretary, reverse("list_detail", args=[revised.pk])))

    assert "第 2 版与已审定的第 1 版相比" in section
    assert "新增 1 条，删除 1 条，修改 2 条，未变 1 条。" in section
    lesson = change_row(section, "每季度讲一次专题党课")
    assert 'data-change="changed"' in lesson
    assert (
        '<li data-field="content">责任内容：<del>每季度讲一次党课</del> → <ins>每季度讲一次专题党课</ins></li>'
        in lesson
    )
    assert '<li data-field="target_count">每周期次数：<del>1</del> → <ins>2</ins></li>' in lesson
    half = change_row(section, "每半年开展一次组织生活会筹备")
    assert "周期：<del>每半年</del> → <ins>每年</ins>" in half
    assert "责任人：<del>branch_deputy</del> → <ins>branch_committee_member</ins>" in half
    added = change_row(section, "年底前完成党员档案整理")
    assert 'data-change="added"' in added
    assert f"完成期限：{year}年12月31日" in added
    removed = change_row(section, "每年走访联系党员两次")
    assert 'data-change="removed"' in removed
    assert "<del>每年走访联系党员两次</del>" in removed


def test_late_marks_show_beside_the_changed_item_with_what_they_were_recorded_under(
    client: Client,
    people: SimpleNamespace,
    january_list: ResponsibilityList,
    category: Category,
    year: int,
    on_day: SetDay,
) -> None:
    revised = revised_and_submitted(january_list, people, category, year, on_day)
    body = page(client, people.committee_secretary, reverse("list_detail", args=[revised.pk]))

    lesson = change_row(changes_section(body), "每季度讲一次专题党课")
    assert '<span class="tag late">曾逾期</span>' in lesson
    assert lesson.count('data-mark="missed"') == 3  # the first three quarters
    assert "当时目标：每季度至少 1 次" in lesson
    assert "当时内容：每季度讲一次党课" in lesson
    # The list itself keeps the badge with its periods too.
    assert "01-01–03-31 逾期未完成" in body
    revised.refresh_from_db()
    assert revised.late_items == 3


def test_after_approval_the_changes_stay_readable_on_the_version_page(
    client: Client,
    people: SimpleNamespace,
    january_list: ResponsibilityList,
    category: Category,
    year: int,
    on_day: SetDay,
) -> None:
    revised = revised_and_submitted(january_list, people, category, year, on_day)
    services.list_approve(responsibility_list=revised, by=people.committee_secretary)

    body = page(client, people.branch_member, reverse("list_detail", args=[revised.pk]))
    assert "revision-changes" not in body
    version = page(client, people.branch_member, reverse("list_version", args=[revised.pk, 2]))
    section = changes_section(version)
    assert "第 2 版与第 1 版相比" in section
    assert "新增 1 条，删除 1 条，修改 2 条，未变 1 条。" in section
    assert "revision-changes" not in page(client, people.branch_member, reverse("list_version", args=[revised.pk, 1]))


def test_a_revision_without_changes_says_so(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    services.list_revise(responsibility_list=branch_list, by=people.branch_secretary)
    services.list_submit(responsibility_list=branch_list, by=people.branch_secretary)
    section = changes_section(page(client, people.committee_secretary, reverse("list_detail", args=[branch_list.pk])))
    assert "条目与该版本相同，没有变化。" in section


def test_a_version_approved_before_ids_were_kept_is_compared_by_content(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    legacy = [
        {key: row[key] for key in ("category", "duty_type", "duty_type_label", "content", "target", "work_point")}
        | {"responsible": row["responsible"]}
        for row in ListVersion.objects.get(list=branch_list, number=1).items
    ]
    legacy[0]["target"] = "每月至少 2 次"
    ListVersion.objects.filter(list=branch_list, number=1).update(items=legacy)
    services.list_revise(responsibility_list=branch_list, by=people.branch_secretary)
    services.list_submit(responsibility_list=branch_list, by=people.branch_secretary)

    section = changes_section(page(client, people.committee_secretary, reverse("list_detail", args=[branch_list.pk])))

    assert "新增 0 条，删除 0 条，修改 1 条，未变 3 条。" in section
    assert "目标：<del>每月至少 2 次</del> → <ins>每月至少 1 次</ins>" in change_row(section, "每月召开支委会")
    # The legacy version page still reads.
    assert "每月至少 2 次" in page(client, people.branch_member, reverse("list_version", args=[branch_list.pk, 1]))


# Query counts -------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_page_queries_do_not_grow_with_items_marks_or_changes(
    client: Client,
    people: SimpleNamespace,
    january_list: ResponsibilityList,
    category: Category,
    year: int,
    on_day: SetDay,
    django_assert_num_queries: Any,
) -> None:
    client.force_login(people.committee_secretary)
    url = reverse("list_detail", args=[january_list.pk])
    # An approved list without late items: what the page cost before late marks existed.
    plain = _queries(client, url)
    on_day(date(year, 12, 3))
    progress.refresh_stale()
    january_list.refresh_from_db()
    assert january_list.late_items == 3
    # With late items, one more query reads every item's marks.
    with django_assert_num_queries(plain + 1):
        client.get(url)

    revised = revised_and_submitted(january_list, people, category, year, on_day)
    # The changes are computed from what the page already read.
    with django_assert_num_queries(plain + 1):
        client.get(url)

    revised = services.list_return(responsibility_list=revised, by=people.committee_secretary, comment="请补充")
    for index in range(10):
        services.list_item_add(
            responsibility_list=revised,
            category=category,
            duty_type=DutyType.DUAL,
            content=f"条目{index}",
            target_period=Period.QUARTER,
            target_count=1,
            responsible=Position.objects.get(person=people.branch_deputy),
            by=people.branch_secretary,
        )
    services.list_submit(responsibility_list=revised, by=people.branch_secretary)
    with django_assert_num_queries(plain + 1):
        client.get(url)


def test_version_page_costs_the_same_with_a_version_to_compare_against(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    client.force_login(people.branch_member)
    first = _queries(client, reverse("list_version", args=[branch_list.pk, 1]))
    services.list_revise(responsibility_list=branch_list, by=people.branch_secretary)
    services.list_submit(responsibility_list=branch_list, by=people.branch_secretary)
    services.list_approve(responsibility_list=branch_list, by=people.committee_secretary)
    assert _queries(client, reverse("list_version", args=[branch_list.pk, 2])) == first
