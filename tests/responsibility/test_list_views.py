"""责任清单 pages: who sees and changes a list, its workflow through the pages, bad input, query counts."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Organization, Position, User
from responsibility import services
from responsibility.models import (
    Category,
    DutyType,
    ListItem,
    ListTemplate,
    Period,
    ResponsibilityList,
    WorkPlan,
)
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import UserFactory

Role = Position.Role


def secretary_of(organization: Organization) -> User:
    person = UserFactory()
    accounts_services.position_assign(person=person, organization=organization, role=Role.SECRETARY)
    return person


def item_data(category: Category, **overrides: Any) -> dict[str, Any]:
    data = {
        "category": category.pk,
        "duty_type": DutyType.ORGANIZATION,
        "content": "每月开展主题党日",
        "target_period": Period.MONTH,
        "target_count": "1",
        "due_date": "",
        "work_point": "",
        "responsible": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft_list(tree: Tree, people: SimpleNamespace, year: int) -> ResponsibilityList:
    return services.list_start(organization=tree.branch, year=year, by=people.branch_secretary)


def published_plan(organization: Organization, year: int, by: User, category: Category, text: str) -> WorkPlan:
    plan = services.work_plan_create(organization=organization, year=year, title=f"{organization.name}要点", by=by)
    services.work_point_add(plan=plan, category=category, text=text, by=by)
    return services.work_plan_publish(plan=plan, by=by)


# Who sees a list ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("branch_secretary", 200),
        ("branch_member", 200),
        ("committee_secretary", 200),
        ("committee_party_member", 404),
        ("grantee", 200),
        ("admin", 200),
        ("outsider", 404),
    ],
)
def test_list_page_answers_by_role(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, who: str, status: int
) -> None:
    response = signed_in(getattr(people, who), client).get(reverse("list_detail", args=[branch_list.pk]))
    assert response.status_code == status


@pytest.mark.parametrize("place", ["branch_sibling", "sibling_township", "sibling_branch", "unrelated"])
def test_secretary_elsewhere_cannot_see_the_branch_list(
    client: Client, tree: Tree, branch_list: ResponsibilityList, place: str
) -> None:
    client = signed_in(secretary_of(getattr(tree, place)), client)
    assert client.get(reverse("list_detail", args=[branch_list.pk])).status_code == 404
    assert client.get(reverse("list_for_org", args=[tree.branch.pk, branch_list.year])).status_code == 404
    assert client.get(reverse("list_item_add", args=[branch_list.pk])).status_code == 404
    assert client.post(reverse("list_action", args=[branch_list.pk, "submit"])).status_code == 404


def test_list_page_requires_sign_in(client: Client, branch_list: ResponsibilityList) -> None:
    response = client.get(reverse("list_detail", args=[branch_list.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_member_sees_the_list_read_only(
    client: Client, people: SimpleNamespace, draft_list: ResponsibilityList
) -> None:
    client = signed_in(people.branch_member, client)
    body = client.get(reverse("list_detail", args=[draft_list.pk])).content.decode()
    assert "添加条目" not in body
    assert "提交审核" not in body
    assert client.get(reverse("list_item_add", args=[draft_list.pk])).status_code == 403
    assert client.post(reverse("list_action", args=[draft_list.pk, "submit"])).status_code == 403


def test_list_page_shows_items_by_duty_type_with_target_and_person(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    response = signed_in(people.branch_secretary, client).get(reverse("list_detail", args=[branch_list.pk]))
    body = response.content.decode()
    for label in ("主体责任", "第一责任人", "直接责任人", "一岗双责"):
        assert label in body
    assert "每季度至少 1 次" in body
    assert "branch_secretary" in body  # the secretary answers for 第一责任人 by default
    assert "第 1 版" in body  # the approved version is linked
    assert reverse("list_export", args=[branch_list.pk]) in body
    # Approved: locked for the branch, who may only start a revision.
    assert "发起修订" in body
    assert "添加条目" not in body


def test_item_that_went_overdue_keeps_its_tag(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    ListItem.objects.filter(list=branch_list, duty_type=DutyType.ORGANIZATION).update(missed_periods=1)
    body = signed_in(people.branch_member, client).get(reverse("list_detail", args=[branch_list.pk])).content.decode()
    assert "曾逾期" in body


def test_committee_may_review_but_not_keep_the_branch_list(
    client: Client, people: SimpleNamespace, draft_list: ResponsibilityList, category: Category
) -> None:
    committee = signed_in(people.committee_secretary, client)
    assert committee.get(reverse("list_item_add", args=[draft_list.pk])).status_code == 403
    assert committee.post(reverse("list_action", args=[draft_list.pk, "submit"])).status_code == 403
    assert committee.post(reverse("list_action", args=[draft_list.pk, "revise"])).status_code == 403


def test_branch_cannot_approve_or_close_its_own_list(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    client = signed_in(people.branch_secretary, client)
    assert client.post(reverse("list_action", args=[branch_list.pk, "approve"])).status_code == 403
    assert client.post(reverse("list_action", args=[branch_list.pk, "close"])).status_code == 403


def test_unknown_action_is_not_found_and_actions_need_post(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    client = signed_in(people.branch_secretary, client)
    assert client.post(reverse("list_action", args=[branch_list.pk, "delete"])).status_code == 404
    assert client.get(reverse("list_action", args=[branch_list.pk, "submit"])).status_code == 405


# Starting a list -----------------------------------------------------------------


def test_list_for_org_redirects_to_the_existing_list(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList
) -> None:
    response = signed_in(people.branch_member, client).get(
        reverse("list_for_org", args=[tree.branch.pk, branch_list.year + 1])
    )
    assert response.status_code == 200  # no list that year: the empty state
    response = client.get(reverse("list_for_org", args=[tree.branch.pk, branch_list.year]))
    assert response.status_code == 302
    assert response["Location"] == reverse("list_detail", args=[branch_list.pk])


def test_member_finds_a_clear_empty_state_and_may_not_start_a_list(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    client = signed_in(people.branch_member, client)
    response = client.get(reverse("list_for_org", args=[tree.branch.pk, year]))
    body = response.content.decode()
    assert "尚未建立本年度责任清单" in body
    assert "建立清单" not in body
    assert client.post(reverse("list_for_org", args=[tree.branch.pk, year])).status_code == 403
    assert not ResponsibilityList.objects.exists()


def test_secretary_starts_from_a_template_of_a_committee_above_sector_first(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, category: Category
) -> None:
    def template(organization: Organization, name: str, sector: str, by: User) -> ListTemplate:
        made = services.template_create(organization=organization, name=name, sector=sector, by=by)
        services.template_item_add(
            template=made,
            category=category,
            duty_type=DutyType.FIRST,
            content=f"{name}条目",
            target_period=Period.QUARTER,
            target_count=1,
            by=by,
        )
        return services.template_publish(template=made, by=by)

    county_secretary = secretary_of(tree.county)
    general = template(tree.county, "县委通用模板", "", county_secretary)
    rural = template(tree.township, "农村支部模板", Organization.Sector.RURAL, people.committee_secretary)
    template(tree.sibling_township, "乙镇模板", Organization.Sector.RURAL, secretary_of(tree.sibling_township))
    services.template_create(organization=tree.township, name="未发布模板", sector="", by=people.committee_secretary)

    client = signed_in(people.branch_secretary, client)
    body = client.get(reverse("list_for_org", args=[tree.branch.pk, year])).content.decode()
    assert "乙镇模板" not in body
    assert "未发布模板" not in body
    assert body.index("农村支部模板") < body.index("县委通用模板")  # the branch is rural: its sector first

    response = client.post(reverse("list_for_org", args=[tree.branch.pk, year]), {"template": rural.pk})
    started = ResponsibilityList.objects.get(organization=tree.branch, year=year)
    assert response["Location"] == reverse("list_detail", args=[started.pk])
    item = started.items.get()
    assert item.content == "农村支部模板条目"
    assert item.responsible is not None
    assert item.responsible.person == people.branch_secretary
    assert general.pk != rural.pk


def test_template_of_a_sibling_cannot_be_posted(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, category: Category
) -> None:
    by = secretary_of(tree.sibling_township)
    sibling = services.template_create(organization=tree.sibling_township, name="乙镇模板", sector="", by=by)
    services.template_item_add(
        template=sibling,
        category=category,
        duty_type=DutyType.ORGANIZATION,
        content="条目",
        target_period=Period.YEAR,
        target_count=1,
        by=by,
    )
    services.template_publish(template=sibling, by=by)
    client = signed_in(people.branch_secretary, client)
    response = client.post(reverse("list_for_org", args=[tree.branch.pk, year]), {"template": sibling.pk})
    assert response.status_code == 200
    assert not ResponsibilityList.objects.exists()


# The workflow through the pages ---------------------------------------------------


def test_list_goes_from_draft_to_approved_to_a_second_version(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, category: Category
) -> None:
    branch = Client()
    committee = Client()
    branch.force_login(people.branch_secretary)
    committee.force_login(people.committee_secretary)

    response = branch.post(reverse("list_for_org", args=[tree.branch.pk, year]), {"template": ""})
    responsibility_list = ResponsibilityList.objects.get(organization=tree.branch, year=year)
    detail = reverse("list_detail", args=[responsibility_list.pk])
    assert response["Location"] == detail

    assert (
        branch.post(reverse("list_item_add", args=[responsibility_list.pk]), item_data(category))["Location"] == detail
    )
    assert branch.post(reverse("list_action", args=[responsibility_list.pk, "submit"]))["Location"] == detail
    responsibility_list.refresh_from_db()
    assert responsibility_list.status == ResponsibilityList.Status.SUBMITTED

    queue = committee.get(reverse("list_review_queue")).content.decode()
    assert "一村党支部" in queue

    # A return needs a reason; without one nothing changes.
    body = committee.post(
        reverse("list_action", args=[responsibility_list.pk, "return"]), {"comment": ""}, follow=True
    ).content.decode()
    assert "请填写退回意见" in body
    responsibility_list.refresh_from_db()
    assert responsibility_list.status == ResponsibilityList.Status.SUBMITTED

    committee.post(reverse("list_action", args=[responsibility_list.pk, "return"]), {"comment": "请补充党课安排"})
    body = branch.get(detail).content.decode()
    assert "已退回" in body
    assert "请补充党课安排" in body

    branch.post(reverse("list_action", args=[responsibility_list.pk, "submit"]))
    committee.post(reverse("list_action", args=[responsibility_list.pk, "approve"]), {"comment": "同意"})
    responsibility_list.refresh_from_db()
    assert responsibility_list.status == ResponsibilityList.Status.APPROVED
    assert "一村党支部" not in committee.get(reverse("list_review_queue")).content.decode()

    # Approved: locked.
    body = branch.post(
        reverse("list_item_add", args=[responsibility_list.pk]), item_data(category, content="新条目")
    ).content.decode()
    assert "清单已审定锁定" in body
    assert responsibility_list.items.count() == 1

    branch.post(reverse("list_action", args=[responsibility_list.pk, "revise"]))
    responsibility_list.refresh_from_db()
    assert (responsibility_list.status, responsibility_list.version) == (ResponsibilityList.Status.DRAFT, 2)

    item = responsibility_list.items.get()
    response = branch.post(
        reverse("list_item_edit", args=[item.pk]), item_data(category, content="每月开展两次主题党日")
    )
    assert response["Location"] == detail
    item.refresh_from_db()
    assert item.content == "每月开展两次主题党日"

    body = branch.get(detail).content.decode()
    assert "第 2 版" in body
    assert reverse("list_version", args=[responsibility_list.pk, 1]) in body
    earlier = branch.get(reverse("list_version", args=[responsibility_list.pk, 1])).content.decode()
    assert "每月开展主题党日" in earlier
    assert "每月开展两次主题党日" not in earlier
    assert branch.get(reverse("list_version", args=[responsibility_list.pk, 2])).status_code == 404


def test_illegal_step_shows_the_reason(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    client = signed_in(people.committee_secretary, client)
    body = client.post(reverse("list_action", args=[branch_list.pk, "approve"]), follow=True).content.decode()
    assert "不能执行此操作" in body


def test_committee_closes_the_year_and_the_list_locks(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    signed_in(people.committee_secretary, client).post(reverse("list_action", args=[branch_list.pk, "close"]))
    branch_list.refresh_from_db()
    assert branch_list.is_closed
    client.force_login(people.branch_secretary)
    body = client.get(reverse("list_detail", args=[branch_list.pk])).content.decode()
    assert "已关闭" in body
    assert "发起修订" not in body


def test_secretary_removes_an_item_from_a_draft(
    client: Client, people: SimpleNamespace, draft_list: ResponsibilityList, category: Category
) -> None:
    client = signed_in(people.branch_secretary, client)
    # A yearly target: no period of it has ended yet, so it carries no late mark to hold it.
    client.post(reverse("list_item_add", args=[draft_list.pk]), item_data(category, target_period=Period.YEAR))
    item = draft_list.items.get()
    assert client.post(reverse("list_item_remove", args=[item.pk]))["Location"] == reverse(
        "list_detail", args=[draft_list.pk]
    )
    assert not draft_list.items.exists()


def test_removing_an_item_of_an_approved_list_is_refused(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    item = branch_list.items.first()
    assert item is not None
    body = (
        signed_in(people.branch_secretary, client)
        .post(reverse("list_item_remove", args=[item.pk]), follow=True)
        .content.decode()
    )
    assert "清单已审定锁定" in body
    assert ListItem.objects.filter(pk=item.pk).exists()


def test_sibling_cannot_edit_or_remove_an_item(client: Client, tree: Tree, branch_list: ResponsibilityList) -> None:
    item = branch_list.items.first()
    assert item is not None
    client = signed_in(secretary_of(tree.branch_sibling), client)
    assert client.get(reverse("list_item_edit", args=[item.pk])).status_code == 404
    assert client.post(reverse("list_item_remove", args=[item.pk])).status_code == 404
    assert ListItem.objects.filter(pk=item.pk).exists()


# Bad input --------------------------------------------------------------------


@pytest.mark.parametrize("count", ["0", "-2", "abc", ""])
def test_target_count_must_be_a_positive_whole_number(
    client: Client, people: SimpleNamespace, draft_list: ResponsibilityList, category: Category, count: str
) -> None:
    client = signed_in(people.branch_secretary, client)
    response = client.post(reverse("list_item_add", args=[draft_list.pk]), item_data(category, target_count=count))
    assert response.status_code == 200
    assert response.context["form"].errors["target_count"]
    assert not draft_list.items.exists()


def test_due_date_outside_the_year_is_refused(
    client: Client, people: SimpleNamespace, draft_list: ResponsibilityList, category: Category, year: int
) -> None:
    client = signed_in(people.branch_secretary, client)
    data = item_data(category, target_period=Period.ONCE, due_date=f"{year + 1}-03-01")
    body = client.post(reverse("list_item_add", args=[draft_list.pk]), data).content.decode()
    assert f"完成期限须在 {year} 年内" in body
    assert not draft_list.items.exists()
    missing = item_data(category, target_period=Period.ONCE, due_date="")
    body = client.post(reverse("list_item_add", args=[draft_list.pk]), missing).content.decode()
    assert "限期完成的条目须填写完成期限" in body
    assert not draft_list.items.exists()


def test_one_off_item_with_a_due_date_in_the_year_is_saved(
    client: Client, people: SimpleNamespace, draft_list: ResponsibilityList, category: Category, year: int
) -> None:
    client = signed_in(people.branch_secretary, client)
    data = item_data(category, target_period=Period.ONCE, due_date=f"{year}-06-30")
    client.post(reverse("list_item_add", args=[draft_list.pk]), data)
    assert draft_list.items.get().due_date == date(year, 6, 30)


def test_bad_edit_leaves_the_item_as_it_was(
    client: Client, people: SimpleNamespace, draft_list: ResponsibilityList, category: Category
) -> None:
    client = signed_in(people.branch_secretary, client)
    client.post(reverse("list_item_add", args=[draft_list.pk]), item_data(category))
    item = draft_list.items.get()
    response = client.post(
        reverse("list_item_edit", args=[item.pk]), item_data(category, content="改了", target_count="abc")
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.content, item.target_count) == ("每月开展主题党日", 1)


def test_work_points_offered_are_published_ones_from_above_this_year(
    client: Client, people: SimpleNamespace, tree: Tree, draft_list: ResponsibilityList, category: Category, year: int
) -> None:
    own = published_plan(tree.township, year, people.committee_secretary, category, "甲镇要点：落实三会一课")
    published_plan(tree.sibling_township, year, secretary_of(tree.sibling_township), category, "乙镇要点")
    published_plan(tree.township, year - 1, people.committee_secretary, category, "去年要点")
    draft = services.work_plan_create(
        organization=tree.county, year=year, title="县委草稿", by=secretary_of(tree.county)
    )
    services.work_point_add(plan=draft, category=category, text="县委未发布要点", by=people.admin)

    client = signed_in(people.branch_secretary, client)
    body = client.get(reverse("list_item_add", args=[draft_list.pk])).content.decode()
    assert "甲镇要点：落实三会一课" in body
    assert "乙镇要点" not in body
    assert "去年要点" not in body
    assert "县委未发布要点" not in body

    point = own.points.get()
    client.post(reverse("list_item_add", args=[draft_list.pk]), item_data(category, work_point=point.pk))
    assert draft_list.items.get().work_point == point

    sibling_point = WorkPlan.objects.get(organization=tree.sibling_township).points.get()
    response = client.post(
        reverse("list_item_add", args=[draft_list.pk]), item_data(category, work_point=sibling_point.pk)
    )
    assert response.context["form"].errors["work_point"]
    assert draft_list.items.count() == 1


def test_responsible_must_hold_a_position_in_the_organization(
    client: Client, people: SimpleNamespace, draft_list: ResponsibilityList, category: Category
) -> None:
    elsewhere = Position.objects.get(person=people.committee_secretary)
    client = signed_in(people.branch_secretary, client)
    response = client.post(
        reverse("list_item_add", args=[draft_list.pk]),
        item_data(category, duty_type=DutyType.DUAL, responsible=elsewhere.pk),
    )
    assert response.context["form"].errors["responsible"]
    deputy = Position.objects.get(person=people.branch_deputy)
    client.post(
        reverse("list_item_add", args=[draft_list.pk]),
        item_data(category, duty_type=DutyType.DUAL, responsible=deputy.pk),
    )
    assert draft_list.items.get().responsible == deputy


# Review queue -------------------------------------------------------------------


def test_review_queue_shows_submitted_lists_below_oldest_first(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, category: Category
) -> None:
    def submitted(organization: Organization, by: User, when: timezone.datetime) -> ResponsibilityList:
        made = services.list_start(organization=organization, year=year, by=by)
        services.list_item_add(
            responsibility_list=made,
            category=category,
            duty_type=DutyType.ORGANIZATION,
            content="条目",
            target_period=Period.YEAR,
            target_count=1,
            by=by,
        )
        services.list_submit(responsibility_list=made, by=by)
        ResponsibilityList.objects.filter(pk=made.pk).update(submitted_at=when)
        return made

    now = timezone.now()
    submitted(tree.direct_branch, secretary_of(tree.direct_branch), now)
    submitted(tree.branch, people.branch_secretary, now - timezone.timedelta(days=3))
    submitted(tree.sibling_branch, secretary_of(tree.sibling_branch), now - timezone.timedelta(days=5))

    body = signed_in(people.committee_secretary, client).get(reverse("list_review_queue")).content.decode()
    assert "乙镇一村党支部" not in body
    assert body.index("一村党支部") < body.index("三村党支部")

    client.force_login(people.branch_secretary)
    assert "暂无待审核的责任清单" in client.get(reverse("list_review_queue")).content.decode()


# Query counts -----------------------------------------------------------------


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_page_query_count_does_not_grow_with_items(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, category: Category, year: int
) -> None:
    plan = published_plan(tree.township, year, people.committee_secretary, category, "要点")
    point = plan.points.get()
    client = signed_in(people.committee_secretary, client)
    url = reverse("list_detail", args=[branch_list.pk])
    small = _count_queries(client, url)
    services.list_revise(responsibility_list=branch_list, by=people.branch_secretary)
    branch_list.refresh_from_db()
    deputy = Position.objects.get(person=people.branch_deputy)
    for index in range(12):
        services.list_item_add(
            responsibility_list=branch_list,
            category=Category.objects.all()[index % 6],
            duty_type=DutyType.DUAL,
            content=f"条目{index}",
            target_period=Period.QUARTER,
            target_count=1,
            work_point=point,
            responsible=deputy,
            by=people.branch_secretary,
        )
    services.list_submit(responsibility_list=branch_list, by=people.branch_secretary)
    services.list_approve(responsibility_list=branch_list, by=people.committee_secretary)
    assert _count_queries(client, url) == small


def test_item_form_query_count_does_not_grow_with_points_and_people(
    client: Client, people: SimpleNamespace, tree: Tree, draft_list: ResponsibilityList, category: Category, year: int
) -> None:
    plan = published_plan(tree.township, year, people.committee_secretary, category, "要点")
    client = signed_in(people.branch_secretary, client)
    url = reverse("list_item_add", args=[draft_list.pk])
    small = _count_queries(client, url)
    for index in range(8):
        services.work_point_add(plan=plan, category=category, text=f"要点{index}", by=people.committee_secretary)
        accounts_services.position_assign(person=UserFactory(), organization=tree.branch, role=Role.MEMBER)
    assert _count_queries(client, url) == small


def test_review_queue_query_count_does_not_grow(
    client: Client, people: SimpleNamespace, tree: Tree, year: int, category: Category
) -> None:
    client = signed_in(people.committee_secretary, client)
    url = reverse("list_review_queue")

    def submit(organization: Organization) -> None:
        by = secretary_of(organization)
        made = services.list_start(organization=organization, year=year, by=by)
        services.list_item_add(
            responsibility_list=made,
            category=category,
            duty_type=DutyType.ORGANIZATION,
            content="条目",
            target_period=Period.YEAR,
            target_count=1,
            by=by,
        )
        services.list_submit(responsibility_list=made, by=by)

    submit(tree.direct_branch)
    small = _count_queries(client, url)
    for index in range(6):
        submit(
            accounts_services.organization_create(
                name=f"新支部{index}", code=f"N{index}", kind=Organization.Kind.BRANCH, parent=tree.township
            )
        )
    assert _count_queries(client, url) == small
