"""年度工作要点 and 清单模板 pages, and the coverage of points down the tree: who sees what, counts, query cost."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import Organization, Position, User
from responsibility import services
from responsibility.models import Category, DutyType, ListTemplate, Period, WorkPlan, WorkPoint
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import UserFactory

Kind = Organization.Kind


def secretary_of(organization: Organization) -> User:
    person = UserFactory()
    accounts_services.position_assign(person=person, organization=organization, role=Position.Role.SECRETARY)
    return person


@pytest.fixture
def plan(tree: Tree, people: SimpleNamespace, category: Category, year: int) -> WorkPlan:
    """The township's published plan with two points."""
    made = services.work_plan_create(
        organization=tree.township, year=year, title="甲镇党委年度工作要点", by=people.committee_secretary
    )
    services.work_point_add(plan=made, category=category, text="落实三会一课制度", by=people.committee_secretary)
    services.work_point_add(plan=made, category=category, text="开展主题党日活动", by=people.committee_secretary)
    return services.work_plan_publish(plan=made, by=people.committee_secretary)


def break_down(organization: Organization, year: int, points: list[WorkPoint], category: Category) -> None:
    """Gives the organization this year's list with one item per point."""
    by = Position.objects.filter(organization=organization, role=Position.Role.SECRETARY).first()
    person = by.person if by else secretary_of(organization)
    responsibility_list = services.list_start(organization=organization, year=year, by=person)
    for point in points:
        services.list_item_add(
            responsibility_list=responsibility_list,
            category=category,
            duty_type=DutyType.ORGANIZATION,
            content=f"落实：{point.text}",
            target_period=Period.YEAR,
            target_count=1,
            work_point=point,
            by=person,
        )


# Plans: who sees and changes them -------------------------------------------------


def test_committee_creates_fills_and_publishes_a_plan(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category, year: int
) -> None:
    client = signed_in(people.committee_secretary, client)
    response = client.post(reverse("work_plans"), {"organization": tree.township.pk, "year": year, "title": "甲镇要点"})
    plan = WorkPlan.objects.get(organization=tree.township, year=year)
    detail = reverse("work_plan_detail", args=[plan.pk])
    assert response["Location"] == detail

    body = client.post(detail, {"action": "publish"}, follow=True).content.decode()
    assert "请先添加至少一条工作要点" in body

    client.post(detail, {"action": "add_point", "category": category.pk, "text": "落实三会一课"})
    assert client.post(detail, {"action": "publish"})["Location"] == detail
    plan.refresh_from_db()
    assert plan.is_published
    body = client.get(detail).content.decode()
    assert "落实三会一课" in body
    assert reverse("work_plan_coverage", args=[plan.pk]) in body


def test_second_plan_for_the_same_year_is_refused(
    client: Client, people: SimpleNamespace, tree: Tree, plan: WorkPlan
) -> None:
    client = signed_in(people.committee_secretary, client)
    response = client.post(
        reverse("work_plans"), {"organization": tree.township.pk, "year": plan.year, "title": "又一份"}
    )
    assert response.status_code == 200
    assert "年度工作要点已存在" in response.content.decode()
    assert WorkPlan.objects.count() == 1


def test_branch_cannot_create_a_plan_for_a_committee_it_does_not_keep(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    client = signed_in(people.branch_secretary, client)
    body = client.get(reverse("work_plans")).content.decode()
    assert "制定年度工作要点" not in body
    response = client.post(reverse("work_plans"), {"organization": tree.township.pk, "year": year, "title": "x"})
    assert response.status_code == 200
    assert not WorkPlan.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("committee_secretary", 200),
        ("branch_secretary", 200),
        ("branch_member", 200),
        ("committee_party_member", 200),
        ("grantee", 200),
        ("outsider", 404),
    ],
)
def test_published_plan_reaches_the_subtree(
    client: Client, people: SimpleNamespace, plan: WorkPlan, who: str, status: int
) -> None:
    client = signed_in(getattr(people, who), client)
    assert client.get(reverse("work_plan_detail", args=[plan.pk])).status_code == status
    listed = plan.title in client.get(reverse("work_plans")).content.decode()
    assert listed is (status == 200)


