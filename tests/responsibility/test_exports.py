"""Excel exports: what the files hold, formula injection neutralized, who may export, at what cost."""

from __future__ import annotations

from io import BytesIO
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from accounts.models import Organization
from foundation.excel import neutralize
from responsibility import services
from responsibility.models import Category, DutyType, Light, Period, ResponsibilityList
from tests.conftest import Tree
from tests.factories import OrganizationFactory
from tests.responsibility.test_progress_views import add_branches, give_list, signed_in

PROGRESS_EXPORT = reverse("progress_export")


def sheet_of(response) -> Worksheet:  # type: ignore[no-untyped-def]
    content = b"".join(response.streaming_content)
    workbook: Workbook = load_workbook(BytesIO(content))
    return workbook.worksheets[0]


def rows_of(sheet: Worksheet) -> list[list[object]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def table_after(rows: list[list[object]], first_header: str) -> tuple[list[object], list[list[object]]]:
    """The header row starting with FIRST_HEADER and the rows below it."""
    index = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    return rows[index], rows[index + 1 :]


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_neutralize_puts_an_apostrophe_before_a_formula_character(value: str) -> None:
    assert neutralize(value) == "'" + value


def test_neutralize_leaves_ordinary_text_and_drops_control_characters() -> None:
    assert neutralize("每月召开支委会 = 1 次") == "每月召开支委会 = 1 次"
    assert neutralize("a\x01b") == "ab"


def test_list_export_holds_the_list_and_its_items(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList
) -> None:
    response = signed_in(people.branch_secretary, client).get(reverse("list_export", args=[branch_list.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = f"责任清单-{tree.branch.name}-{branch_list.year}.xlsx"
    assert f"filename*=utf-8''{quote(filename)}" in response["Content-Disposition"]
    sheet = sheet_of(response)
    rows = rows_of(sheet)
    assert rows[0][:2] == ["党组织", tree.branch.name]
    assert rows[1][:2] == ["年度", str(branch_list.year)]
    assert rows[2][:2] == ["状态", "已审定"]
    assert rows[3][:2] == ["版本", "1"]
    assert rows[4][:2] == ["完成率", f"{branch_list.completion_rate}%"]
    header, items = table_after(rows, "类别")
    assert header == ["类别", "责任类型", "内容", "目标", "落实工作要点", "责任人", "预警", "全年进度", "曾逾期"]
    assert [item[2] for item in items] == [
        "每月召开支委会",
        "每季度讲一次党课",
        "每半年开展一次组织生活会筹备",
        "每年走访联系党员两次",
    ]
    assert items[1][1] == "第一责任人"
    assert items[1][5] == "branch_secretary"
    assert items[3][5] == "branch_committee_member"
    assert items[0][3] == "每月至少 1 次"
    assert sheet.column_dimensions["C"].width == 48


def test_list_export_neutralizes_formulas_people_typed(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category, year: int
) -> None:
    draft = services.list_start(organization=tree.branch, year=year, by=people.branch_secretary)
    services.list_item_add(
        responsibility_list=draft,
        category=category,
        duty_type=DutyType.ORGANIZATION,
        content='=HYPERLINK("http://evil.example","点我")',
        target_period=Period.YEAR,
        target_count=1,
        by=people.branch_secretary,
    )
    response = signed_in(people.branch_secretary, client).get(reverse("list_export", args=[draft.pk]))
    sheet = sheet_of(response)
    _header, items = table_after(rows_of(sheet), "类别")
    assert items[0][2] == '\'=HYPERLINK("http://evil.example","点我")'
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("branch_secretary", 200),
        ("branch_member", 200),
        ("committee_secretary", 200),
        ("grantee", 200),
        ("outsider", 404),
    ],
)
def test_list_export_follows_who_may_see_the_list(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, who: str, status: int
) -> None:
    response = signed_in(getattr(people, who), client).get(reverse("list_export", args=[branch_list.pk]))
    assert response.status_code == status


def test_sibling_cannot_export_a_list(client: Client, people: SimpleNamespace, tree: Tree, year: int) -> None:
    sibling_list = services.list_start(organization=tree.branch_sibling, year=year, by=people.committee_secretary)
    response = signed_in(people.branch_secretary, client).get(reverse("list_export", args=[sibling_list.pk]))
    assert response.status_code == 404


def test_unknown_list_export_is_404_and_signed_out_is_sent_to_sign_in(client: Client, people: SimpleNamespace) -> None:
    assert client.get(reverse("list_export", args=[1])).status_code == 302
    assert signed_in(people.admin, client).get(reverse("list_export", args=[999999])).status_code == 404


def test_progress_export_holds_every_matching_organization_not_only_one_page(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, year: int
) -> None:
    add_branches(tree.township, 60, year, people.committee_secretary)
    response = signed_in(people.committee_secretary, client).get(PROGRESS_EXPORT)
    assert response.status_code == 200
    assert (
        f"filename*=utf-8''{quote(f'责任落实进度-{tree.township.name}-{year}.xlsx')}" in response["Content-Disposition"]
    )
    rows = rows_of(sheet_of(response))
    header, table = table_after(rows, "党组织")
    assert header[:6] == ["党组织", "组织代码", "类别", "领域", "清单状态", "预警"]
    assert len(table) == 65
    by_code = {row[1]: row for row in table}
    assert by_code[tree.direct_branch.code][4:] == ["未建立"] + [None] * 8
    branch_row = by_code[tree.branch.code]
    assert branch_row[4] == "已审定"
    assert branch_row[10:13] == [branch_list.required_total, branch_list.done_total, branch_list.completion_rate]
    red_branch = by_code[f"{tree.township.code}-X1"]
    assert red_branch[5] == "红灯"
    assert red_branch[6] == 1
    assert red_branch[12] == 25
    assert tree.sibling_branch.code not in by_code


def test_progress_export_applies_the_page_filters(
    client: Client, people: SimpleNamespace, tree: Tree, year: int
) -> None:
    give_list(tree.branch, year, people.branch_secretary, warning=Light.RED, red_items=2)
    response = signed_in(people.committee_secretary, client).get(
        PROGRESS_EXPORT, {"org": tree.general.pk, "light": "red", "kind": "nonsense"}
    )
    rows = rows_of(sheet_of(response))
    assert rows[2][:2] == ["筛选", "预警：红灯"]
    _header, table = table_after(rows, "党组织")
    assert [row[1] for row in table] == [tree.branch.code]


def test_progress_export_neutralizes_organization_names(client: Client, people: SimpleNamespace, tree: Tree) -> None:
    OrganizationFactory(parent=tree.township, name="=cmd|' /C calc'!A0", code="-C-T1-EVIL")
    response = signed_in(people.committee_secretary, client).get(PROGRESS_EXPORT)
    sheet = sheet_of(response)
    _header, table = table_after(rows_of(sheet), "党组织")
    evil = next(row for row in table if row[1] == "'-C-T1-EVIL")
    assert evil[0] == "'=cmd|' /C calc'!A0"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("branch_secretary", {}, 403),
        ("outsider", {}, 403),
        ("committee_secretary", {"org": "sibling_township"}, 404),
        ("grantee", {"org": "general"}, 200),
    ],
)
def test_progress_export_is_checked_like_the_page(
    client: Client, people: SimpleNamespace, tree: Tree, who: str, query: dict[str, str], status: int
) -> None:
    params = {name: getattr(tree, value).pk for name, value in query.items()}
    assert signed_in(getattr(people, who), client).get(PROGRESS_EXPORT, params).status_code == status


