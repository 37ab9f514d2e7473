"""The cycle's Excel export: ranking and reviewers' scores, formulas neutralized, who may export, at what cost."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from reviews import services
from reviews.models import Cycle, ReviewerAssignment, RubricTemplate
from tests.clients import signed_in
from tests.conftest import Tree
from tests.reviews.conftest import close_cycle
from tests.reviews.test_cycle_views import add_branches, busy_cycle, score_fully, submit_report


def workbook_of(response: Any) -> Workbook:
    return load_workbook(BytesIO(b"".join(response.streaming_content)))


def rows_of(workbook: Workbook, index: int) -> list[list[object]]:
    return [list(row) for row in workbook.worksheets[index].iter_rows(values_only=True)]


def table_after(rows: list[list[object]], first_header: str) -> list[list[object]]:
    """The rows below the header row that starts with FIRST_HEADER."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    return rows[start + 1 :]


@pytest.fixture
def export_cycle(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> Cycle:
    """一村 submitted and scored in full by the committee member (with a note that looks like a formula)."""
    report = open_cycle.reports.get(organization=tree.branch)
    submit_report(report, people.branch_secretary)
    score_fully(ReviewerAssignment.objects.get(report=report), note='=HYPERLINK("http://evil.example")')
    services.reviewer_assign(reports=[report], reviewer=people.committee_deputy, by=people.committee_secretary)
    return open_cycle


def test_export_holds_the_final_ranking_and_the_submitted_scores(
    client: Client, people: SimpleNamespace, tree: Tree, export_cycle: Cycle
) -> None:
    # The deputy saved points but did not submit: they are not in the export.
    deputy = ReviewerAssignment.objects.get(reviewer=people.committee_deputy)
    first = export_cycle.indicators.order_by("order").first()
    assert first is not None
    services.scores_save(assignment=deputy, entries={first.pk: {"points": "1"}}, comment="", by=deputy.reviewer)
    close_cycle(export_cycle, people.committee_secretary)

    response = signed_in(people.committee_secretary, client).get(reverse("cycle_export", args=[export_cycle.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"filename*=utf-8''{quote(f'{export_cycle.title}-排名.xlsx')}" in response["Content-Disposition"]
    workbook = workbook_of(response)
    assert workbook.sheetnames == ["排名", "评分明细"]
    ranking = rows_of(workbook, 0)
    assert ranking[0][:2] == ["考核", export_cycle.title]
    assert ranking[4][:2] == ["说明", "最终结果"]
    header_index = next(i for i, row in enumerate(ranking) if row and row[0] == "排名")
    assert ranking[header_index] == [
        "排名",
        "党组织",
        "组织代码",
        "日常考核",
        "述职评议",
        "民主测评",
        "综合得分",
        "等次",
        "等次依据",
        "分类定级",
        "有效票数",
        "评分人数",
        "缺项",
        "实际权重",
        "情况说明",
    ]
    body = table_after(ranking, "排名")
    assert [row[:3] for row in body] == [
        [1, tree.branch.name, tree.branch.code],
        [2, tree.branch_sibling.name, tree.branch_sibling.code],
        [2, tree.direct_branch.name, tree.direct_branch.code],
    ]
    # A component with no data is an empty cell (it reads back as None), never 0; the row says why.
    assert body[0][3:12] == [None, 100, None, 100, "好", "按综合得分分数段", "先进", None, 1]
    assert body[0][12:14] == ["日常考核、民主测评", "述职评议 100.0%"]
    assert "评分人数少于规定人数：测试说明" in body[0][14]
    assert "民主测评尚未结束：测试说明" in body[0][14]
    assert body[1][7:10] == ["差", "未提交述职报告，定为“差”", "后进"]
    assert ranking[5][:2] == ["计分", "得分保留 1 位小数，四舍五入"]

    scores = rows_of(workbook, 1)
    assert scores[0] == ["党组织", "评议人", "指标类别", "指标", "类型", "分值", "得分", "触发否决", "说明"]
    assert [row[:4] + row[5:7] for row in scores[1:]] == [
        [tree.branch.name, "committee_member", "组织建设", "“三会一课”落实", 60, 60],
        [tree.branch.name, "committee_member", "作风建设", "为民办实事", 40, 40],
    ]
    assert scores[1][4] == "考核指标"
    assert scores[1][8] == '\'=HYPERLINK("http://evil.example")'
    assert all(cell.data_type != "f" for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row)


def test_export_of_an_open_cycle_says_the_ranking_is_provisional(
    client: Client, people: SimpleNamespace, export_cycle: Cycle
) -> None:
    response = signed_in(people.committee_secretary, client).get(reverse("cycle_export", args=[export_cycle.pk]))
    ranking = rows_of(workbook_of(response), 0)
    assert ranking[4][:2] == ["说明", "暂定排名：考核结束时以最终结果为准。"]
    first = table_after(ranking, "排名")[0]
    assert first[4] == 100
    assert isinstance(first[4], int | float | Decimal)


def test_a_reviewer_who_has_not_scored_does_not_see_the_others_scores(
    client: Client, people: SimpleNamespace, tree: Tree, export_cycle: Cycle
) -> None:
    # The deputy is on the committee (may export) and still has to score 一村.
    response = signed_in(people.committee_deputy, client).get(reverse("cycle_export", args=[export_cycle.pk]))
    workbook = workbook_of(response)
    assert rows_of(workbook, 1)[1:] == []
    rows = table_after(rows_of(workbook, 0), "排名")
    first = next(row for row in rows if row[1] == tree.branch.name)
    assert first[0] in ("", None)  # no rank: it would tell where the hidden composite stands
    assert first[3:8] == [None] * 5
    assert first[8] == "提交本人评分后显示"


def test_export_neutralizes_a_title_that_looks_like_a_formula(
    client: Client, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    Cycle.objects.filter(pk=open_cycle.pk).update(title="=1+1 考核")
    response = signed_in(people.committee_secretary, client).get(reverse("cycle_export", args=[open_cycle.pk]))
    ranking = rows_of(workbook_of(response), 0)
    assert ranking[0][1] == "'=1+1 考核"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("committee_secretary", 200),
        ("grantee", 200),
        ("admin", 200),
        ("branch_secretary", 403),
        ("committee_party_member", 403),
        ("outsider", 404),
    ],
)
def test_export_follows_who_may_follow_the_cycle(
    client: Client, people: SimpleNamespace, open_cycle: Cycle, who: str, status: int
) -> None:
    response = signed_in(getattr(people, who), client).get(reverse("cycle_export", args=[open_cycle.pk]))
    assert response.status_code == status


def test_export_costs_the_same_for_3_or_12_organizations(
    client: Client, people: SimpleNamespace, tree: Tree, rubric: RubricTemplate
) -> None:
    client = signed_in(people.committee_secretary, client)

    def count(cycle: Cycle) -> int:
        for assignment in ReviewerAssignment.objects.filter(report__cycle=cycle).select_related(
            "report__cycle", "reviewer"
        ):
            submit_report(assignment.report, people.admin)
            score_fully(assignment)
        close_cycle(cycle, people.committee_secretary)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("cycle_export", args=[cycle.pk]))
            assert response.status_code == 200
            b"".join(response.streaming_content)
        return len(queries)

    small = count(busy_cycle(tree, people, rubric))
    add_branches(tree, 9)
    large_cycle = busy_cycle(tree, people, rubric)
    assert large_cycle.reports.count() == 12
    assert count(large_cycle) == small
