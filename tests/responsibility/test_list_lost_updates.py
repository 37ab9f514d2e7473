"""No lost updates on a list's workflow: a review decided on an earlier submission is refused, the comment kept."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from responsibility import services
from responsibility.models import Category, DutyType, Period, ResponsibilityList
from tests.clients import signed_in
from tests.conftest import Tree

STALE = "该责任清单已被他人办理，请核对最新状态后再操作；您填写的意见仍保留在下方。"
Status = ResponsibilityList.Status


@pytest.fixture
def submitted_list(tree: Tree, people: SimpleNamespace, year: int, category: Category) -> ResponsibilityList:
    responsibility_list = services.list_start(organization=tree.branch, year=year, by=people.branch_secretary)
    services.list_item_add(
        responsibility_list=responsibility_list,
        category=category,
        duty_type=DutyType.ORGANIZATION,
        content="每月开展主题党日",
        target_period=Period.MONTH,
        target_count=1,
        by=people.branch_secretary,
    )
    return services.list_submit(responsibility_list=responsibility_list, by=people.branch_secretary)


def loaded_version(client: Client, responsibility_list: ResponsibilityList) -> str:
    body = client.get(reverse("list_detail", args=[responsibility_list.pk])).content.decode()
    match = re.search(r'name="version" value="([0-9a-f]{64})"', body)
    assert match is not None, "the list's forms carry its version"
    return match.group(1)


def act(client: Client, responsibility_list: ResponsibilityList, action: str, version: str, comment: str = "") -> Any:
    url = reverse("list_action", args=[responsibility_list.pk, action])
    return client.post(url, {"comment": comment, "version": version})


def test_approving_after_a_return_and_a_resubmission_is_refused_and_the_comment_kept(
    people: SimpleNamespace, submitted_list: ResponsibilityList
) -> None:
    returning = signed_in(people.committee_secretary)
    approving = signed_in(people.grantee)
    branch = signed_in(people.branch_secretary)
    return_version = loaded_version(returning, submitted_list)
    approve_version = loaded_version(approving, submitted_list)

    assert act(returning, submitted_list, "return", return_version, "请补充党课安排").status_code == 302
    assert act(branch, submitted_list, "submit", loaded_version(branch, submitted_list)).status_code == 302

    # 待审核 again, but not the submission the second reviewer read: their approval is refused.
    response = act(approving, submitted_list, "approve", approve_version, "同意，按计划执行")
    assert response.status_code == 200
    body = response.content.decode()
    assert STALE in body
    assert "同意，按计划执行" in body  # still in the review form, to be merged
    submitted_list.refresh_from_db()
    assert (submitted_list.status, submitted_list.review_comment) == (Status.SUBMITTED, "请补充党课安排")
    assert not submitted_list.versions.exists()

    # The re-rendered page carries the current version: having read the resubmission, approving goes through.
    current = services.list_fingerprint(submitted_list)
    assert current in body
    assert act(approving, submitted_list, "approve", current, "同意").status_code == 302
    submitted_list.refresh_from_db()
    assert submitted_list.status == Status.APPROVED


def test_a_return_over_an_approval_is_refused_and_its_comment_shown(
    people: SimpleNamespace, submitted_list: ResponsibilityList
) -> None:
    approving = signed_in(people.committee_secretary)
    returning = signed_in(people.grantee)
    approve_version = loaded_version(approving, submitted_list)
    return_version = loaded_version(returning, submitted_list)
    assert act(approving, submitted_list, "approve", approve_version, "同意").status_code == 302

    response = act(returning, submitted_list, "return", return_version, "党课安排过少")
    assert response.status_code == 200
    body = response.content.decode()
    assert STALE in body
    assert "党课安排过少" in body
    submitted_list.refresh_from_db()
    assert (submitted_list.status, submitted_list.review_comment) == (Status.APPROVED, "同意")


def test_a_normal_step_with_the_loaded_version_goes_through(
    people: SimpleNamespace, submitted_list: ResponsibilityList
) -> None:
    client = signed_in(people.committee_secretary)
    assert act(client, submitted_list, "approve", loaded_version(client, submitted_list), "同意").status_code == 302
    submitted_list.refresh_from_db()
    assert submitted_list.status == Status.APPROVED


def test_the_services_refuse_a_stale_version_and_skip_the_check_without_one(
    people: SimpleNamespace, submitted_list: ResponsibilityList
) -> None:
    stale = services.list_fingerprint(submitted_list)
    services.list_return(responsibility_list=submitted_list, comment="请补充", by=people.committee_secretary)
    with pytest.raises(services.ListChanged, match="已被他人办理"):
        services.list_submit(responsibility_list=submitted_list, by=people.branch_secretary, expected=stale)
    submitted_list.refresh_from_db()
    assert submitted_list.status == Status.RETURNED
    services.list_submit(responsibility_list=submitted_list, by=people.branch_secretary, expected=None)
    submitted_list.refresh_from_db()
    assert submitted_list.status == Status.SUBMITTED