def test_progress_export_query_count_does_not_grow_with_the_data(
    client: Client, people: SimpleNamespace, tree: Tree, branch_list: ResponsibilityList, year: int
) -> None:
    client = signed_in(people.committee_secretary, client)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(PROGRESS_EXPORT)
            b"".join(response.streaming_content)
        return len(queries)

    small = count()
    add_branches(tree.general, 80, year, people.committee_secretary)
    extra = OrganizationFactory(parent=tree.township, kind=Organization.Kind.GENERAL_BRANCH, code="C-T1-G2")
    add_branches(extra, 5, year, people.committee_secretary, prefix="Y")
    assert count() == small


def test_list_export_query_count_does_not_grow_with_items(
    client: Client, people: SimpleNamespace, tree: Tree, category: Category, year: int
) -> None:
    draft = services.list_start(organization=tree.branch, year=year, by=people.branch_secretary)
    client = signed_in(people.branch_secretary, client)

    def add(count: int) -> None:
        for index in range(count):
            services.list_item_add(
                responsibility_list=draft,
                category=category,
                duty_type=DutyType.FIRST,
                content=f"条目{index}",
                target_period=Period.QUARTER,
                target_count=1,
                by=people.branch_secretary,
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            b"".join(client.get(reverse("list_export", args=[draft.pk])).streaming_content)
        return len(queries)

    add(1)
    small = count()
    add(12)
    assert count() == small
