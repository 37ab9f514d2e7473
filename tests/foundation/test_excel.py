"""Every Excel export read back with openpyxl: a frozen header row, columns as wide as their Chinese text,
formula-like text kept as text, and the Chinese intact.

The exports: a responsibility list, the committee's progress table, a cycle's ranking and scores,
and the rectification ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from accounts.models import Organization, Position
from foundation import excel
from foundation.excel import MAX_COLUMN_WIDTH, display_width, fitted_widths, write_table
from rectification import services as rectification_services
from rectification.models import Finding
from responsibility.models import Category, ResponsibilityList
from reviews.models import Cycle, ReviewerAssignment
from tests.conftest import Tree, _person
from tests.responsibility.conftest import branch_list, category, year  # noqa: F401 - fixtures
from tests.reviews.conftest import open_cycle, rubric  # noqa: F401 - fixtures
from tests.reviews.test_cycle_views import score_fully, submit_report

TODAY = timezone.localdate()
EVIL_NAMES = {
    "branch": '=HYPERLINK("http://evil.example","一村党支部")',
    "branch_sibling": "+1 二村党支部",
    "direct_branch": "-1 三村党支部第一党小组暨村民委员会联合党支部（试点）",
    "general": "@SUM(1) 甲镇机关党总支",
}
LONG_NAME = EVIL_NAMES["direct_branch"]


@dataclass(frozen=True)
class Export:
    """One sheet of one export: who downloads it from where, and where its table starts."""

    name: str
    sheet: str
    freeze: str
    first_header: str


EXPORTS = [
    Export("list", "责任清单", "A9", "类别"),
    Export("progress", "责任落实进度", "A7", "党组织"),
    Export("ranking", "排名", "A11", "排名"),
    Export("scores", "评分明细", "A2", "党组织"),
    Export("ledger", "整改台账", "A2", "序号"),
]


@pytest.fixture
def exported(
    tree: Tree,
    people: SimpleNamespace,
    branch_list: ResponsibilityList,  # noqa: F811
    open_cycle: Cycle,  # noqa: F811
    category: Category,  # noqa: F811
) -> SimpleNamespace:
    """Something in every export, then the organizations renamed to text that looks like formulas."""
    report = open_cycle.reports.get(organization=tree.branch)
    submit_report(report, people.branch_secretary)
    score_fully(ReviewerAssignment.objects.get(report=report), note="@SUM(1) 扣分说明")
    direct_secretary = _person("direct_secretary", tree.direct_branch, Position.Role.SECRETARY)
    for organization, responsible, description in [
        (tree.branch, people.branch_secretary, "-1 会议记录不全，缺少签到。"),
        (tree.direct_branch, direct_secretary, "+1 谈心谈话不够。"),
    ]:
        finding = rectification_services.finding_raise(
            organization=organization,
            year=TODAY.year,
            source=Finding.Source.INSPECTION,
            description=description,
            category=category,
            by=people.committee_secretary,
        )
        rectification_services.task_create(
            findings=[finding],
            title="整改",
            responsible=responsible,
            deadline=TODAY + timedelta(days=10),
            by=people.committee_secretary,
        )
    for attribute, name in EVIL_NAMES.items():
        Organization.objects.filter(pk=getattr(tree, attribute).pk).update(name=name)
    return SimpleNamespace(list=branch_list, cycle=open_cycle)


def download(client: Client, people: SimpleNamespace, exported: SimpleNamespace, name: str) -> Workbook:
    who, url = {
        "list": ("branch_secretary", reverse("list_export", args=[exported.list.pk])),
        "progress": ("committee_secretary", reverse("progress_export")),
        "ranking": ("committee_secretary", reverse("cycle_export", args=[exported.cycle.pk])),
        "scores": ("committee_secretary", reverse("cycle_export", args=[exported.cycle.pk])),
        "ledger": ("committee_secretary", reverse("ledger_export")),
    }[name]
    client.force_login(getattr(people, who))
    response = client.get(url)
    assert response.status_code == 200
    return load_workbook(BytesIO(b"".join(response.streaming_content)))


def table_of(sheet: Worksheet, export: Export) -> list[tuple[Any, ...]]:
    """The header row and every row below it (the rows above are the frozen facts)."""
    header_row = int(export.freeze[1:]) - 1
    return list(sheet.iter_rows(min_row=header_row, values_only=True))


@pytest.mark.parametrize("export", EXPORTS, ids=lambda export: export.name)
def test_every_export_freezes_its_header_row(
    client: Client, people: SimpleNamespace, exported: SimpleNamespace, export: Export
) -> None:
    sheet = download(client, people, exported, export.name)[export.sheet]
    assert sheet.freeze_panes == export.freeze
    header = table_of(sheet, export)[0]
    assert header[0] == export.first_header
    # The header row is bold: a heading, not data.
    header_row = int(export.freeze[1:]) - 1
    assert sheet.cell(row=header_row, column=1).font.b


@pytest.mark.parametrize("export", EXPORTS, ids=lambda export: export.name)
def test_every_column_is_as_wide_as_its_chinese_text(
    client: Client, people: SimpleNamespace, exported: SimpleNamespace, export: Export
) -> None:
    sheet = download(client, people, exported, export.name)[export.sheet]
    table = table_of(sheet, export)
    assert len(table) > 1
    for index in range(1, len(table[0]) + 1):
        width = sheet.column_dimensions[get_column_letter(index)].width
        longest = max(display_width(row[index - 1]) for row in table if len(row) >= index)
        assert min(longest + 2, MAX_COLUMN_WIDTH) <= width <= MAX_COLUMN_WIDTH, (export.name, index)


@pytest.mark.parametrize(
    ("export", "column"),
    [("progress", "A"), ("ranking", "B"), ("ledger", "I")],
)
def test_a_long_chinese_name_widens_its_column_counting_each_character_twice(
    client: Client, people: SimpleNamespace, exported: SimpleNamespace, export: str, column: str
) -> None:
    sheet = download(client, people, exported, export).worksheets[0]
    # "'-1 " is four narrow characters; the rest are Chinese (the widest name of all, 56 wide).
    expected = 4 + 2 * (len(LONG_NAME) - 3) + 2
    assert sheet.column_dimensions[column].width == expected


@pytest.mark.parametrize("export", EXPORTS, ids=lambda export: export.name)
def test_text_that_looks_like_a_formula_is_stored_as_text(
    client: Client, people: SimpleNamespace, exported: SimpleNamespace, export: Export
) -> None:
    workbook = download(client, people, exported, export.name)
    sheet = workbook[export.sheet]
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    risky = [cell for cell in cells if cell.value.lstrip("'")[:1] in ("=", "+", "-", "@")]
    assert risky, "the export shows at least one of the formula-like names"
    for cell in risky:
        assert cell.value.startswith("'"), cell.value
        assert cell.data_type == "s"
    assert all(cell.data_type != "f" for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row)


def test_each_kind_of_formula_character_is_escaped_where_it_appears(
    client: Client, people: SimpleNamespace, exported: SimpleNamespace
) -> None:
    progress = [row[0] for row in table_of(download(client, people, exported, "progress")["责任落实进度"], EXPORTS[1])]
    assert f"'{EVIL_NAMES['branch']}" in progress
    assert f"'{EVIL_NAMES['branch_sibling']}" in progress
    assert f"'{LONG_NAME}" in progress
    assert f"'{EVIL_NAMES['general']}" in progress
    ledger = table_of(download(client, people, exported, "ledger")["整改台账"], EXPORTS[4])
    assert sorted(row[1] for row in ledger[1:]) == ["'+1 谈心谈话不够。", "'-1 会议记录不全，缺少签到。"]
    scores = table_of(download(client, people, exported, "scores")["评分明细"], EXPORTS[3])
    assert {row[8] for row in scores[1:]} == {"'@SUM(1) 扣分说明"}


def test_chinese_text_survives_the_round_trip(
    client: Client, people: SimpleNamespace, tree: Tree, exported: SimpleNamespace
) -> None:
    workbook = download(client, people, exported, "list")
    rows = list(workbook["责任清单"].iter_rows(values_only=True))
    assert rows[0][:2] == ("党组织", f"'{EVIL_NAMES['branch']}")
    assert "每半年开展一次组织生活会筹备" in [row[2] for row in rows[8:]]
    ledger = download(client, people, exported, "ledger")
    assert ledger.sheetnames == ["整改台账", "说明"]
    about = dict(ledger["说明"].iter_rows(values_only=True))
    assert about["范围"] == tree.township.name
    assert about["任务数"] == "2"
    assert ledger["说明"].column_dimensions["A"].width == 12


# The helpers themselves -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "width"),
    [
        ("", 0),
        (None, 0),
        ("abc", 3),
        ("一村", 4),
        ("一村 A", 6),
        ("第一行\n长一些的第二行", 14),
        (85.5, 4),
        ("（全角）", 8),
    ],
)
def test_display_width_counts_a_chinese_character_twice_and_the_longest_line(value: Any, width: int) -> None:
    assert display_width(value) == width


def test_fitted_widths_keep_the_minimum_grow_to_the_text_and_stop_at_the_cap() -> None:
    rows = [("一村", "x" * 200, "短"), ("甲镇机关党总支第一党支部", "", "", "多出来的一列")]
    assert fitted_widths([12, 8, 10], rows) == [26, MAX_COLUMN_WIDTH, 10, 14]


def test_write_table_freezes_below_the_facts_and_measures_only_the_first_rows(monkeypatch: Any) -> None:
    monkeypatch.setattr(excel, "WIDTH_SAMPLE", 2)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("表")
    rows = [["一"], ["一二三"], ["这一行在样本之外，不会撑宽这一列"]]
    count = write_table(sheet, [("名称", 4)], iter(rows), facts=[("年度", 2025), ("范围", "甲镇党委")])
    assert count == 3
    output = excel.save_workbook(workbook)
    read = load_workbook(output)["表"]
    assert read.freeze_panes == "A5"
    assert read.column_dimensions["A"].width == 8
    assert [row[0] for row in read.iter_rows(values_only=True)] == [
        "年度",
        "范围",
        None,
        "名称",
        "一",
        "一二三",
        "这一行在样本之外，不会撑宽这一列",
    ]
