"""The committee's view of organizational life across its subtree (组织生活统计): figures by child organization and
by kind, drill-down, the Excel export, who may see it, and a query count that does not grow with the tree."""

from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.figures_cache import mark_changed
from accounts.models import Organization
from meetings import overview, progress, services
from meetings.models import KindYear, LifeYear, MeetingKind
from tests.clients import signed_in
from tests.factories import OrganizationFactory
from tests.meetings.conftest import plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(tree: Any, people: SimpleNamespace, life: SimpleNamespace) -> SimpleNamespace:
    """One 党员大会 of 一村党支部 held this year: 3 of its 6 members present (the 流动党员 among the absent),
    and the year stored for every organization of the township's subtree."""
    meeting = plan(tree.branch, people.branch_secretary)
    for member in (life.secretary, life.deputy, life.member):
        row = meeting.attendances.get(member=member)
        services.attendance_mark(row=row, by=people.branch_secretary, status="present")
    services.meeting_close(meeting=meeting, by=people.branch_secretary, minutes="传达学习")
    year = timezone.localdate().year
    progress.refresh([tree.township.pk, tree.general.pk, tree.branch.pk, tree.branch_sibling.pk], year)
    return SimpleNamespace(meeting=meeting, year=year)


def _rows(response: Any) -> dict[str, Any]:
    return {row.label: row.figures for row in response.context["overview"].rows}


def test_the_township_sees_its_subtree_by_child_organization(
    tree: Any, people: SimpleNamespace, held: SimpleNamespace
) -> None:
    response = signed_in(people.committee_secretary).get(reverse("life_overview"))
    assert response.status_code == 200
    rows = _rows(response)
    assert list(rows) == ["甲镇党委", "甲镇机关党总支", "三村党支部"]
    general = rows["甲镇机关党总支"]
    # The general branch's subtree: itself, 一村 and 二村 (三村 was not refreshed, so has no stored year).
    assert general.organizations == 3
    assert (general.meetings, general.expected, general.present) == (1, 6, 3)
    assert general.attendance_rate == 50
    # 赵三 on 二村's roll took part in nothing either.
    assert (general.members, general.unseen, general.migrants, general.unreached) == (7, 4, 1, 1)
    assert rows["三村党支部"].organizations == 0
    total = response.context["overview"].total
    assert total.organizations == 4
    assert total.members == 7
    assert "组织生活统计" in response.content.decode()


def test_a_committee_row_drills_down_and_a_branch_row_opens_its_year(
    tree: Any, people: SimpleNamespace, held: SimpleNamespace
) -> None:
    client = signed_in(people.committee_secretary)
    page = client.get(reverse("life_overview")).content.decode()
    assert f'href="{reverse("life_overview_org", args=[tree.general.pk])}?year={held.year}"' in page
    drilled = client.get(reverse("life_overview_org", args=[tree.general.pk]), {"year": held.year})
    assert drilled.status_code == 200
    rows = _rows(drilled)
    assert list(rows) == ["甲镇机关党总支", "一村党支部", "二村党支部"]
    assert rows["一村党支部"].present == 3
    assert rows["二村党支部"].meetings == 0
    assert not any(row.drill for row in drilled.context["overview"].rows)
    try:
        year_url = reverse("meeting_year", args=[tree.branch.pk, held.year])
    except NoReverseMatch:  # the branch's year page is the lead's; until it lands the name is text
        assert "一村党支部" in drilled.content.decode()
    else:
        assert f'href="{year_url}"' in drilled.content.decode()


