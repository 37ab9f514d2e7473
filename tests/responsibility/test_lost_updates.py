"""No lost updates on list items: a save over someone else's newer change is refused and the typed text kept."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from foundation.concurrency import fingerprint
from foundation.errors import DomainError
from responsibility import services
from responsibility.models import Category, DutyType, ListItem, Period, ResponsibilityList
from tests.clients import signed_in
from tests.conftest import Tree

STALE = "该内容已被他人修改，请核对后再保存；您填写的内容仍保留在下方。"


@pytest.fixture
def item(tree: Tree, people: SimpleNamespace, year: int, category: Category) -> ListItem:
    responsibility_list = services.list_start(organization=tree.branch, year=year, by=people.branch_secretary)
    return services.list_item_add(
        responsibility_list=responsibility_list,
        category=category,
        duty_type=DutyType.ORGANIZATION,
        content="每月开展主题党日",
        target_period=Period.MONTH,
        target_count=1,
        by=people.branch_secretary,
    )


def loaded_version(client: Client, item: ListItem) -> str:
    """Opens the edit form and returns the version it carries."""
    body = client.get(reverse("list_item_edit", args=[item.pk])).content.decode()
    match = re.search(r'name="version" value="([0-9a-f]{64})"', body) or re.search(
        r'value="([0-9a-f]{64})" name="version"', body
    )
    assert match is not None, "the edit form carries the item's version"
    return match.group(1)


def item_data(category: Category, version: str, content: str) -> dict[str, Any]:
    return {
        "category": category.pk,
        "duty_type": DutyType.ORGANIZATION,
        "content": content,
        "target_period": Period.MONTH,
        "target_count": "1",
        "due_date": "",
        "work_point": "",
        "responsible": "",
        "version": version,
    }


def test_the_second_save_over_a_newer_change_is_refused_and_the_typed_text_kept(
    people: SimpleNamespace, item: ListItem, category: Category
) -> None:
    first = signed_in(people.branch_secretary)
    second = signed_in(people.branch_secretary)  # another tab, or a colleague sharing the post
    url = reverse("list_item_edit", args=[item.pk])
    first_version = loaded_version(first, item)
    second_version = loaded_version(second, item)

    response = first.post(url, item_data(category, first_version, "每月开展两次主题党日"))
    assert response.status_code == 302

    response = second.post(url, item_data(category, second_version, "每季度开展一次主题党日"))
    assert response.status_code == 200
    body = response.content.decode()
    assert STALE in body
    assert "每季度开展一次主题党日" in body  # the person's unsaved text stays for them to merge
    item.refresh_from_db()
    assert item.content == "每月开展两次主题党日"  # nothing of the refused save was stored

    # The re-rendered form carries the current version: once merged, saving again goes through.
    current = fingerprint(item, services.ITEM_FIELDS)
    assert current in body
    assert second.post(url, item_data(category, current, "每月两次、每季度一次主题党日")).status_code == 302
    item.refresh_from_db()
    assert item.content == "每月两次、每季度一次主题党日"


def test_a_normal_save_still_works(people: SimpleNamespace, item: ListItem, category: Category) -> None:
    client = signed_in(people.branch_secretary)
    version = loaded_version(client, item)
    response = client.post(reverse("list_item_edit", args=[item.pk]), item_data(category, version, "新的内容"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.content == "新的内容"


def test_the_service_refuses_a_stale_version_and_skips_the_check_without_one(
    people: SimpleNamespace, item: ListItem, category: Category
) -> None:
    stale = services.item_fingerprint(item)
    fields: dict[str, Any] = {
        "category": category,
        "duty_type": DutyType.ORGANIZATION,
        "target_period": Period.MONTH,
        "target_count": 1,
        "by": people.branch_secretary,
    }
    services.list_item_update(item=item, content="第一次修改", expected=stale, **fields)
    with pytest.raises(DomainError, match="已被他人修改"):
        services.list_item_update(item=ListItem.objects.get(pk=item.pk), content="第二次修改", expected=stale, **fields)
    assert ListItem.objects.get(pk=item.pk).content == "第一次修改"
    services.list_item_update(item=ListItem.objects.get(pk=item.pk), content="不核对版本", expected=None, **fields)
    assert ListItem.objects.get(pk=item.pk).content == "不核对版本"


def test_adding_an_item_ignores_the_version_field(people: SimpleNamespace, item: ListItem, category: Category) -> None:
    responsibility_list: ResponsibilityList = item.list
    client = signed_in(people.branch_secretary)
    response = client.post(reverse("list_item_add", args=[responsibility_list.pk]), item_data(category, "", "新增一条"))
    assert response.status_code == 302
    assert responsibility_list.items.filter(content="新增一条").exists()