@pytest.mark.parametrize("place", ["sibling_township", "sibling_branch", "unrelated", "unrelated_branch"])
def test_plan_is_hidden_from_siblings_and_unrelated(client: Client, tree: Tree, plan: WorkPlan, place: str) -> None:
    client = signed_in(secretary_of(getattr(tree, place)), client)
    assert client.get(reverse("work_plan_detail", args=[plan.pk])).status_code == 404
    assert client.get(reverse("work_plan_coverage", args=[plan.pk])).status_code == 404
    assert plan.title not in client.get(reverse("work_plans")).content.decode()


def test_draft_plan_is_seen_only_by_its_committee(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    draft = services.work_plan_create(organization=tree.township, year=year, title="草稿要点", by=people.admin)
    assert (
        signed_in(people.branch_secretary, client).get(reverse("work_plan_detail", args=[draft.pk])).status_code == 404
    )
    client.force_login(people.committee_deputy)
    assert "草稿要点" in client.get(reverse("work_plans")).content.decode()


def test_branch_may_read_but_not_change_the_plan(
    client: Client, people: SimpleNamespace, plan: WorkPlan, category: Category
) -> None:
    client = signed_in(people.branch_secretary, client)
    detail = reverse("work_plan_detail", args=[plan.pk])
    body = client.get(detail).content.decode()
    assert "添加要点" not in body
    assert client.post(detail, {"action": "add_point", "category": category.pk, "text": "x"}).status_code == 403
    assert client.get(reverse("work_plan_coverage", args=[plan.pk])).status_code == 403
    assert plan.points.count() == 2


def test_point_already_broken_down_cannot_be_removed(
    client: Client, people: SimpleNamespace, tree: Tree, plan: WorkPlan, category: Category
) -> None:
    used, unused = list(plan.points.all())
    break_down(tree.branch, plan.year, [used], category)
    client = signed_in(people.committee_secretary, client)
    detail = reverse("work_plan_detail", args=[plan.pk])
    body = client.post(detail, {"action": "remove_point", "point": used.pk}, follow=True).content.decode()
    assert "已有下级清单落实该要点" in body
    client.post(detail, {"action": "remove_point", "point": unused.pk})
    assert list(plan.points.all()) == [used]
    assert client.post(detail, {"action": "remove_point", "point": "x"}).status_code == 404
    assert client.post(detail, {"action": "rename"}).status_code == 404


# Coverage -----------------------------------------------------------------------


def test_coverage_counts_missing_points_per_child(
    client: Client, people: SimpleNamespace, tree: Tree, plan: WorkPlan, category: Category
) -> None:
    first, second = list(plan.points.all())
    break_down(tree.branch, plan.year, [first, second], category)
    break_down(tree.branch_sibling, plan.year, [first], category)
    break_down(tree.direct_branch, plan.year, [second], category)
    # A list of another year does not count.
    break_down(tree.general, plan.year + 1, [], category)

    client = signed_in(people.committee_secretary, client)
    response = client.get(reverse("work_plan_coverage", args=[plan.pk]))
    rows = {
        row.organization.name: (row.total, row.missing_any, row.missing_by_point) for row in response.context["rows"]
    }
    assert rows == {
        "甲镇机关党总支": (3, 2, [1, 2]),  # the general branch itself has no list; 二村 lacks the second point
        "三村党支部": (1, 1, [1, 0]),
    }
    assert response.context["missing_here"] is None

    drill = client.get(reverse("work_plan_coverage", args=[plan.pk]), {"under": tree.general.pk})
    rows = {row.organization.name: (row.total, row.missing_any, row.missing_by_point) for row in drill.context["rows"]}
    assert rows == {"一村党支部": (1, 0, [0, 0]), "二村党支部": (1, 1, [0, 1])}
    assert [point.text for point in drill.context["missing_here"]] == ["落实三会一课制度", "开展主题党日活动"]

    leaf = client.get(reverse("work_plan_coverage", args=[plan.pk]), {"under": tree.branch_sibling.pk})
    assert leaf.context["rows"] == []
    assert [point.text for point in leaf.context["missing_here"]] == ["开展主题党日活动"]
    assert "开展主题党日活动" in leaf.content.decode()


def test_coverage_ignores_revoked_organizations(
    client: Client, people: SimpleNamespace, tree: Tree, plan: WorkPlan
) -> None:
    Organization.objects.filter(pk=tree.branch_sibling.pk).update(is_active=False)
    response = signed_in(people.committee_secretary, client).get(reverse("work_plan_coverage", args=[plan.pk]))
    totals = {row.organization.name: row.total for row in response.context["rows"]}
    assert totals == {"甲镇机关党总支": 2, "三村党支部": 1}


def test_coverage_drill_down_stays_inside_the_plan_subtree(
    client: Client, people: SimpleNamespace, tree: Tree, plan: WorkPlan
) -> None:
    client = signed_in(people.committee_secretary, client)
    url = reverse("work_plan_coverage", args=[plan.pk])
    assert client.get(url, {"under": tree.sibling_branch.pk}).status_code == 404
    assert client.get(url, {"under": tree.county.pk}).status_code == 404
    assert client.get(url, {"under": "abc"}).status_code == 404


def test_coverage_is_for_the_committee_and_those_above(
    client: Client, people: SimpleNamespace, tree: Tree, plan: WorkPlan
) -> None:
    url = reverse("work_plan_coverage", args=[plan.pk])
    assert signed_in(people.committee_member, client).get(url).status_code == 200
    client.force_login(people.grantee)
    assert client.get(url).status_code == 200
    client.force_login(secretary_of(tree.county))
    assert client.get(url).status_code == 200
    client.force_login(people.committee_party_member)
    assert client.get(url).status_code == 403


def test_coverage_of_a_draft_plan_says_it_is_not_published(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category, year: int
) -> None:
    draft = services.work_plan_create(organization=tree.township, year=year, title="草稿", by=people.admin)
    body = (
        signed_in(people.committee_secretary, client)
        .get(reverse("work_plan_coverage", args=[draft.pk]))
        .content.decode()
    )
    assert "尚未发布" in body


def _grow(parent: Organization, count: int, plan: WorkPlan, category: Category) -> None:
    """Adds general branches with two branches each, half of which break the first point down."""
    points = list(plan.points.all())
    for index in range(count):
        general = accounts_services.organization_create(
            name=f"总支{index}", code=f"{parent.code}-G{index}", kind=Kind.GENERAL_BRANCH, parent=parent
        )
        for leaf in range(2):
            branch = accounts_services.organization_create(
                name=f"支部{index}-{leaf}", code=f"{general.code}-B{leaf}", kind=Kind.BRANCH, parent=general
            )
            if leaf == 0:
                break_down(branch, plan.year, points[:1], category)


@pytest.mark.parametrize("drill", [False, True])
def test_coverage_query_count_does_not_grow_with_the_subtree(
    client: Client, people: SimpleNamespace, tree: Tree, plan: WorkPlan, category: Category, drill: bool
) -> None:
    client = signed_in(people.committee_secretary, client)
    url = reverse("work_plan_coverage", args=[plan.pk])
    params = {"under": tree.general.pk} if drill else {}

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        return len(queries)

    small = count()
    _grow(tree.general if drill else tree.township, 8, plan, category)
    assert count() == small
    rows = client.get(url, params).context["rows"]
    grown = [row for row in rows if row.organization.name.startswith("总支")]
    assert len(grown) == 8
    assert all((row.total, row.missing_any, row.missing_by_point) == (3, 3, [2, 3]) for row in grown)


def test_coverage_children_are_paginated(client: Client, people: SimpleNamespace, tree: Tree, plan: WorkPlan) -> None:
    for index in range(51):
        accounts_services.organization_create(
            name=f"支部{index:02d}", code=f"P{index:02d}", kind=Kind.BRANCH, parent=tree.township
        )
    client = signed_in(people.committee_secretary, client)
    url = reverse("work_plan_coverage", args=[plan.pk])
    assert len(client.get(url).context["rows"]) == 50
    second = client.get(url, {"under": tree.township.pk, "page": 2})
    assert len(second.context["rows"]) == 3
    assert "第 2 页" in second.content.decode()


def test_plans_page_query_count_does_not_grow(
    client: Client, people: SimpleNamespace, tree: Tree, plan: WorkPlan, category: Category
) -> None:
    client = signed_in(people.branch_secretary, client)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("work_plans")).status_code == 200
        return len(queries)

    small = count()
    for offset in range(1, 5):
        by = people.committee_secretary
        more = services.work_plan_create(
            organization=tree.township, year=plan.year - offset, title=f"要点{offset}", by=by
        )
        services.work_point_add(plan=more, category=category, text="要点", by=by)
        services.work_plan_publish(plan=more, by=by)
    assert count() == small


