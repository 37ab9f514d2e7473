"""What an import file may expand to: zip bombs, too many rows or columns, files that are no workbook."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Iterable, Iterator
from itertools import repeat
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.import_limits import MAX_HELD_ELEMENTS, MAX_PARTS, MAX_RECORD_ELEMENTS, OLE_SIGNATURE
from accounts.importing import organizations_import
from accounts.models import Organization
from tests.accounts.test_import import ORG_HEADER, PEOPLE, PEOPLE_HEADER, csv_file, refusals, snapshot, workbook

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"
NAMESPACE = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
TOO_MANY_ROWS = (
    "超过 20000 行（限制，不含表头），请拆分后分批导入；如果实际没有这么多行，请删除表格下方的空行后重新导入。"
)


def cell(reference: str, text: str) -> bytes:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


HEADER_ROW = b'<row r="1">' + b"".join(cell(f"{'ABCDEF'[i]}1", name) for i, name in enumerate(ORG_HEADER)) + b"</row>"


def organization_row(number: int) -> bytes:
    return (
        f'<row r="{number}">'.encode()
        + cell(f"A{number}", f"N{number}")
        + cell(f"B{number}", "支部")
        + (cell(f"C{number}", "党支部") + b"</row>")
    )


def sheet_xml(rows: Iterable[bytes], *, dimension: str = "", after: Iterable[bytes] = ()) -> Iterator[bytes]:
    """A worksheet, in chunks: the 组织 header, then the given rows and whatever follows them."""
    yield b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + NAMESPACE + b">"
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>" + HEADER_ROW
    yield from rows
    yield b"</sheetData>"
    yield from after
    yield b"</worksheet>"


def xlsx(sheet: Iterable[bytes], extra_parts: Iterable[tuple[str, bytes]] = ()) -> bytes:
    """A workbook saved by openpyxl with the XML of its sheet 组织 replaced, deflated chunk by chunk as it comes."""
    saved = zipfile.ZipFile(io.BytesIO(workbook([])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in saved.infolist():
            if part.filename != SHEET:
                archive.writestr(part.filename, saved.read(part))
                continue
            with archive.open(SHEET, "w") as stream:
                for chunk in sheet:
                    stream.write(chunk)
        for name, content in extra_parts:
            archive.writestr(name, content)
    return buffer.getvalue()


def refused_within_limits(files: list[tuple[str, bytes]]) -> tuple[list[tuple[str, int, str]], float, float]:
    """The refusals, the seconds they took and the peak of memory allocated meanwhile (MB, a second run)."""
    started = time.perf_counter()
    errors = refusals(files)
    seconds = time.perf_counter() - started
    # Tracing slows every allocation down: the time is taken untraced.
    tracemalloc.start()
    try:
        assert refusals(files) == errors
        peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    finally:
        tracemalloc.stop()
    return errors, seconds, peak


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """Ten million empty rows: 60 MB of XML deflated to well under 100 kB."""
    return xlsx(sheet_xml(repeat(b"<row/>" * 100_000, 100)))


# ---------------------------------------------------------------- zip bombs


def test_a_zip_bomb_of_millions_of_empty_rows_is_refused_from_its_directory_quickly_and_in_little_memory(
    bomb: bytes,
) -> None:
    assert len(bomb) < 150_000
    before = snapshot()

    errors, seconds, peak = refused_within_limits([("名册.xlsx", bomb)])

    assert errors == [("名册.xlsx", 0, "文件解压后为 57.2 MB，超过 50 MB（限制），请拆分后分批导入。")]
    assert peak < 50
    assert seconds < 2
    assert snapshot() == before


def test_a_bomb_of_numbered_rows_that_deflates_like_a_real_sheet_is_stopped_as_its_rows_are_counted() -> None:
    # 400,000 empty rows, each with its number: a normal compression ratio and well under the size limit,
    # so only counting the rows as they come stops it.
    rows = (b"".join(b'<row r="%d"/>' % n for n in range(start, start + 10_000)) for start in range(2, 400_002, 10_000))
    bomb = xlsx(sheet_xml(rows, dimension="A1:F2"))
    before = snapshot()

    errors, seconds, peak = refused_within_limits([("名册.xlsx", bomb)])

    assert errors == [("组织", 0, TOO_MANY_ROWS)]
    assert peak < 50
    assert seconds < 2
    assert snapshot() == before


def test_a_part_that_deflates_absurdly_well_is_refused() -> None:
    bomb = xlsx(sheet_xml(repeat(b"<row/>" * 100_000, 2)))

    errors = refusals([("名册.xlsx", bomb)])

    assert len(errors) == 1
    assert errors[0][:2] == ("名册.xlsx", 0)
    assert errors[0][2].startswith(f"文件结构异常（{SHEET} 解压后是压缩时的 ")
    assert "倍，限制为 100 倍），不像是 Excel 保存的文件，未导入。" in errors[0][2]


def declaring(content: bytes, size: int) -> bytes:
    """The file with its sheet declared `size` bytes long, in its local header and in the central directory."""
    lying = bytearray(content)
    local = zipfile.ZipFile(io.BytesIO(content)).getinfo(SHEET).header_offset
    central = lying.rfind(SHEET.encode()) - 46
    struct.pack_into("<I", lying, local + 22, size)
    struct.pack_into("<I", lying, central + 24, size)
    return bytes(lying)


def test_a_part_that_inflates_past_its_declared_size_is_cut_there_and_the_file_refused(bomb: bytes) -> None:
    lying = declaring(bomb, 1000)

    errors, seconds, peak = refused_within_limits([("名册.xlsx", lying)])

    assert errors == [("名册.xlsx", 0, "无法读取文件：不是有效的 .xlsx 文件。")]
    assert peak < 50
    assert seconds < 2


def test_elements_that_would_stay_in_memory_are_counted_and_refused() -> None:
    junk = xlsx(sheet_xml([], after=repeat(b"<x/>" * 1000, MAX_HELD_ELEMENTS // 1000 + 1)))

    # Untraced: tracing 200,000 callbacks would take longer than the refusal.
    started = time.perf_counter()
    errors = refusals([("名册.xlsx", junk)])

    assert time.perf_counter() - started < 2
    assert errors == [
        (
            "名册.xlsx",
            0,
            f"文件结构异常（{SHEET} 等部件中的元素超过 200000 个），不像是 Excel 保存的文件，未导入。"
            "请在 Excel 中另存为 .xlsx 后重新上传。",
        )
    ]


def test_a_row_of_too_many_elements_is_refused() -> None:
    runs = b"<r><t>x</t></r>" * (MAX_RECORD_ELEMENTS // 2 + 1)
    row = b'<row r="2"><c r="A2" t="inlineStr"><is>' + runs + b"</is></c></row>"

    errors = refusals([("名册.xlsx", xlsx(sheet_xml([row])))])

    assert errors == [
        (
            "名册.xlsx",
            0,
            f"文件结构异常（{SHEET} 的一行或一条文本中元素超过 10000 个），不像是 Excel 保存的文件，未导入。"
            "请在 Excel 中另存为 .xlsx 后重新上传。",
        )
    ]


def test_too_many_shared_texts_are_refused(settings: Any) -> None:
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS = 1, 6
    strings = b"<sst " + NAMESPACE + b">" + b"<si><t>x</t></si>" * 13 + b"</sst>"

    errors = refusals([("名册.xlsx", xlsx(sheet_xml([]), [("xl/sharedStrings.xml", strings)]))])

    assert [message for _sheet, _row, message in errors] == [
        "文件结构异常（xl/sharedStrings.xml 中的共享文本超过 12 条），不像是 Excel 保存的文件，未导入。"
        "请在 Excel 中另存为 .xlsx 后重新上传。"
    ]


def test_a_part_with_a_document_type_is_refused() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]><worksheet ' + NAMESPACE + b"/>"

    errors = refusals([("名册.xlsx", xlsx([laughs]))])

    assert [message for _sheet, _row, message in errors] == [
        f"文件结构异常（{SHEET} 含有文档类型声明），不像是 Excel 保存的文件，未导入。"
        "请在 Excel 中另存为 .xlsx 后重新上传。"
    ]


def test_a_file_of_too_many_parts_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(MAX_PARTS + 1):
            archive.writestr(f"xl/media/{number}.xml", b"")

    errors = refusals([("名册.xlsx", buffer.getvalue())])

    assert errors == [
        (
            "名册.xlsx",
            0,
            "文件结构异常（含有 1001 个部件，限制为 1000 个），不像是 Excel 保存的文件，未导入。"
            "请在 Excel 中另存为 .xlsx 后重新上传。",
        )
    ]


# ---------------------------------------------------------------- rows and columns


def test_a_sheet_may_have_as_many_rows_as_the_limit_and_no_more(settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 3
    rows = [[f"N{n}", f"支部{n}", "党支部", "", ""] for n in range(4)]

    assert refusals([("名册.xlsx", workbook(rows))]) == [("组织", 0, TOO_MANY_ROWS.replace("20000", "3"))]
    assert not Organization.objects.exists()

    assert organizations_import(files=[("名册.xlsx", workbook(rows[:3]))]).organizations_created == 3


def test_rows_are_counted_whatever_the_sheet_declares(settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 10
    under_declared = xlsx(sheet_xml((organization_row(n) for n in range(2, 13)), dimension="A1:F2"))
    # Declaring the whole sheet would have each row read 16,384 cells wide.
    over_declared = xlsx(sheet_xml((organization_row(n) for n in range(2, 4)), dimension="A1:XFD1048576"))

    assert refusals([("名册.xlsx", under_declared)]) == [("组织", 0, TOO_MANY_ROWS.replace("20000", "10"))]
    assert organizations_import(files=[("名册.xlsx", over_declared)]).organizations_created == 2


def test_a_gap_in_the_row_numbers_counts_as_the_empty_rows_it_stands_for(settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 10

    errors = refusals([("名册.xlsx", xlsx(sheet_xml([organization_row(2), organization_row(12)])))])

    assert errors == [("组织", 0, TOO_MANY_ROWS.replace("20000", "10"))]


def test_a_row_wider_than_the_limit_is_refused_with_its_row_and_column() -> None:
    rows = [["N1", "甲", "党支部", "", ""], ["N2", "乙", "党支部", "", "", "", *(["备注"] * 45)]]

    errors = refusals([("名册.xlsx", workbook(rows, PEOPLE))])

    assert errors == [("组织", 3, "用到了第 51 列（AY 列），超过 50 列（限制），请删除多余的列后重新导入。")]


def test_cells_without_references_are_counted_too() -> None:
    row = b'<row r="2">' + b'<c t="inlineStr"><is><t>x</t></is></c>' * 51 + b"</row>"

    errors = refusals([("名册.xlsx", xlsx(sheet_xml([row])))])

    assert errors == [("组织", 2, "用到了第 51 列（AY 列），超过 50 列（限制），请删除多余的列后重新导入。")]


def test_each_of_two_workbooks_names_its_file_and_sheet(settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 1
    people_rows = [["a", "甲", "", "N1", "党员", ""], ["b", "乙", "", "N1", "党员", ""]]

    errors = refusals([("甲.xlsx", workbook([])), ("乙.xlsx", workbook([], people_rows))])

    assert errors == [("乙.xlsx 人员", 0, TOO_MANY_ROWS.replace("20000", "1"))]


# ---------------------------------------------------------------- files that are no workbook


def test_a_file_that_is_not_a_zip_is_refused_with_a_clear_message() -> None:
    errors = refusals([("名册.xlsx", b"name,code\nnot a workbook\n")])

    assert errors == [
        (
            "名册.xlsx",
            0,
            "无法读取文件：不是有效的 .xlsx 文件（.xlsx 文件是 zip 压缩包，这个文件不是，可能是其他格式改了扩展名）。"
            "请在 Excel 中打开并另存为 .xlsx 后重新上传。",
        )
    ]


def test_an_old_xls_file_renamed_to_xlsx_is_told_apart() -> None:
    errors = refusals([("名册.xlsx", OLE_SIGNATURE + bytes(504))])

    assert errors == [
        (
            "名册.xlsx",
            0,
            "无法读取文件：这是旧版 Excel（.xls）文件或设置了打开密码的工作簿。"
            "请在 Excel 中取消密码并另存为 .xlsx 后重新上传。",
        )
    ]


# ---------------------------------------------------------------- CSV


def test_a_csv_of_millions_of_empty_lines_is_refused_quickly_and_in_little_memory() -> None:
    lines = b"\n" * 10_000_000

    errors, seconds, peak = refused_within_limits([("组织.csv", lines)])

    assert errors == [("组织.csv", 0, TOO_MANY_ROWS)]
    assert peak < 50
    assert seconds < 2


def test_a_csv_row_wider_than_the_limit_is_refused() -> None:
    content = csv_file(ORG_HEADER, [["N1", "甲", "党支部", "", ""], ["N2", *(["乙"] * 50)]])

    errors = refusals([("组织.csv", content)])

    assert errors == [("组织.csv", 3, "用到了第 51 列（AY 列），超过 50 列（限制），请删除多余的列后重新导入。")]


def test_the_import_itself_refuses_a_file_larger_than_an_upload_may_be(settings: Any) -> None:
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    content = csv_file(PEOPLE_HEADER, [["a", "甲" * 600_000, "", "N1", "党员", ""]])

    errors = refusals([("人员.csv", content)])

    assert errors == [("人员.csv", 0, "文件为 1.7 MB，超过 1 MB（限制），请拆分后分批导入。")]


# ---------------------------------------------------------------- the upload page


def test_the_page_shows_why_a_bomb_was_refused_and_saves_nothing(
    client: Any, people: SimpleNamespace, bomb: bytes
) -> None:
    client.force_login(people.admin)
    before = snapshot()

    response = client.post(reverse("organization_import"), {"upload": [SimpleUploadedFile("名册.xlsx", bomb)]})

    assert response.status_code == 200
    content = response.content.decode()
    assert "文件有 1 处错误，未导入任何数据。" in content
    assert "文件解压后为 57.2 MB，超过 50 MB（限制），请拆分后分批导入。" in content
    assert snapshot() == before


def test_the_page_tells_the_limits_before_the_upload(client: Any, people: SimpleNamespace, settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 5000
    client.force_login(people.admin)

    response = client.get(reverse("organization_import"))

    assert "单个文件不超过 10 MB，每个工作表不超过 5000 行。" in response.content.decode()
