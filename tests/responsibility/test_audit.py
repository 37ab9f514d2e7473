"""Lists, plans and commitments on the audit page (操作日志): no more than their pages show (responsibility/audit.py).

A plan and its points are the committee's own until published; a public commitment the organization's own
until published; a list, its items and the duty records are read by whoever sees the organization, drafts
included, as on the list page.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Position, User
from responsibility import services
from responsibility.models import Category, PublicCommitment, WorkPlan, WorkPoint
from tests.conftest import Tree
from tests.factories import UserFactory


def audit_page(user: Any, model: str) -> tuple[str, set[int]]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("audit_log"), {"model": model})
    assert response.status_code == 200
    return response.content.decode(), {row.history_id for row in response.context["items"]}


def history_ids(model: Any, **filters: Any) -> set[int]:
    return set(model.history.filter(**filters).values_list("history_id", flat=True))


def county_secretary(tree: Tree) -> User:
    person = UserFactory(username="county_secretary", full_name="县委书记")
    account_services.position_assign(person=person, organization=tree.county, role=Position.Role.SECRETARY)
    return person


def test_a_draft_work_plan_stays_with_its_committee_until_published(
    tree: Tree, people: SimpleNamespace, category: Category, year: int
) -> None:
    county = county_secretary(tree)
    plan = services.work_plan_create(
        organization=tree.township, year=year, title="镇党委工作要点", by=people.committee_secretary
    )
    plan.title = "镇党委工作要点（草稿改名）"
    plan.save()
    point = services.work_point_add(plan=plan, category=category, text="草稿要点", by=people.committee_secretary)
    point.text = "草稿要点（改）"
    point.save()
    draft_plan_rows = history_ids(WorkPlan, id=plan.pk)
    draft_point_rows = history_ids(WorkPoint, id=point.pk)

    text, shown = audit_page(people.committee_secretary, "responsibility.WorkPlan")
    assert draft_plan_rows <= shown
    assert "草稿改名" in text
    assert draft_point_rows <= audit_page(people.committee_secretary, "responsibility.WorkPoint")[1]
    # The county and the grantee see the township, but not its draft plan (its page is 404 to them).
    for reader in (county, people.grantee):
        text, shown = audit_page(reader, "responsibility.WorkPlan")
        assert not shown & draft_plan_rows
        assert "草稿改名" not in text
        text, shown = audit_page(reader, "responsibility.WorkPoint")
        assert not shown & draft_point_rows
        assert "草稿要点" not in text

    services.work_plan_publish(plan=plan, by=people.committee_secretary)
    point.text = "发布后修改的要点"
    point.save()
    published_plan_rows = history_ids(WorkPlan, id=plan.pk) - draft_plan_rows
    published_point_rows = history_ids(WorkPoint, id=point.pk) - draft_point_rows
    for reader in (county, people.grantee):
        text, shown = audit_page(reader, "responsibility.WorkPlan")
        assert published_plan_rows <= shown
        assert not shown & draft_plan_rows
        text, shown = audit_page(reader, "responsibility.WorkPoint")
        assert shown & history_ids(WorkPoint, id=point.pk) == published_point_rows
        assert "发布后修改的要点" in text
        # The change's old side was written before publication, when the point was the committee's only.
        assert "草稿要点（改）" not in text


def test_an_unpublished_commitment_stays_with_its_organization(tree: Tree, people: SimpleNamespace, year: int) -> None:
    for text in ("承诺初稿", "未公开的承诺内容"):
        services.commitment_save(
            organization=tree.branch, year=year, text=text, publish=False, by=people.branch_secretary
        )
    draft_rows = history_ids(PublicCommitment)
    text, shown = audit_page(people.committee_secretary, "responsibility.PublicCommitment")
    assert not shown & draft_rows
    assert "未公开的承诺内容" not in text

    services.commitment_save(
        organization=tree.branch, year=year, text="公开的承诺内容", publish=True, by=people.branch_secretary
    )
    text, shown = audit_page(people.committee_secretary, "responsibility.PublicCommitment")
    assert history_ids(PublicCommitment) - draft_rows <= shown
    assert "公开的承诺内容" in text
    assert "未公开的承诺内容" not in text  # the old side of the publishing change was a draft
    assert "未公开的承诺内容" in audit_page(people.admin, "responsibility.PublicCommitment")[0]


def test_a_draft_list_is_read_by_the_committee_as_on_the_list_page(
    tree: Tree, people: SimpleNamespace, category: Category, year: int
) -> None:
    responsibility_list = services.list_start(organization=tree.branch, year=year, by=people.branch_secretary)
    item = services.list_item_add(
        responsibility_list=responsibility_list,
        category=category,
        duty_type="organization",
        content="每月召开支委会",
        target_period="month",
        target_count=1,
        by=people.branch_secretary,
    )
    services.list_item_update(
        item=item,
        category=category,
        duty_type="organization",
        content="每月召开支委会并记录",
        target_period="month",
        target_count=1,
        by=people.branch_secretary,
    )
    client = Client()
    client.force_login(people.committee_secretary)
    assert "每月召开支委会并记录" in client.get(reverse("list_detail", args=[responsibility_list.pk])).content.decode()
    text, _shown = audit_page(people.committee_secretary, "responsibility.ListItem")
    assert "每月召开支委会并记录" in text
