"""Import of the organization tree and people: reading, every refusal, idempotence, the command and the page."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.hashers import is_password_usable
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.importing import ImportRejected, ImportResult, organizations_import
from accounts.models import Organization, Position, User
from tests.conftest import Tree

ORG_HEADER = ["组织代码", "名称", "类别", "领域", "上级组织代码", "成立日期"]
PEOPLE_HEADER = ["登录名", "姓名", "手机", "组织代码", "职务", "分工"]

ORGS = [
    ["X", "新县委", "党委", "", "", "2001-07-01"],
    ["X-1", "城关镇党委", "党委", "机关", "X", ""],
    ["X-1-1", "城关一村党支部", "党支部", "农村", "X-1", date(2010, 5, 4)],
    ["X-1-2", "城关社区党支部", "党支部", "社区", "X-1", ""],
]
PEOPLE = [
    ["zhang", "张三", "13800000001", "X-1", "书记", ""],
    ["li", "李四", 13800000002, "X-1", "组织委员", ""],
    ["wang", "王五", "", "X-1-1", "书记", ""],
    ["wang", "王五", "", "X-1", "委员", "宣传委员"],
    ["zhao", "赵六", "", "X-1-1", "党员", ""],
]
NO_PROBLEMS: tuple[list[int], ...] = ([], [], [], [], [])


def workbook(
    organizations: list[list[Any]] | None = None,
    people: list[list[Any]] | None = None,
    *,
    titles: tuple[str, str] = ("组织", "人员"),
    org_header: list[str] = ORG_HEADER,
) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = titles[0]
    for row in [org_header, *(organizations or [])]:
        sheet.append(row)
    if people is not None:
        people_sheet = book.create_sheet(titles[1])
        for row in [PEOPLE_HEADER, *people]:
            people_sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(header: list[str], rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode(encoding)


def run(organizations: list[list[Any]] | None = None, people: list[list[Any]] | None = None) -> ImportResult:
    return organizations_import(files=[("名册.xlsx", workbook(organizations, people))])


def refusals(files: list[tuple[str, bytes]]) -> list[tuple[str, int, str]]:
    with pytest.raises(ImportRejected) as rejected:
        organizations_import(files=files)
    return [(error.sheet, error.row, error.message) for error in rejected.value.errors]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every stored value the import could touch."""
    return {
        "organizations": list(Organization.objects.order_by("code").values_list()),
        "users": list(User.objects.order_by("username").values_list()),
        "positions": list(Position.objects.order_by("pk").values_list()),
    }


def org(code: str) -> Organization:
    return Organization.objects.get(code=code)


def parent_code(code: str) -> str | None:
    parent = Organization.objects.get_parent(org(code))
    return parent.code if parent is not None else None


def current_roles(login: str) -> set[tuple[str, str, str]]:
    return set(
        Position.objects.current().filter(person__username=login).values_list("organization__code", "role", "portfolio")
    )


# ---------------------------------------------------------------- creating


@pytest.mark.django_db
def test_workbook_with_both_sheets_creates_tree_people_and_positions() -> None:
    result = run(ORGS, PEOPLE)

    assert (result.organizations_created, result.people_created, result.positions_created) == (4, 4, 5)
    assert parent_code("X") is None
    assert parent_code("X-1") == "X"
    assert parent_code("X-1-1") == parent_code("X-1-2") == "X-1"
    county = org("X")
    assert (county.kind, county.sector, county.established_on) == ("committee", "", date(2001, 7, 1))
    assert org("X-1-1").established_on == date(2010, 5, 4)
    assert org("X-1").sector == Organization.Sector.ORGAN
    assert Organization.objects.find_problems() == NO_PROBLEMS

    li = User.objects.get(username="li")
    assert (li.full_name, li.phone) == ("李四", "13800000002")
    assert li.is_active
    assert not is_password_usable(li.password)
    assert current_roles("li") == {("X-1", "committee_member", "组织委员")}
    assert current_roles("wang") == {("X-1-1", "secretary", ""), ("X-1", "committee_member", "宣传委员")}
    assert "新建组织 4 个" in result.summary()
    assert "新建人员 4 人" in result.summary()
    assert "新建任职 5 项" in result.summary()
    assert "密码" in result.summary()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