# Templates ----------------------------------------------------------------------


def test_committee_builds_and_publishes_a_template(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category
) -> None:
    client = signed_in(people.committee_secretary, client)
    response = client.post(
        reverse("list_templates"),
        {"organization": tree.township.pk, "name": "农村党支部清单模板", "sector": Organization.Sector.RURAL},
    )
    template = ListTemplate.objects.get()
    detail = reverse("list_template_detail", args=[template.pk])
    assert response["Location"] == detail

    bad = client.post(
        detail,
        {
            "action": "add_item",
            "category": category.pk,
            "duty_type": DutyType.FIRST,
            "content": "讲党课",
            "target_period": Period.QUARTER,
            "target_count": "0",
        },
    )
    assert bad.context["form"].errors["target_count"]
    assert not template.items.exists()

    client.post(
        detail,
        {
            "action": "add_item",
            "category": category.pk,
            "duty_type": DutyType.FIRST,
            "content": "讲党课",
            "target_period": Period.QUARTER,
            "target_count": "1",
        },
    )
    client.post(detail, {"action": "publish"})
    template.refresh_from_db()
    assert template.is_published
    assert "每季度至少 1 次" in client.get(detail).content.decode()


def test_published_template_reaches_organizations_below_read_only(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category
) -> None:
    template = services.template_create(
        organization=tree.township, name="甲镇模板", sector="", by=people.committee_secretary
    )
    draft = services.template_create(organization=tree.township, name="甲镇草稿模板", sector="", by=people.admin)
    services.template_item_add(
        template=template,
        category=category,
        duty_type=DutyType.ORGANIZATION,
        content="条目",
        target_period=Period.YEAR,
        target_count=1,
        by=people.committee_secretary,
    )
    services.template_publish(template=template, by=people.committee_secretary)

    client = signed_in(people.branch_secretary, client)
    body = client.get(reverse("list_templates")).content.decode()
    assert "甲镇模板" in body
    assert "甲镇草稿模板" not in body
    detail = reverse("list_template_detail", args=[template.pk])
    assert client.get(detail).status_code == 200
    assert client.post(detail, {"action": "publish"}).status_code == 403
    assert client.get(reverse("list_template_detail", args=[draft.pk])).status_code == 404

    client.force_login(secretary_of(tree.sibling_township))
    assert client.get(detail).status_code == 404
    assert "甲镇模板" not in client.get(reverse("list_templates")).content.decode()
