"""我的清单 and the home page's waiting work: the person's items, the most urgent first, at a fixed cost."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, Position, User
from accounts.permissions import forget_scope
from responsibility import services
from responsibility.models import Category, DutyRecord, DutyType, ListItem, Period, ResponsibilityList
from tests.conftest import Tree
from tests.factories import UserFactory


def page_of(client: Client, user: User, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_secretary_sees_the_years_items_with_light_progress_and_next_due(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    body = page_of(client, people.branch_secretary, reverse("my_list"))
    assert "一村党支部" in body
    assert "已审定" in body
    for item in branch_list.items.all():
        assert item.content in body
        assert reverse("item_detail", args=[item.pk]) in body
        assert reverse("record_add", args=[item.pk]) in body
        assert f"{item.done_total}/{item.required_total}" in body
    assert 'class="light' in body


def test_own_items_come_first_then_red_then_yellow(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    items = {item.duty_type: item for item in branch_list.items.all()}
    ListItem.objects.filter(pk=items[DutyType.ORGANIZATION].pk).update(warning="yellow")
    ListItem.objects.filter(pk=items[DutyType.DUAL].pk).update(warning="red")
    ListItem.objects.filter(pk__in=[items[DutyType.FIRST].pk, items[DutyType.DIRECT].pk]).update(warning="green")
    body = page_of(client, people.branch_secretary, reverse("my_list"))
    order = [body.index(f'data-item="{items[duty].pk}"') for duty in DutyType.values]
    organization, first, direct, dual = order
    # The secretary answers for the 第一责任人 item; then red, yellow, green.
    assert first < dual < organization < direct
    assert body.count("我负责的") == 1


def test_an_item_that_went_overdue_keeps_its_mark(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    ListItem.objects.filter(list=branch_list).update(late_periods=0, missed_periods=0)
    ListItem.objects.filter(list=branch_list, duty_type=DutyType.FIRST).update(late_periods=1, warning="green")
    body = page_of(client, people.branch_secretary, reverse("my_list"))
    assert body.count("曾逾期") == 1


def test_no_list_yet_links_to_starting_one(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    year = timezone.localdate().year
    body = page_of(client, people.branch_secretary, reverse("my_list"))
    assert "还没有" in body
    assert reverse("list_for_org", args=[tree.branch.pk, year]) in body


def test_year_can_be_switched(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList
) -> None:
    last_year = branch_list.year - 1
    body = page_of(client, people.branch_secretary, reverse("my_list") + f"?year={last_year}")
    assert f"{last_year} 年度" in body
    assert reverse("list_for_org", args=[tree.branch.pk, last_year]) in body
    assert branch_list.items.first().content not in body  # type: ignore[union-attr]


@pytest.mark.parametrize("year", ["abc", "1900", ""])
def test_a_bad_year_falls_back_to_this_year(client: Client, people: SimpleNamespace, year: str) -> None:
    body = page_of(client, people.branch_secretary, reverse("my_list") + f"?year={year}")
    assert f"{timezone.localdate().year} 年度" in body


def test_a_closed_list_offers_no_add_button(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    services.list_close(responsibility_list=branch_list, by=people.committee_secretary)
    body = page_of(client, people.branch_secretary, reverse("my_list"))
    assert "已关闭" in body
    assert "/records/add/" not in body


def test_members_get_a_friendly_message(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    body = page_of(client, people.branch_member, reverse("my_list"))
    assert "党员无需在这里操作" in body
    assert branch_list.items.first().content not in body  # type: ignore[union-attr]


def test_someone_without_a_position_is_told_why_nothing_is_here(client: Client, people: SimpleNamespace) -> None:
    body = page_of(client, people.outsider, reverse("my_list"))
    assert "没有需要填报的责任清单" in body


def test_committee_secretary_sees_own_committee_not_the_branches(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList
) -> None:
    body = page_of(client, people.committee_secretary, reverse("my_list"))
    assert "甲镇党委" in body
    assert "一村党支部" not in body


def test_my_list_requires_sign_in(client: Client, db: None) -> None:
    assert client.get(reverse("my_list")).status_code == 302


def _grow(responsibility_list: ResponsibilityList, category: Category, count: int) -> None:
    ListItem.objects.bulk_create(
        ListItem(
            list=responsibility_list,
            category=category,
            duty_type=DutyType.ORGANIZATION,
            content=f"附加条目 {index}",
            target_period=Period.MONTH,
            order=100 + index,
        )
        for index in range(count)
    )


def test_my_list_query_count_does_not_grow_with_items_or_organizations(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, category: Category
) -> None:
    client.force_login(people.branch_secretary)
    url = reverse("my_list")
    small = count_queries(client, url)
    _grow(branch_list, category, 25)
    account_services.position_assign(
        person=people.branch_secretary, organization=tree.direct_branch, role=Position.Role.COMMITTEE_MEMBER
    )
    # The services checked this person's scope while the fixture built the list; the new position counts now.
    forget_scope(people.branch_secretary)
    other = services.list_start(organization=tree.direct_branch, year=branch_list.year, by=people.branch_secretary)
    _grow(other, category, 10)
    assert count_queries(client, url) == small


# The home page -------------------------------------------------------------------


def test_home_shows_the_branch_lists_lights_and_links_to_my_list(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    ResponsibilityList.objects.filter(pk=branch_list.pk).update(red_items=2, yellow_items=1, warning="red")
    body = page_of(client, people.branch_secretary, reverse("home"))
    assert "一村党支部" in body
    assert "项红灯" in body
    assert reverse("my_list") in body
    assert reverse("list_detail", args=[branch_list.pk]) in body
    assert "暂无待办" not in body


def test_home_tells_a_branch_without_a_list_to_start_one(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    body = page_of(client, people.branch_secretary, reverse("home"))
    assert reverse("list_for_org", args=[tree.branch.pk, year]) in body
    assert "没有被驳回的记实" in body


def test_home_shows_the_committee_what_awaits_review(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = branch_list.items.get(duty_type=DutyType.FIRST)
    for _ in range(3):
        services.record_add(
            item=item,
            occurred_on=timezone.localdate(),
            content="记实",
            done_by=people.branch_secretary,
            by=people.branch_secretary,
        )
    body = page_of(client, people.committee_secretary, reverse("home"))
    assert "待我审核" in body
    assert "条履责记实待审阅" in body
    assert '<span class="count">3</span>' in body
    assert reverse("record_review_queue") in body
    assert reverse("list_review_queue") in body


def test_home_gives_the_committee_an_empty_state_when_nothing_waits(client: Client, people: SimpleNamespace) -> None:
    body = page_of(client, people.committee_secretary, reverse("home"))
    assert "暂无待审核的责任清单和待审阅的履责记实" in body


def test_branch_leaders_see_no_review_box(client: Client, people: SimpleNamespace) -> None:
    body = page_of(client, people.branch_secretary, reverse("home"))
    assert "待我审核" not in body


def test_members_home_is_unchanged(client: Client, people: SimpleNamespace) -> None:
    body = page_of(client, people.branch_member, reverse("home"))
    assert "民主测评开始后" in body
    assert "被驳回的记实" not in body


def _holder(username: str, organization: Organization) -> User:
    person = UserFactory(username=username)
    account_services.position_assign(person=person, organization=organization, role=Position.Role.SECRETARY)
    return person


@pytest.mark.parametrize("who", ["branch_secretary", "committee_secretary"])
def test_home_query_count_does_not_grow_with_records_and_lists(
    client: Client,
    people: SimpleNamespace,
    tree: Tree,
    branch_list: ResponsibilityList,
    category: Category,
    who: str,
) -> None:
    item = branch_list.items.get(duty_type=DutyType.FIRST)

    def returned_record() -> None:
        record = services.record_add(
            item=item,
            occurred_on=timezone.localdate(),
            content="记实",
            done_by=people.branch_secretary,
            by=people.branch_secretary,
        )
        services.record_return(record=record, by=people.committee_secretary, reason="请补充")

    returned_record()
    client.force_login(getattr(people, who))
    url = reverse("home")
    small = count_queries(client, url)
    for _ in range(8):
        returned_record()
    for index, organization in enumerate([tree.branch_sibling, tree.direct_branch]):
        secretary = _holder(f"secretary{index}", organization)
        other = services.list_start(organization=organization, year=branch_list.year, by=secretary)
        services.list_item_add(
            responsibility_list=other,
            category=category,
            duty_type=DutyType.ORGANIZATION,
            content="条目",
            target_period=Period.YEAR,
            target_count=1,
            by=secretary,
        )
        services.list_submit(responsibility_list=other, by=secretary)
    assert DutyRecord.objects.filter(status=DutyRecord.Status.RETURNED).count() == 9
    assert count_queries(client, url) == small