@pytest.mark.django_db
def test_csv_files_in_utf8_with_or_without_bom_and_gb18030(encoding: str) -> None:
    organizations = [[*row[:5], "2001年7月1日" if row[0] == "X" else ""] for row in ORGS]

    result = organizations_import(
        files=[
            ("组织.csv", csv_file(ORG_HEADER, organizations, encoding)),
            ("人员.csv", csv_file(PEOPLE_HEADER, PEOPLE, encoding)),
        ]
    )

    assert (result.organizations_created, result.people_created, result.positions_created) == (4, 4, 5)
    assert org("X-1-2").name == "城关社区党支部"
    assert org("X").established_on == date(2001, 7, 1)
    assert User.objects.get(username="zhang").full_name == "张三"


@pytest.mark.django_db
def test_english_headers_and_code_values_are_accepted() -> None:
    header = [" Code ", "NAME", "kind", "Sector", "Parent_Code"]
    people_header = ["login", "name", "phone", "org_code", "Role", "portfolio", "email"]
    files = [
        (
            "orgs.csv",
            csv_file(header, [["E", "East", "working_committee", "", ""], ["E-1", "B", "branch", "school", "E"]]),
        ),
        ("people.csv", csv_file(people_header, [["amy", "Amy", "", "E-1", "deputy", "", "amy@example.org"]])),
    ]

    organizations_import(files=files)

    assert (org("E").kind, org("E-1").kind, org("E-1").sector) == ("working_committee", "branch", "school")
    assert User.objects.get(username="amy").email == "amy@example.org"
    assert current_roles("amy") == {("E-1", "deputy", "")}


@pytest.mark.django_db
def test_unnamed_sheets_are_told_apart_by_their_headers() -> None:
    book = openpyxl.Workbook()
    people_sheet = book.active
    assert people_sheet is not None
    people_sheet.title = "Sheet1"
    for row in [PEOPLE_HEADER, *PEOPLE]:
        people_sheet.append(row)
    organizations_sheet = book.create_sheet("Sheet2")
    for row in [ORG_HEADER, *ORGS]:
        organizations_sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)

    result = organizations_import(files=[("名册.xlsx", buffer.getvalue())])

    assert (result.organizations_created, result.people_created) == (4, 4)


@pytest.mark.django_db
def test_blank_rows_are_skipped_and_row_numbers_still_match_excel() -> None:
    errors = refusals([("名册.xlsx", workbook([ORGS[0], [None] * 6, ["Y", "", "党委", "", ""]]))])

    assert errors == [("组织", 4, "“名称”不能为空。")]


def test_new_subtrees_under_existing_organizations_keep_the_tree_valid(tree: Tree) -> None:
    rows = [
        ["C-T1-A", "甲镇新党总支", "党总支", "", "C-T1"],
        ["C-T1-A-1", "新一支部", "党支部", "", "C-T1-A"],
        ["C-T1-A-2", "新二支部", "党支部", "", "C-T1-A"],
        ["C-T1-Z", "甲镇末尾支部", "党支部", "", "C-T1"],
        ["C-T2-A", "乙镇新支部", "党支部", "", "C-T2"],
        ["A-ROOT", "新的顶级党委", "党委", "", ""],
        ["A-ROOT-1", "顶级下属支部", "党支部", "", "A-ROOT"],
    ]

    result = run(rows)

    assert result.organizations_created == 7
    assert Organization.objects.find_problems() == NO_PROBLEMS
    township = org("C-T1")
    children = {child.code for child in Organization.objects.get_children(township)}
    assert children == {"C-T1-A", "C-T1-B3", "C-T1-G", "C-T1-Z"}
    assert parent_code("C-T1-A-2") == "C-T1-A"
    assert parent_code("C-T1-G-B1") == "C-T1-G"
    assert parent_code("A-ROOT-1") == "A-ROOT"
    assert {root.code for root in Organization.objects.get_root_nodes()} == {"A-ROOT", "C", "U"}


@pytest.mark.django_db
def test_organizations_only_import_writes_in_a_bounded_number_of_queries(
    django_assert_max_num_queries: Any,
) -> None:
    rows: list[list[Any]] = [["R", "县委", "党委", "", ""]]
    for town in range(10):
        rows.append([f"R-{town:02d}", f"{town}镇党委", "党委", "", "R"])
        rows += [
            [f"R-{town:02d}-{n:02d}", f"{town}镇{n}村党支部", "党支部", "农村", f"R-{town:02d}"] for n in range(30)
        ]

    with django_assert_max_num_queries(25):
        result = run(rows)

    assert result.organizations_created == 311
    assert Organization.objects.find_problems() == NO_PROBLEMS


# ---------------------------------------------------------------- updating and re-importing


