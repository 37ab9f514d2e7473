"""The menu by stage and role, and the year chosen once and kept (workbench/navigation.py, foundation/years.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Position
from tests.clients import signed_in
from tests.conftest import Tree
from workbench.navigation import STAGES, menu_for

pytestmark = pytest.mark.django_db

COMMITTEE_ONLY = {"record_review_queue", "progress_overview", "rectification_board", "dashboard", "audit_log"}


def url_names(user) -> set[str]:  # type: ignore[no-untyped-def]
    hrefs = {link.href.split("?")[0] for stage in menu_for(user, "", 2026) for link in stage.links}
    return {entry.url_name for stage in STAGES for entry in stage.entries if reverse(entry.url_name) in hrefs}


def test_a_member_sees_only_what_a_member_uses(people: SimpleNamespace) -> None:
    assert url_names(people.branch_member) == {
        "meeting_home",
        "vote",
        "notification_settings",
        "password_change",
        "two_factor_settings",
    }


def test_a_branch_secretary_keeps_work_but_supervises_nothing(people: SimpleNamespace) -> None:
    names = url_names(people.branch_secretary)
    assert {"my_list", "my_reports", "my_tasks", "meeting_home", "member_rolls"} <= names
    assert not names & COMMITTEE_ONLY
    assert "organization_import" not in names


def test_a_committee_gets_its_stages_and_an_administrator_the_import(people: SimpleNamespace) -> None:
    assert url_names(people.committee_secretary) >= COMMITTEE_ONLY
    assert "organization_import" not in url_names(people.committee_secretary)
    assert "organization_import" in url_names(people.admin)


def test_a_position_that_ended_leaves_nothing_of_its_menu(people: SimpleNamespace, tree: Tree) -> None:
    position = Position.objects.get(person=people.committee_secretary, organization=tree.township)
    services.position_end(position=position)
    person = type(people.committee_secretary).objects.get(pk=people.committee_secretary.pk)
    assert not url_names(person) & (COMMITTEE_ONLY | {"my_list", "my_reports"})


def test_stages_without_entries_for_the_reader_are_left_out(people: SimpleNamespace) -> None:
    stages = [stage.key for stage in menu_for(people.branch_member, "", 2026)]
    assert stages == ["life", "review", "settings"]


def test_the_page_shown_is_marked_in_the_menu(client: Client, people: SimpleNamespace) -> None:
    page = signed_in(people.committee_secretary, client).get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("dashboard")}?year=' in page
    assert 'aria-current="page">工作台</a>' in page


# The chosen year -------------------------------------------------------------------------------


def eyebrow_year(page: str) -> str:
    return page.split('class="eyebrow">', 1)[1].split("<", 1)[0]


def test_a_year_chosen_on_one_page_holds_on_the_next(client: Client, people: SimpleNamespace) -> None:
    client = signed_in(people.committee_secretary, client)
    this_year = timezone.localdate().year
    assert eyebrow_year(client.get(reverse("dashboard")).content.decode()) == f"{this_year} 年度"
    client.get(reverse("progress_overview"), {"year": this_year - 2})
    page = client.get(reverse("dashboard")).content.decode()
    assert eyebrow_year(page) == f"{this_year - 2} 年度"
    assert f'<option value="{this_year - 2}" selected>' in page
    # A year out of range is ignored, not an error, and the choice stays.
    assert client.get(reverse("dashboard"), {"year": "1899"}).status_code == 200
    assert eyebrow_year(client.get(reverse("dashboard")).content.decode()) == f"{this_year - 2} 年度"


def test_the_switch_on_a_page_whose_address_names_a_year_reopens_it_for_the_year_asked(
    client: Client, people: SimpleNamespace, tree: Tree
) -> None:
    client = signed_in(people.branch_secretary, client)
    this_year = timezone.localdate().year
    url = reverse("list_for_org", args=[tree.branch.pk, this_year])
    response = client.get(url, {"year": this_year - 1})
    assert response.status_code == 302
    assert response["Location"] == reverse("list_for_org", args=[tree.branch.pk, this_year - 1])
    # Opening a year's page makes it the chosen year.
    client.get(url)
    assert client.session["year"] == this_year


def test_a_public_page_starts_no_session_for_the_year(client: Client) -> None:
    client.get(reverse("public_commitments"), {"year": 2025})
    assert "sessionid" not in client.cookies
