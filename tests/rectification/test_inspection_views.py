"""督查 pages: plan (chosen, all children, a seeded random draw), check the draw, record, raise findings, complete.

Why one long file: an inspection's pages are one flow (plan, draw, record, raise, complete) whose later cases
build on the earlier ones' helpers; each step is a section below.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, Position
from rectification import rules, services
from rectification.models import ChecklistItem, Finding, Inspection, InspectionTarget
from responsibility.models import Category
from reviews import services as review_services
from reviews.models import Cycle, IndicatorKind
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import OrganizationFactory, UserFactory

Kind = Inspection.Kind
Outcome = InspectionTarget.Outcome


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def plan_data(**changes: Any) -> dict[str, Any]:
    """A valid POST of the new-inspection form (a scheduled inspection without targets yet), with CHANGES."""
    data: dict[str, Any] = {
        "kind": Kind.SCHEDULED,
        "title": "上半年党建工作检查",
        "planned_on": timezone.localdate().isoformat(),
        "draw_size": "",
        "draw_kind": "",
        "seed": "",
        "checklist": "",
        "rubric_cycle": "",
    }
    data.update(changes)
    return data


def new_url(organization: Organization | None = None) -> str:
    url = reverse("inspection_new")
    return f"{url}?org={organization.pk}" if organization is not None else url


def scheduled(tree: Tree, people: SimpleNamespace, *targets: Organization) -> Inspection:
    return services.inspection_plan(
        organization=tree.township,
        kind=Kind.SCHEDULED,
        title="定期检查",
        planned_on=timezone.localdate(),
        targets=list(targets) or [tree.branch, tree.direct_branch],
        checklist=["“三会一课”", "主题党日"],
        by=people.committee_secretary,
    )


def secretary_of(organization: Organization) -> Any:
    person = UserFactory()
    account_services.position_assign(person=person, organization=organization, role=Position.Role.SECRETARY)
    return person


def candidates_of(committee: Organization) -> list[rules.Candidate]:
    rows = Organization.objects.filter(path__startswith=committee.path, is_active=True).exclude(pk=committee.pk)
    return [rules.Candidate(*row) for row in rows.values_list("id", "path", "sector")]


def add_branches(tree: Tree, count: int) -> list[Organization]:
    return [
        OrganizationFactory(parent=tree.township, kind=Organization.Kind.BRANCH, code=f"C-T1-X{n}", name=f"新支部{n}")
        for n in range(count)
    ]


def rubric_cycle(tree: Tree, people: SimpleNamespace) -> Cycle:
    template = review_services.rubric_template_create(
        organization=tree.township, name="村党支部考核指标", by=people.committee_secretary
    )
    for name in ("“三会一课”落实", "为民办实事"):
        review_services.template_indicator_add(
            template=template,
            category="组织建设",
            name=name,
            guidance="",
            kind=IndicatorKind.STANDARD,
            max_points=50,
            by=people.committee_secretary,
        )
    today = timezone.localdate()
    return review_services.cycle_create(
        organization=tree.township,
        year=today.year,
        title="年度述职评议",
        report_due=today + timedelta(days=10),
        scoring_due=today + timedelta(days=20),
        ballot_opens=today,
        ballot_closes=today + timedelta(days=20),
        scope="branches",
        template=template,
        by=people.committee_secretary,
    )


# 督查列表 ----------------------------------------------------------------------


def test_committee_sees_its_inspections_newest_first_with_counts(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    older = scheduled(tree, people)
    newer = services.inspection_plan(
        organization=tree.township,
        kind=Kind.CONCENTRATED,
        title="集中督查",
        planned_on=timezone.localdate() + timedelta(days=5),
        targets=[tree.branch],
        by=people.committee_secretary,
    )
    services.finding_raise(
        organization=tree.branch,
        year=newer.year,
        source=Finding.Source.INSPECTION,
        description="台账不全",
        category=category,
        inspection=newer,
        by=people.committee_secretary,
    )
    response = signed_in(people.committee_secretary, client).get(reverse("inspections"))
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [row.pk for row in rows] == [newer.pk, older.pk]
    assert (rows[0].target_count, rows[0].finding_count) == (1, 1)
    assert (rows[1].target_count, rows[1].finding_count) == (2, 0)
    assert "新建督查" in response.content.decode()
    assert "集中督查" in response.content.decode()


def test_grantee_follows_the_township_inspections_but_plans_none(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    inspection = scheduled(tree, people)
    client = signed_in(people.grantee, client)
    response = client.get(reverse("inspections"))
    assert [row.pk for row in response.context["page"].object_list] == [inspection.pk]
    assert "新建督查" not in response.content.decode()
    assert client.get(reverse("inspection_detail", args=[inspection.pk])).status_code == 200
    assert client.get(reverse("inspection_new")).status_code == 403


def test_sibling_township_does_not_see_the_township_inspections(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    scheduled(tree, people)
    sibling = secretary_of(tree.sibling_township)
    response = signed_in(sibling, client).get(reverse("inspections"))
    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("name", ["inspections", "inspection_new"])
@pytest.mark.parametrize("role", ["branch_secretary", "branch_member", "committee_party_member", "outsider"])
def test_people_without_a_committee_are_refused_the_inspection_pages(
    client: Client, people: SimpleNamespace, name: str, role: str
) -> None:
    assert signed_in(getattr(people, role), client).get(reverse(name)).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, tree: Tree) -> None:
    response = client.get(reverse("inspections"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_list_costs_the_same_queries_for_more_inspections(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    client = signed_in(people.committee_secretary, client)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("inspections")).status_code == 200
        return len(queries)

    scheduled(tree, people)
    small = count()
    branches = add_branches(tree, 6)
    for _ in range(4):
        scheduled(tree, people, *branches)
    assert count() == small


# 新建督查 ----------------------------------------------------------------------


def test_the_new_page_lists_the_committee_subtree_to_tick(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    response = signed_in(people.committee_secretary, client).get(reverse("inspection_new"))
    assert response.status_code == 200
    assert response.context["committee"] == tree.township
    names = [organization.name for organization in response.context["candidates"]]
    assert names == ["甲镇机关党总支", "一村党支部", "二村党支部", "三村党支部"]
    assert "乙镇一村党支部" not in response.content.decode()


def test_searching_narrows_the_organizations_to_tick(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    response = signed_in(people.committee_secretary, client).get(
        reverse("inspection_new"), {"org": tree.township.pk, "q": "二村"}
    )
    assert [organization.name for organization in response.context["candidates"]] == ["二村党支部"]
    assert response.context["candidate_count"] == 1


def test_committee_plans_a_scheduled_inspection_of_chosen_organizations_with_rubric_indicators(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    cycle = rubric_cycle(tree, people)
    data = plan_data(
        targets=[tree.branch.pk, tree.direct_branch.pk],
        checklist="组织生活会\n\n  党费收缴  ",
        rubric_cycle=cycle.pk,
    )
    response = signed_in(people.committee_secretary, client).post(new_url(tree.township), data)
    inspection = Inspection.objects.get()
    assert response["Location"] == reverse("inspection_detail", args=[inspection.pk])
    assert (inspection.organization, inspection.kind, inspection.created_by) == (
        tree.township,
        Kind.SCHEDULED,
        people.committee_secretary,
    )
    assert set(inspection.targets.values_list("organization__name", flat=True)) == {"一村党支部", "三村党支部"}
    assert list(inspection.checklist.values_list("text", flat=True)) == [
        "组织生活会",
        "党费收缴",
        "“三会一课”落实",
        "为民办实事",
    ]


def test_all_direct_children_takes_every_organization_directly_below(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    data = plan_data(kind=Kind.CONCENTRATED, all_children="on", targets=[tree.direct_branch.pk, tree.branch.pk])
    signed_in(people.committee_secretary, client).post(new_url(tree.township), data)
    inspection = Inspection.objects.get()
    assert set(inspection.targets.values_list("organization__name", flat=True)) == {
        "甲镇机关党总支",
        "三村党支部",
        "一村党支部",
    }


def test_rubric_cycles_of_other_committees_cannot_be_copied(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    cycle = rubric_cycle(tree, people)
    Cycle.objects.filter(pk=cycle.pk).update(organization=tree.sibling_township)
    data = plan_data(targets=[tree.branch.pk], rubric_cycle=cycle.pk)
    response = signed_in(people.committee_secretary, client).post(new_url(tree.township), data)
    assert response.status_code == 200
    assert response.context["form"].errors["rubric_cycle"]
    assert not Inspection.objects.exists()


def test_random_inspection_is_reproducible_through_the_page(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    add_branches(tree, 4)
    client = signed_in(people.committee_secretary, client)
    data = plan_data(kind=Kind.RANDOM, title="随机抽查", draw_size=3, seed="2025-春季")
    client.post(new_url(tree.township), data)
    client.post(new_url(tree.township), {**data, "title": "再抽一次"})
    first, second = Inspection.objects.order_by("id")
    expected = set(rules.draw(candidates_of(tree.township), size=3, seed="2025-春季"))
    for inspection in (first, second):
        assert (inspection.draw_seed, inspection.draw_size, inspection.draw_candidates) == ("2025-春季", 3, 8)
        assert set(inspection.targets.values_list("organization_id", flat=True)) == expected

    response = client.get(reverse("inspection_detail", args=[first.pk]))
    page = response.content.decode()
    assert "2025-春季" in page
    assert "复核抽取" in page
    assert response.context["check"] is None

    response = client.get(reverse("inspection_detail", args=[first.pk]), {"check": "1"})
    assert response.context["check"].matches
    assert "复核一致" in response.content.decode()


def test_the_draw_check_tells_when_the_subtree_changed(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    inspection = services.inspection_plan(
        organization=tree.township,
        kind=Kind.RANDOM,
        title="随机抽查",
        planned_on=timezone.localdate(),
        draw_size=2,
        seed="fixed",
        by=people.committee_secretary,
    )
    drawn = inspection.targets.values_list("organization", flat=True).first()
    Organization.objects.filter(pk=drawn).update(is_active=False)
    response = signed_in(people.committee_secretary, client).get(
        reverse("inspection_detail", args=[inspection.pk]), {"check": "1"}
    )
    assert not response.context["check"].matches
    assert "复核不一致" in response.content.decode()


def test_random_inspection_per_sector_and_of_one_kind(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    data = plan_data(kind=Kind.RANDOM, draw_size=1, draw_per_sector="on", draw_kind=Organization.Kind.BRANCH)
    signed_in(people.committee_secretary, client).post(new_url(tree.township), data)
    inspection = Inspection.objects.get()
    assert inspection.draw_per_sector
    assert inspection.draw_kind == Organization.Kind.BRANCH
    assert inspection.draw_candidates == 3
    kinds = set(inspection.targets.values_list("organization__kind", flat=True))
    assert kinds == {Organization.Kind.BRANCH}
    sectors = list(inspection.targets.values_list("organization__sector", flat=True))
    assert len(sectors) == len(set(sectors))


def test_a_blank_seed_is_generated_and_shown(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    client = signed_in(people.committee_secretary, client)
    client.post(new_url(tree.township), plan_data(kind=Kind.RANDOM, draw_size=2))
    inspection = Inspection.objects.get()
    assert len(inspection.draw_seed) >= 8
    assert inspection.targets.count() == 2
    assert inspection.draw_seed in client.get(reverse("inspection_detail", args=[inspection.pk])).content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": Kind.RANDOM, "draw_size": 0}, "随机抽查须填写抽取数量"),
        ({"kind": Kind.RANDOM, "draw_size": ""}, "随机抽查须填写抽取数量"),
        ({"kind": Kind.SCHEDULED}, "请至少选择一个被检查组织"),
        ({"kind": Kind.SCHEDULED, "title": " "}, "这个字段是必填项"),
        ({"kind": Kind.SCHEDULED, "planned_on": "明天"}, "输入一个有效的日期"),
    ],
)
def test_bad_plans_are_refused_with_a_message_and_nothing_saved(
    client: Client, tree: Tree, people: SimpleNamespace, changes: dict[str, Any], message: str
) -> None:
    response = signed_in(people.committee_secretary, client).post(new_url(tree.township), plan_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Inspection.objects.exists()
    assert not ChecklistItem.objects.exists()


def test_a_random_draw_with_no_organization_of_that_kind_is_refused(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    data = plan_data(kind=Kind.RANDOM, draw_size=2, draw_kind=Organization.Kind.WORKING_COMMITTEE)
    response = signed_in(people.committee_secretary, client).post(new_url(tree.township), data)
    assert "下级没有可抽取的组织" in response.content.decode()
    assert not Inspection.objects.exists()


def test_a_township_cannot_inspect_outside_its_subtree(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    client = signed_in(people.committee_secretary, client)
    unseen = client.post(new_url(tree.township), plan_data(targets=[tree.branch.pk, tree.sibling_branch.pk]))
    assert "所选组织不在本组织的下级范围内" in unseen.content.decode()
    itself = client.post(new_url(tree.township), plan_data(targets=[tree.township.pk]))
    assert "“甲镇党委”不是本组织的下级组织" in itself.content.decode()
    assert not Inspection.objects.exists()


def test_an_administrator_is_refused_organizations_of_another_subtree_by_name(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    response = signed_in(people.admin, client).post(new_url(tree.township), plan_data(targets=[tree.sibling_branch.pk]))
    assert "“乙镇一村党支部”不是本组织的下级组织" in response.content.decode()
    assert not Inspection.objects.exists()


def test_a_township_cannot_plan_for_another_committee(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    client = signed_in(people.committee_secretary, client)
    assert client.get(new_url(tree.sibling_township)).status_code == 404
    assert client.get(new_url(tree.county)).status_code == 404
    assert client.get(new_url(tree.general)).status_code == 403
    assert client.post(new_url(tree.sibling_township), plan_data(targets=[tree.sibling_branch.pk])).status_code == 404
    assert not Inspection.objects.exists()


def test_someone_keeping_two_committees_chooses_one_first(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    account_services.position_assign(
        person=people.committee_secretary, organization=tree.general, role=Position.Role.COMMITTEE_MEMBER
    )
    client = signed_in(people.committee_secretary, client)
    response = client.get(reverse("inspection_new"))
    assert response.context["committee"] is None
    assert list(response.context["committees"]) == [tree.township, tree.general]
    response = client.get(new_url(tree.general))
    assert [organization.name for organization in response.context["candidates"]] == ["一村党支部", "二村党支部"]


def test_the_new_page_costs_the_same_queries_for_a_larger_subtree(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    client = signed_in(people.committee_secretary, client)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(new_url(tree.township)).status_code == 200
        return len(queries)

    small = count()
    add_branches(tree, 8)
    assert count() == small


# 督查详情与完成 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("committee_secretary", 200),
        ("committee_member", 200),
        ("committee_staff", 200),
        ("grantee", 200),
        ("admin", 200),
        ("committee_party_member", 403),
        ("branch_secretary", 403),
        ("branch_member", 403),
        ("outsider", 404),
    ],
)
def test_who_may_open_an_inspection(
    client: Client, tree: Tree, people: SimpleNamespace, role: str, status: int
) -> None:
    inspection = scheduled(tree, people)
    response = signed_in(getattr(people, role), client).get(reverse("inspection_detail", args=[inspection.pk]))
    assert response.status_code == status


def test_a_sibling_township_gets_404_for_the_inspection_and_its_targets(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    inspection = scheduled(tree, people)
    target = inspection.targets.get(organization=tree.branch)
    client = signed_in(secretary_of(tree.sibling_township), client)
    assert client.get(reverse("inspection_detail", args=[inspection.pk])).status_code == 404
    assert client.get(reverse("inspection_target", args=[target.pk])).status_code == 404
    assert client.post(reverse("inspection_complete", args=[inspection.pk])).status_code == 404


def test_the_detail_shows_the_plan_checklist_targets_and_findings(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    inspection = scheduled(tree, people)
    finding = services.finding_raise(
        organization=tree.branch,
        year=inspection.year,
        source=Finding.Source.INSPECTION,
        description="党员学习记录缺失",
        category=category,
        inspection=inspection,
        by=people.committee_secretary,
    )
    response = signed_in(people.committee_secretary, client).get(reverse("inspection_detail", args=[inspection.pk]))
    page = response.content.decode()
    for text in ("定期检查", "“三会一课”", "主题党日", "一村党支部", "三村党支部", "党员学习记录缺失", "完成督查"):
        assert text in page
    assert f"{reverse('task_new')}?findings={finding.pk}" in page
    target = inspection.targets.get(organization=tree.branch)
    assert reverse("inspection_target", args=[target.pk]) in page
    counts = {row.organization.name: row.finding_count for row in response.context["targets"]}
    assert counts == {"一村党支部": 1, "三村党支部": 0}


def test_completing_is_refused_while_targets_are_pending_then_succeeds(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    inspection = scheduled(tree, people)
    client = signed_in(people.committee_secretary, client)
    response = client.post(reverse("inspection_complete", args=[inspection.pk]))
    assert "还有 2 个组织未记录检查结果" in messages_of(response)[0]
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.PLANNED

    for target in inspection.targets.all():
        data = {"action": "record", "outcome": Outcome.PASS, "notes": "", "checked_on": timezone.localdate()}
        client.post(reverse("inspection_target", args=[target.pk]), data)
    response = client.post(reverse("inspection_complete", args=[inspection.pk]))
    assert messages_of(response)[-1] == "督查已完成。"
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.DONE
    page = client.get(reverse("inspection_detail", args=[inspection.pk])).content.decode()
    assert "已完成" in page
    assert 'action="/rectification/inspections/' not in page


def test_completing_twice_says_so(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    inspection = scheduled(tree, people, tree.branch)
    target = inspection.targets.get()
    services.inspection_record(
        target=target, outcome=Outcome.GOOD, notes="", checked_on=timezone.localdate(), by=people.committee_secretary
    )
    services.inspection_complete(inspection=inspection, by=people.committee_secretary)
    response = signed_in(people.committee_secretary, client).post(reverse("inspection_complete", args=[inspection.pk]))
    assert messages_of(response) == ["督查已完成。"]


def test_completing_needs_post_and_is_refused_to_a_branch(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    inspection = scheduled(tree, people)
    assert (
        signed_in(people.committee_secretary, client)
        .get(reverse("inspection_complete", args=[inspection.pk]))
        .status_code
        == 405
    )
    assert (
        signed_in(people.branch_secretary, client)
        .post(reverse("inspection_complete", args=[inspection.pk]))
        .status_code
        == 403
    )


def test_the_detail_costs_the_same_queries_for_more_targets_and_findings(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    client = signed_in(people.committee_secretary, client)

    def count(inspection: Inspection) -> int:
        for target in inspection.targets.select_related("organization"):
            services.finding_raise(
                organization=target.organization,
                year=inspection.year,
                source=Finding.Source.INSPECTION,
                description="问题",
                category=category,
                inspection=inspection,
                by=people.committee_secretary,
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("inspection_detail", args=[inspection.pk]), {"check": "1"})
            assert response.status_code == 200
        return len(queries)

    def random(size: int) -> Inspection:
        return services.inspection_plan(
            organization=tree.township,
            kind=Kind.RANDOM,
            title="随机抽查",
            planned_on=timezone.localdate(),
            draw_size=size,
            checklist=["要点"] * size,
            by=people.committee_secretary,
        )

    small = count(random(1))
    add_branches(tree, 8)
    large = random(10)
    assert large.targets.count() == 10
    assert count(large) == small


# 被检查组织 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("committee_secretary", 200),
        ("committee_deputy", 200),
        ("grantee", 200),
        ("admin", 200),
        ("branch_secretary", 403),
        ("branch_deputy", 403),
        ("branch_member", 403),
        ("committee_party_member", 404),
        ("outsider", 404),
    ],
)
def test_who_may_inspect_a_target(client: Client, tree: Tree, people: SimpleNamespace, role: str, status: int) -> None:
    target = scheduled(tree, people).targets.get(organization=tree.branch)
    assert signed_in(getattr(people, role), client).get(reverse("inspection_target", args=[target.pk])).status_code == (
        status
    )


def test_a_township_may_not_record_on_the_county_inspection_of_its_own_branch(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    county_inspection = services.inspection_plan(
        organization=tree.county,
        kind=Kind.SCHEDULED,
        title="县委督查",
        planned_on=timezone.localdate(),
        targets=[tree.branch],
        by=people.admin,
    )
    target = county_inspection.targets.get()
    client = signed_in(people.committee_secretary, client)
    assert client.get(reverse("inspection_target", args=[target.pk])).status_code == 403
    assert client.get(reverse("inspection_detail", args=[county_inspection.pk])).status_code == 403


def test_recording_a_result_saves_it_and_starts_the_inspection(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    inspection = scheduled(tree, people)
    target = inspection.targets.get(organization=tree.branch)
    yesterday = timezone.localdate() - timedelta(days=1)
    data = {"action": "record", "outcome": Outcome.FAIL, "notes": "记录不全", "checked_on": yesterday.isoformat()}
    response = signed_in(people.committee_member, client).post(reverse("inspection_target", args=[target.pk]), data)
    assert response["Location"] == reverse("inspection_target", args=[target.pk])
    assert messages_of(response) == ["已记录检查结果。"]
    target.refresh_from_db()
    assert (target.outcome, target.notes, target.checked_on) == (Outcome.FAIL, "记录不全", yesterday)
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"checked_on": (timezone.localdate() + timedelta(days=1)).isoformat()}, "检查日期不能晚于今天"),
        ({"outcome": Outcome.PENDING}, "选择一个有效的选项"),
        ({"outcome": ""}, "这个字段是必填项"),
        ({"checked_on": ""}, "这个字段是必填项"),
    ],
)
def test_bad_results_are_refused_and_nothing_changes(
    client: Client, tree: Tree, people: SimpleNamespace, changes: dict[str, Any], message: str
) -> None:
    target = scheduled(tree, people).targets.get(organization=tree.branch)
    data = {"action": "record", "outcome": Outcome.GOOD, "notes": "好", "checked_on": timezone.localdate(), **changes}
    response = signed_in(people.committee_secretary, client).post(reverse("inspection_target", args=[target.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    target.refresh_from_db()
    assert (target.outcome, target.notes, target.checked_on) == (Outcome.PENDING, "", None)


def test_results_cannot_change_after_completion(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    inspection = scheduled(tree, people, tree.branch)
    target = inspection.targets.get()
    services.inspection_record(
        target=target, outcome=Outcome.GOOD, notes="好", checked_on=timezone.localdate(), by=people.committee_secretary
    )
    services.inspection_complete(inspection=inspection, by=people.committee_secretary)
    client = signed_in(people.committee_secretary, client)
    page = client.get(reverse("inspection_target", args=[target.pk])).content.decode()
    assert "督查已完成，检查结果不能再修改" in page
    data = {"action": "record", "outcome": Outcome.FAIL, "notes": "", "checked_on": timezone.localdate()}
    response = client.post(reverse("inspection_target", args=[target.pk]), data)
    assert "督查已完成，不能再修改" in response.content.decode()
    target.refresh_from_db()
    assert target.outcome == Outcome.GOOD


def test_raising_findings_from_a_target_marks_them_inspection_and_links_them(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    inspection = scheduled(tree, people)
    target = inspection.targets.get(organization=tree.branch)
    client = signed_in(people.committee_secretary, client)
    url = reverse("inspection_target", args=[target.pk])
    for text in ("“三会一课”记录不全", "党费收缴不及时"):
        data = {"action": "finding", "category": category.pk, "severity": Finding.Severity.MAJOR, "description": text}
        response = client.post(url, data)
        assert response["Location"] == url
    findings = list(Finding.objects.order_by("id"))
    assert [finding.description for finding in findings] == ["“三会一课”记录不全", "党费收缴不及时"]
    for finding in findings:
        assert (finding.source, finding.inspection, finding.organization) == (
            Finding.Source.INSPECTION,
            inspection,
            tree.branch,
        )
        assert (finding.severity, finding.category, finding.year) == (Finding.Severity.MAJOR, category, inspection.year)
        assert finding.created_by == people.committee_secretary
    page = client.get(url).content.decode()
    for finding in findings:
        assert f"{reverse('task_new')}?findings={finding.pk}" in page


def test_a_finding_worded_like_last_years_is_flagged_recurring_once_confirmed(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    inspection = scheduled(tree, people)
    services.finding_raise(
        organization=tree.branch,
        year=inspection.year - 1,
        source=Finding.Source.REVIEW,
        description="党费收缴不及时",
        category=category,
        by=people.committee_secretary,
    )
    target = inspection.targets.get(organization=tree.branch)
    data = {"action": "finding", "category": category.pk, "severity": "minor", "description": "党费收缴仍不及时"}
    response = signed_in(people.committee_secretary, client).post(reverse("inspection_target", args=[target.pk]), data)
    again = Finding.objects.get(description="党费收缴仍不及时")
    assert again.recurrence_to_confirm
    assert not again.is_recurring
    services.finding_recurrence_confirm(finding=again, by=people.committee_secretary)
    assert "往年同类问题" in signed_in(people.committee_secretary, client).get(response["Location"]).content.decode()


def test_a_finding_without_a_description_is_refused(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    target = scheduled(tree, people).targets.get(organization=tree.branch)
    data = {"action": "finding", "category": category.pk, "severity": "minor", "description": "  "}
    response = signed_in(people.committee_secretary, client).post(reverse("inspection_target", args=[target.pk]), data)
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert not Finding.objects.exists()


def test_branch_people_cannot_raise_findings_on_their_own_branch(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    target = scheduled(tree, people).targets.get(organization=tree.branch)
    data = {"action": "finding", "category": category.pk, "severity": "minor", "description": "自己提"}
    response = signed_in(people.branch_secretary, client).post(reverse("inspection_target", args=[target.pk]), data)
    assert response.status_code == 403
    assert not Finding.objects.exists()


def test_an_unknown_action_is_not_found(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    target = scheduled(tree, people).targets.get(organization=tree.branch)
    response = signed_in(people.committee_secretary, client).post(
        reverse("inspection_target", args=[target.pk]), {"action": "delete"}
    )
    assert response.status_code == 404


def test_the_target_page_costs_the_same_queries_for_more_findings(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    inspection = scheduled(tree, people)
    target = inspection.targets.get(organization=tree.branch)
    client = signed_in(people.committee_secretary, client)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("inspection_target", args=[target.pk])).status_code == 200
        return len(queries)

    def raise_findings(number: int) -> None:
        for n in range(number):
            services.finding_raise(
                organization=tree.branch,
                year=inspection.year,
                source=Finding.Source.INSPECTION,
                description=f"问题{n}",
                category=category,
                inspection=inspection,
                by=people.committee_secretary,
            )

    raise_findings(1)
    small = count()
    raise_findings(6)
    assert count() == small


def test_the_menu_links_committees_to_inspections(client: Client, people: SimpleNamespace) -> None:
    page = signed_in(people.committee_secretary, client).get(reverse("inspections")).content.decode()
    assert f'href="{reverse("inspections")}?year=' in page
    assert 'aria-current="page">督查</a>' in page
    branch_page = signed_in(people.branch_secretary, client).get(reverse("home")).content.decode()
    assert reverse("inspections") not in branch_page