def test_reimporting_the_same_file_changes_nothing(tree: Tree, django_assert_max_num_queries: Any) -> None:
    organizations = [
        *ORGS,
        ["C-T1-G", "甲镇机关党总支", "党总支", "机关", "C-T2"],  # a move
        ["C-T1", "甲镇党委（更名）", "党委", "农村", ""],  # an update, kept in place
    ]
    content = workbook(organizations, PEOPLE)
    first = organizations_import(files=[("名册.xlsx", content)])
    assert first.changed_anything
    before = snapshot()

    # Validation loads what it needs in bulk: the query count does not grow with the rows.
    with django_assert_max_num_queries(15):
        again = organizations_import(files=[("名册.xlsx", content)])

    assert not again.changed_anything
    assert (again.organizations_unchanged, again.people_unchanged, again.positions_unchanged) == (6, 4, 5)
    assert snapshot() == before


def test_update_by_code_changes_only_what_differs(tree: Tree, people: SimpleNamespace) -> None:
    Organization.objects.filter(code="C-T1").update(established_on=date(1999, 1, 1))
    password_before = User.objects.get(username="branch_secretary").password
    before = snapshot()
    organizations = [
        ["C-T1", "甲镇党委（新）", "党委", "农村", "C", ""],
        ["C-T1-G", "甲镇机关党总支", "党总支", "机关", "C-T1", ""],
    ]
    people_rows = [["branch_secretary", "branch_secretary", "13900000000", "C-T1-G-B1", "书记", ""]]

    result = run(organizations, people_rows)

    assert (result.organizations_updated, result.organizations_unchanged) == (1, 1)
    assert (result.people_updated, result.people_unchanged, result.positions_unchanged) == (1, 0, 1)
    township = org("C-T1")
    assert (township.name, township.established_on) == ("甲镇党委（新）", date(1999, 1, 1))
    secretary = User.objects.get(username="branch_secretary")
    assert (secretary.phone, secretary.password) == ("13900000000", password_before)
    after = snapshot()
    changed_orgs = [row for row in after["organizations"] if row not in before["organizations"]]
    assert len(changed_orgs) == 1
    assert "甲镇党委（新）" in changed_orgs[0]
    assert len([row for row in after["users"] if row not in before["users"]]) == 1
    assert after["positions"] == before["positions"]


def test_a_changed_portfolio_updates_the_position(tree: Tree) -> None:
    run(people=[["p1", "甲", "", "C-T1", "组织委员", ""]])

    result = run(people=[["p1", "甲", "", "C-T1", "宣传委员", ""]])

    assert (result.positions_created, result.positions_updated) == (0, 1)
    assert current_roles("p1") == {("C-T1", "committee_member", "宣传委员")}


def test_a_new_parent_code_moves_the_organization_with_its_subtree(tree: Tree) -> None:
    result = run([["C-T1-G", "甲镇机关党总支", "党总支", "机关", "C-T2"]])

    assert result.organizations_updated == 1
    assert parent_code("C-T1-G") == "C-T2"
    assert parent_code("C-T1-G-B1") == "C-T1-G"
    assert org("C-T1-G-B2").path.startswith(org("C-T2").path)
    assert (org("C-T1").numchild, org("C-T2").numchild) == (1, 2)
    assert Organization.objects.find_problems() == NO_PROBLEMS


def test_moves_are_applied_parents_first(tree: Tree) -> None:
    # The township goes under what used to be its own child: only possible once that child has moved up.
    run([["C-T1-G", "甲镇机关党总支", "党总支", "机关", "C"], ["C-T1", "甲镇党委", "党委", "农村", "C-T1-G"]])

    assert parent_code("C-T1-G") == "C"
    assert parent_code("C-T1") == "C-T1-G"
    assert parent_code("C-T1-B3") == "C-T1"
    assert Organization.objects.find_problems() == NO_PROBLEMS


def test_a_blank_parent_keeps_an_existing_organization_in_place(tree: Tree) -> None:
    result = run([["C-T1", "甲镇党委", "党委", "农村", ""]])

    assert result.organizations_unchanged == 1
    assert parent_code("C-T1") == "C"


# ---------------------------------------------------------------- refusals


