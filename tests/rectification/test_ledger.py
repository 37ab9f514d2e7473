"""整改台账: the board's tasks as Excel with the columns officials use, filtered like the board, safe to open."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from types import SimpleNamespace
from urllib.parse import quote

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Organization, Position
from rectification import services
from rectification.models import Finding, RectificationTask
from responsibility.models import Category
from tests.clients import signed_in
from tests.conftest import Tree, _person
from tests.factories import OrganizationFactory

URL = reverse("ledger_export")
TODAY = timezone.localdate()
COLUMNS = ["序号", "问题", "整改措施", "责任人", "时限", "进展", "状态", "销号时间"]


def ledger_rows(response) -> list[list[object]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["整改台账"]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def new_task(organization: Organization, by, category: Category, *descriptions: str, **fields: object):  # type: ignore[no-untyped-def]
    findings = [
        services.finding_raise(
            organization=organization,
            year=TODAY.year,
            source=Finding.Source.INSPECTION,
            description=text,
            category=category,
            by=by,
        )
        for text in descriptions or (f"{organization.name}的问题",)
    ]
    position = Position.objects.current().filter(organization=organization).first()
    responsible = position.person if position else _person(f"sec-{organization.code}", organization, "secretary")
    task = services.task_create(
        findings=findings, title="整改", responsible=responsible, deadline=TODAY + timedelta(days=10), by=by
    )
    if fields:
        RectificationTask.objects.filter(pk=task.pk).update(**fields)
        task.refresh_from_db()
    return task


def test_the_ledger_has_the_officials_columns_in_order_and_each_tasks_contents(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    task = new_task(tree.branch, boss, category, "会议记录不全。", "谈心谈话不够。")
    services.task_plan(
        task=task, measures="补齐记录，建立台账。", standard="记录齐全", commitment="按期完成", by=task.responsible
    )
    services.task_progress(task=task, text="已补齐上半年记录。", by=people.branch_secretary)
    services.task_progress(task=task, text="已建立会议台账。", by=people.branch_secretary)
    accepted_at = timezone.make_aware(datetime(TODAY.year, 1, 15, 23, 30))
    closed = new_task(tree.direct_branch, boss, category, "发展党员程序不规范。")
    RectificationTask.objects.filter(pk=closed.pk).update(status="accepted", accepted_at=accepted_at)

    rows = ledger_rows(signed_in(boss, client).get(URL))
    assert rows[0][: len(COLUMNS)] == COLUMNS
    assert rows[0][len(COLUMNS)] == "整改单位"
    by_unit = {row[8]: row for row in rows[1:]}
    assert set(by_unit) == {tree.branch.name, tree.direct_branch.name}
    first = by_unit[tree.branch.name]
    assert first[1] == "会议记录不全。\n谈心谈话不够。"
    assert first[2] == "补齐记录，建立台账。"
    assert first[3] == people.branch_secretary.get_full_name()
    assert first[4] == task.deadline.isoformat()
    assert first[5] == "已建立会议台账。"
    assert first[6] == "整改中"
    assert first[7] in ("", None)
    second = by_unit[tree.direct_branch.name]
    assert second[6] == "已销号"
    assert second[7] == timezone.localtime(accepted_at).date().isoformat()
    assert sorted(row[0] for row in rows[1:]) == [1, 2]


def test_the_ledger_keeps_the_boards_filters_and_subtree(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    late = new_task(tree.branch, boss, category, "逾期的问题", deadline=TODAY - timedelta(days=3))
    new_task(tree.direct_branch, boss, category, "按期的问题")
    new_task(tree.sibling_branch, people.admin, category, "别的镇的问题")
    rows = ledger_rows(signed_in(boss, client).get(URL, {"overdue": "on"}))
    assert [row[1] for row in rows[1:]] == ["逾期的问题"]
    assert late.organization.name == rows[1][8]
    everything = ledger_rows(client.get(URL))
    assert "别的镇的问题" not in [row[1] for row in everything[1:]]


def test_text_that_looks_like_a_formula_stays_text(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    new_task(tree.branch, people.committee_secretary, category, '=HYPERLINK("http://evil.example","点我")')
    rows = ledger_rows(signed_in(people.committee_secretary, client).get(URL))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","点我")'


def test_the_file_is_named_in_chinese_the_rfc_5987_way(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    response = signed_in(people.committee_secretary, client).get(URL, {"org": tree.general.pk, "year": 2025})
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" + quote(f"整改台账-{tree.general.name}-2025.xlsx") in disposition
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_only_committees_export_and_only_what_they_follow(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    assert signed_in(people.branch_secretary, client).get(URL).status_code == 403
    assert signed_in(people.committee_secretary, client).get(URL, {"org": tree.sibling_township.pk}).status_code == 404


def _export_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        rows = ledger_rows(client.get(URL))
    assert len(rows) > 1
    return len(captured)


def test_the_export_costs_the_same_number_of_queries_whatever_the_data(
    client: Client, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    boss = people.committee_secretary
    new_task(tree.branch, boss, category)
    signed_in(boss, client)
    small = _export_queries(client)
    for index in range(5):
        branch = OrganizationFactory(parent=tree.township, kind=Organization.Kind.BRANCH, code=f"C-T1-L{index}")
        task = new_task(branch, boss, category, "问题一", "问题二")
        services.task_plan(task=task, measures="措施", standard="标准", commitment="承诺", by=task.responsible)
        services.task_progress(task=task, text="进展", by=task.responsible)
    assert _export_queries(client) == small