def test_the_pivot_says_which_branches_missed_which_meetings(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    last_year = timezone.localdate().year - 1
    progress.refresh([tree.branch.pk, tree.branch_sibling.pk], last_year, today=date(last_year + 1, 1, 15))
    stored = dict(
        KindYear.objects.filter(organization=tree.branch, year=last_year).values_list("kind__code", "missed_periods")
    )
    assert stored[MeetingKind.COMMITTEE] == 12
    result = overview.life_overview([tree.general], last_year)
    columns = {column.name: column for column in result.kinds}
    committee = columns[MeetingKind.objects.get(code=MeetingKind.COMMITTEE).name]
    by_label = {row.label: row.figures for row in result.rows}
    assert by_label["一村党支部"].missed_by_kind[committee.pk] == 12
    assert result.total.missed_by_kind[committee.pk] == 24
    assert result.total.red == 2
    assert by_label["一村党支部"].worst == "red"
    # Column order follows the kinds' order, and every row has one cell per column.
    assert [column.order for column in result.kinds] == sorted(column.order for column in result.kinds)
    assert all(len(cells) == len(result.kinds) for _row, cells in result.missed_cells())


def test_the_export_holds_the_page_and_every_organization(
    tree: Any, people: SimpleNamespace, held: SimpleNamespace
) -> None:
    response = signed_in(people.committee_secretary).get(
        reverse("life_overview_org_export", args=[tree.township.pk]), {"year": held.year}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert workbook.sheetnames == ["组织生活统计", "各党组织"]
    summary = [row for row in workbook["组织生活统计"].iter_rows(values_only=True) if row]
    assert any(row[0] == "合计" for row in summary)
    every = [row for row in workbook["各党组织"].iter_rows(values_only=True) if row]
    codes = [row[0] for row in every]
    assert codes.index(tree.township.code) < codes.index(tree.general.code) < codes.index(tree.branch.code)
    branch = every[codes.index(tree.branch.code)]
    assert branch[1] == "一村党支部"
    assert "50%" in branch
    # No member's name leaves in this export.
    text = " ".join(str(cell) for row in summary + every for cell in row)
    assert "孙书记" not in text
    assert "钱流动" not in text


@pytest.mark.parametrize("name", ["life_overview_org", "life_overview_org_export"])
def test_a_sibling_township_is_not_found_and_a_branch_follows_nothing(
    tree: Any, people: SimpleNamespace, held: SimpleNamespace, name: str
) -> None:
    township = signed_in(people.committee_secretary)
    assert township.get(reverse(name, args=[tree.sibling_township.pk])).status_code == 404
    assert township.get(reverse(name, args=[tree.unrelated.pk])).status_code == 404
    assert township.get(reverse(name, args=[987654321])).status_code == 404
    branch = signed_in(people.branch_secretary)
    assert branch.get(reverse(name, args=[tree.branch.pk])).status_code == 403
    assert branch.get(reverse(name, args=[tree.sibling_branch.pk])).status_code == 404
    assert signed_in(people.outsider).get(reverse(name, args=[tree.township.pk])).status_code == 404


@pytest.mark.parametrize("name", ["life_overview", "life_overview_export"])
def test_the_whole_view_is_for_committees(people: SimpleNamespace, name: str) -> None:
    assert signed_in(people.branch_secretary).get(reverse(name)).status_code == 403
    assert signed_in(people.outsider).get(reverse(name)).status_code == 403
    assert signed_in(people.grantee).get(reverse(name)).status_code == 200


def test_the_page_and_the_export_take_the_same_queries_whatever_the_tree(
    tree: Any, people: SimpleNamespace, held: SimpleNamespace, django_assert_num_queries: Any
) -> None:
    client = signed_in(people.committee_secretary)
    urls = [
        reverse("life_overview"),
        reverse("life_overview_org", args=[tree.township.pk]),
        reverse("life_overview_org_export", args=[tree.township.pk]),
    ]
    for url in urls:
        client.get(url)  # the session and the scope's first reads

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            assert response.status_code == 200
            if response.streaming:
                b"".join(response.streaming_content)
        return len(queries)

    small = [count(url) for url in urls]
    added = []
    for number in range(5):
        town = OrganizationFactory(
            name=f"新镇{number}", code=f"NEW{number}", kind=Organization.Kind.GENERAL_BRANCH, parent=tree.township
        )
        branch = OrganizationFactory(name=f"新镇{number}一村", code=f"NEW{number}-1", parent=town)
        added += [town.pk, branch.pk]
    progress.refresh(added, held.year)
    assert LifeYear.objects.filter(organization_id__in=added).count() == 10
    large = [count(url) for url in urls]
    assert small == large
    with django_assert_num_queries(large[0]):
        client.get(urls[0])


def test_the_page_keeps_its_figures_until_the_subtree_is_marked_changed(
    tree: Any, held: SimpleNamespace, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 300
    today = timezone.localdate()
    first = overview.life_overview_cached([tree.township], held.year, today=today)
    LifeYear.objects.filter(organization=tree.branch, year=held.year).update(present_total=5)
    assert overview.life_overview_cached([tree.township], held.year, today=today).total.present == first.total.present
    with django_capture_on_commit_callbacks(execute=True):
        mark_changed(overview.LIFE_AREA, [tree.branch])
    assert overview.life_overview_cached([tree.township], held.year, today=today).total.present == 5