ERROR_CASES = {
    "empty required cell": ([["N1", "", "党支部", "", "C-T1"]], None, [("组织", 2, "“名称”不能为空")]),
    "duplicate code": (
        [["N1", "甲", "党支部", "", "C-T1"], ["N1", "乙", "党支部", "", "C-T1"]],
        None,
        [("组织", 3, "组织代码 N1 重复，已在工作表 组织 第 2 行出现")],
    ),
    "unknown kind": ([["N1", "甲", "支部", "", "C-T1"]], None, [("组织", 2, "未知的组织类别“支部”")]),
    "unknown sector": ([["N1", "甲", "党支部", "工厂", "C-T1"]], None, [("组织", 2, "未知的领域“工厂”")]),
    "unknown parent": ([["N1", "甲", "党支部", "", "NOPE"]], None, [("组织", 2, "上级组织代码 NOPE 不存在")]),
    "parent is a branch in the file": (
        [["N1", "甲", "党支部", "", ""], ["N2", "乙", "党支部", "", "N1"]],
        None,
        [("组织", 3, "上级组织 N1 是党支部")],
    ),
    "parent is a branch in the database": (
        [["N1", "甲", "党支部", "", "C-T1-B3"]],
        None,
        [("组织", 2, "上级组织 C-T1-B3 是党支部")],
    ),
    "cycle in the file": (
        [["A", "甲", "党委", "", "B"], ["B", "乙", "党委", "", "A"]],
        None,
        [("组织", 2, "上级组织关系形成循环：A → B → A"), ("组织", 3, "上级组织关系形成循环：A → B → A")],
    ),
    "own parent": ([["A", "甲", "党委", "", "A"]], None, [("组织", 2, "循环：A → A")]),
    "cycle through the database": (
        [["C-T1", "甲镇党委", "党委", "农村", "C-T1-G"]],
        None,
        [("组织", 2, "循环：C-T1 → C-T1-G → C-T1")],
    ),
    "branch that keeps children": (
        [["C-T1-G", "甲镇机关党总支", "党支部", "机关", "C-T1"]],
        None,
        [("组织", 2, "组织 C-T1-G 还有下级组织，不能改为党支部")],
    ),
    "bad date": ([["N1", "甲", "党支部", "", "C-T1", "2020-13-01"]], None, [("组织", 2, "不是有效日期：2020-13-01")]),
    "text date": ([["N1", "甲", "党支部", "", "C-T1", "去年"]], None, [("组织", 2, "不是有效日期：去年")]),
    "unknown organization for a person": (
        None,
        [["p1", "某人", "", "NOPE", "党员", ""]],
        [("人员", 2, "组织代码 NOPE 不存在")],
    ),
    "unknown role": (None, [["p1", "某人", "", "C-T1", "支书", ""]], [("人员", 2, "未知的职务“支书”")]),
    "bad login": (None, [["zhang san", "某人", "", "C-T1", "党员", ""]], [("人员", 2, "登录名“zhang san”")]),
    "duplicate login with another name": (
        None,
        [["p1", "张三", "", "C-T1", "党员", ""], ["p1", "张四", "", "C-T2", "党员", ""]],
        [("人员", 3, "登录名 p1 的姓名“张四”与工作表 人员 第 2 行的“张三”不一致")],
    ),
    "duplicate login with another phone": (
        None,
        [["p1", "张三", "1", "C-T1", "党员", ""], ["p1", "张三", "2", "C-T2", "党员", ""]],
        [("人员", 3, "登录名 p1 的手机")],
    ),
    "second secretary in the file": (
        None,
        [["p1", "甲", "", "C-T1-B3", "书记", ""], ["p2", "乙", "", "C-T1-B3", "书记", ""]],
        [("人员", 3, "C-T1-B3 只能有一位现任书记，工作表 人员 第 2 行已列出书记 p1")],
    ),
    "second secretary against the database": (
        None,
        [["p1", "甲", "", "C-T1", "书记", ""]],
        [("人员", 2, "C-T1 已有现任书记 committee_secretary（committee_secretary），请先在系统中免去原书记")],
    ),
}


@pytest.mark.parametrize(("organizations", "people_rows", "expected"), ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_bad_rows_are_reported_with_row_and_reason_and_nothing_is_written(
    people: SimpleNamespace,
    organizations: list[list[Any]] | None,
    people_rows: list[list[Any]] | None,
    expected: list[tuple[str, int, str]],
) -> None:
    before = snapshot()

    errors = refusals([("名册.xlsx", workbook(organizations, people_rows))])

    assert len(errors) == len(expected), errors
    for (sheet, row, message), (want_sheet, want_row, fragment) in zip(errors, expected, strict=True):
        assert (sheet, row) == (want_sheet, want_row)
        assert fragment in message
    assert snapshot() == before


def test_every_bad_row_is_reported_at_once_and_good_rows_are_not_written(tree: Tree) -> None:
    before = snapshot()
    organizations = [
        ["N1", "好的一行", "党支部", "", "C-T1"],
        ["N2", "", "支部", "", "NOPE"],
        ["N1", "重复", "党支部", "", "C-T1"],
    ]
    people_rows = [["ok", "好人", "", "N1", "党员", ""], ["bad", "", "", "N9", "党员", ""]]

    errors = refusals([("名册.xlsx", workbook(organizations, people_rows))])

    assert [(sheet, row) for sheet, row, _message in errors] == [
        ("组织", 3),
        ("组织", 3),
        ("组织", 3),
        ("组织", 4),
        ("人员", 3),
        ("人员", 3),
    ]
    assert snapshot() == before


@pytest.mark.django_db
def test_a_missing_header_is_reported_on_row_one() -> None:
    header = ["组织代码", "名称", "领域", "上级组织代码"]

    errors = refusals([("名册.xlsx", workbook([["N1", "甲", "", ""]], org_header=header))])

    assert errors == [("组织", 1, "缺少“类别”列。")]


@pytest.mark.django_db
def test_a_corrupt_workbook_is_reported_not_raised() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "this is not a workbook")

    errors = refusals([("名册.xlsx", buffer.getvalue())])

    assert errors == [("名册.xlsx", 0, "无法读取文件：不是有效的 .xlsx 文件。")]


