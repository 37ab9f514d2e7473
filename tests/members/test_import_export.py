"""The roll's Excel import (per-row errors, all or nothing, limits) and export (recorded for the audit page)."""

from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.importing import ImportRejected
from members import services
from members.models import Member, RollExport
from tests.clients import signed_in
from tests.members.conftest import id_number

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "性别", "民族", "身份证号", "入党日期", "党员类别", "预计转正日期", "党小组", "手机"]


def workbook(*rows: list[Any], header: list[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "名册"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


GOOD = [
    ["陈一", "男", "汉族", id_number(11), "2010-07-01", "正式党员", "", "第一党小组", "13800000001"],
    ["陈二", "女", "回族", id_number(12), date(2026, 5, 4), "预备党员", date(2027, 5, 4), "", ""],
]


def test_a_good_file_adds_every_member(roll: SimpleNamespace, tree: Any, people: SimpleNamespace) -> None:
    added = services.roll_import(
        organization=tree.branch, by=people.branch_secretary, filename="名册.xlsx", content=workbook(*GOOD)
    )
    assert added == 2
    chen = Member.objects.get(name="陈一")
    assert chen.party_group == roll.group
    assert chen.birth_date == date(1990, 1, 1)
    assert Member.objects.get(name="陈二").category == Member.Category.PROBATIONARY


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (["陈三", "男", "", id_number(12), "2010-07-01", "", "", "", ""], "身份证号与第 3 行重复"),
        (["陈三", "男", "", id_number(1), "2010-07-01", "", "", "", ""], "已有在册党员使用该身份证号"),
        (["陈三", "男", "", "", "2020-07-01", "预备党员", "2019-07-01", "", ""], "预计转正日期须晚于入党日期"),
        (["陈三", "男", "", "", "2020-07-01", "预备党员", "", "", ""], "预备党员须填写预计转正日期"),
        (["陈三", "不详", "", "", "2020-07-01", "", "", "", ""], "性别"),
        (["陈三", "男", "", "", "去年", "", "", "", ""], "不是日期"),
        (["陈三", "男", "", "", "2020-07-01", "积极分子", "", "", ""], "党员类别"),
        (["陈三", "男", "", "", "2020-07-01", "", "", "第九小组", ""], "第九小组"),
        (["陈三", "男", "", "123", "2020-07-01", "", "", "", ""], "18 位"),
    ],
)
def test_each_bad_row_is_named_by_its_number_and_nothing_is_added(
    roll: SimpleNamespace, tree: Any, people: SimpleNamespace, bad_row: list[Any], message: str
) -> None:
    before = Member.objects.count()
    with pytest.raises(ImportRejected) as rejected:
        services.roll_import(
            organization=tree.branch,
            by=people.branch_secretary,
            filename="名册.xlsx",
            content=workbook(*GOOD, bad_row),
        )
    errors = [str(error) for error in rejected.value.errors]
    assert any("第 4 行" in error and message in error for error in errors), errors
    assert Member.objects.count() == before


def test_a_missing_column_an_old_file_and_too_many_rows_are_refused(
    tree: Any, people: SimpleNamespace, settings: Any
) -> None:
    def refused(filename: str, content: bytes) -> str:
        with pytest.raises(ImportRejected) as rejected:
            services.roll_import(
                organization=tree.branch, by=people.branch_secretary, filename=filename, content=content
            )
        return " ".join(str(error) for error in rejected.value.errors)

    assert "缺少“入党日期”列" in refused("a.xlsx", workbook(["陈一", "男"], header=["姓名", "性别"]))
    assert ".xls" in refused("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100)
    assert "不是有效的 .xlsx" in refused("a.xlsx", b"not a zip")
    settings.IMPORT_MAX_ROWS = 1
    assert "超过 1 行" in refused("a.xlsx", workbook(*GOOD))
    assert not Member.objects.exists()


def test_only_the_branch_imports(tree: Any, people: SimpleNamespace) -> None:
    with pytest.raises(PermissionDenied):
        services.roll_import(
            organization=tree.branch, by=people.committee_secretary, filename="a.xlsx", content=workbook(*GOOD)
        )


def test_the_import_page_lists_every_error(tree: Any, people: SimpleNamespace) -> None:
    client = signed_in(people.branch_secretary)
    upload = io.BytesIO(workbook(["陈三", "不详", "", "", "去年", "", "", "", ""]))
    upload.name = "名册.xlsx"
    response = client.post(reverse("member_import", args=[tree.branch.pk]), {"file": upload})
    page = response.content.decode()
    assert "第 2 行" in page
    assert "性别" in page
    assert "不是日期" in page
    upload = io.BytesIO(workbook(*([*row[:7], "", row[8]] for row in GOOD)))
    upload.name = "名册.xlsx"
    assert client.post(reverse("member_import", args=[tree.branch.pk]), {"file": upload}).status_code == 302
    assert Member.objects.count() == 2


def test_an_export_is_recorded_and_reads_back_in(roll: SimpleNamespace, tree: Any, people: SimpleNamespace) -> None:
    client = signed_in(people.committee_secretary)
    response = client.post(reverse("member_export", args=[tree.branch.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    export = RollExport.objects.get()
    assert (export.organization, export.by, export.rows) == (tree.branch, people.committee_secretary, 2)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert id_number(1) in [cell.value for row in sheet.iter_rows() for cell in row]
    # The export reads back as an import once the members have left the roll (ID numbers are free again).
    for member in (roll.full, roll.probationary):
        services.member_transfer_out(member=member, by=people.branch_secretary, on=date(2026, 6, 1), to_text="外省")
    assert services.roll_import(organization=tree.branch, by=people.admin, filename="x.xlsx", content=content) == 2


def test_the_audit_page_shows_the_export_to_the_committee_not_to_a_member(
    roll: SimpleNamespace, tree: Any, people: SimpleNamespace
) -> None:
    signed_in(people.branch_secretary).post(reverse("member_export", args=[tree.branch.pk]))
    url = reverse("audit_log") + "?model=members.RollExport"
    assert len(signed_in(people.committee_secretary).get(url).context["page"].object_list) == 1


def test_a_plain_member_cannot_export(roll: SimpleNamespace, tree: Any, people: SimpleNamespace) -> None:
    assert signed_in(people.branch_member).post(reverse("member_export", args=[tree.branch.pk])).status_code == 403
    assert signed_in(people.outsider).post(reverse("member_export", args=[tree.branch.pk])).status_code == 404
    assert not RollExport.objects.exists()