@pytest.mark.django_db
def test_csv_with_unknown_headers_and_other_file_types_are_reported() -> None:
    errors = refusals([("乱.csv", csv_file(["甲", "乙"], [["1", "2"]])), ("名册.xls", b"whatever")])

    assert [(sheet, row) for sheet, row, _message in errors] == [("乱.csv", 1), ("名册.xls", 0)]


@pytest.mark.django_db
def test_csv_errors_name_the_file() -> None:
    errors = refusals([("组织.csv", csv_file(ORG_HEADER, [["N1", "甲", "党支部", "", "NOPE"]]))])

    assert [(sheet, row) for sheet, row, _message in errors] == [("组织.csv", 2)]


@pytest.mark.django_db
def test_an_empty_file_is_refused() -> None:
    assert refusals([("名册.xlsx", workbook([]))]) == [("名册.xlsx", 0, "文件中没有可导入的数据。")]


# ---------------------------------------------------------------- the command


@pytest.mark.django_db
def test_command_imports_and_prints_the_summary(tmp_path: Any) -> None:
    path = tmp_path / "名册.xlsx"
    path.write_bytes(workbook(ORGS, PEOPLE))
    out = io.StringIO()

    call_command("import_orgs", str(path), stdout=out)

    assert "新建组织 4 个" in out.getvalue()
    assert Organization.objects.count() == 4


@pytest.mark.django_db
def test_command_prints_every_error_and_fails(tmp_path: Any) -> None:
    path = tmp_path / "名册.xlsx"
    path.write_bytes(workbook([["N1", "", "党支部", "", ""], ["N2", "乙", "支部", "", ""]]))
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 处错误"):
        call_command("import_orgs", str(path), stderr=err)

    assert "工作表 组织 第 2 行：“名称”不能为空。" in err.getvalue()
    assert "工作表 组织 第 3 行：未知的组织类别“支部”" in err.getvalue()
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_command_refuses_a_missing_file(tmp_path: Any) -> None:
    with pytest.raises(CommandError, match="无法读取"):
        call_command("import_orgs", str(tmp_path / "nope.xlsx"))


# ---------------------------------------------------------------- the upload page


def test_administrator_uploads_a_valid_file_and_is_redirected(client: Any, people: SimpleNamespace) -> None:
    client.force_login(people.admin)
    upload = SimpleUploadedFile("名册.xlsx", workbook(ORGS, PEOPLE))

    response = client.post(reverse("organization_import"), {"upload": [upload]})

    assert response.status_code == 302
    assert response.url == reverse("organization_import")
    assert parent_code("X-1-1") == "X-1"
    assert User.objects.filter(username="zhang").exists()


def test_a_bad_upload_shows_the_row_errors_and_writes_nothing(client: Any, people: SimpleNamespace) -> None:
    client.force_login(people.admin)
    before = snapshot()
    upload = SimpleUploadedFile("名册.xlsx", workbook([["N1", "甲", "党支部", "", "NOPE"]]))

    response = client.post(reverse("organization_import"), {"upload": [upload]})

    assert response.status_code == 200
    content = response.content.decode()
    assert "上级组织代码 NOPE 不存在" in content
    assert "组织" in content
    assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_only_administrators_reach_the_upload_page(client: Any, people: SimpleNamespace, method: str) -> None:
    client.force_login(people.committee_secretary)
    before = snapshot()
    data = {"upload": [SimpleUploadedFile("名册.xlsx", workbook(ORGS))]} if method == "post" else None

    response = getattr(client, method)(reverse("organization_import"), data)

    assert response.status_code == 403
    assert snapshot() == before
