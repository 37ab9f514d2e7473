"""Excel exports: one list, and a committee's progress table.

Every text cell passes through `text_cell`, which keeps a spreadsheet from reading a
person's words as a formula (CSV/formula injection: `=HYPERLINK(...)`, `+cmd|...`).
Workbooks are written in openpyxl's write-only mode row by row, so a province's
progress table is read with one chunked query and never held in memory as cells.
`write_table` gives every export the same shape: a frozen header row and columns
as wide as their Chinese text. The reviews and rectification exports use these
helpers too.
"""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import chain, islice
from typing import IO, Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from accounts.models import Organization
from responsibility import selectors
from responsibility.models import Light, ResponsibilityList

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_CHUNK = 2000
# Above this a temporary file on disk holds the workbook instead of memory.
SPOOL_BYTES = 8 * 1024 * 1024
MAX_COLUMN_WIDTH = 60
"""A column never grows wider than this (in characters of a Latin digit): longer text is cut off at the screen."""
WIDTH_SAMPLE = EXPORT_CHUNK
"""Widths fit the first rows only: a write-only sheet must have them before its first row is written."""


def neutralize(value: str) -> str:
    """Text a spreadsheet shows as written: a leading formula character gets an apostrophe."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def text(value: Any) -> str:
    """A body cell's text; once neutralized it cannot start with "=", so openpyxl stores it as a string."""
    return neutralize("" if value is None else str(value))


def text_cell(sheet: WriteOnlyWorksheet, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    """A styled text cell, always stored as a string and never as a formula."""
    cell = WriteOnlyCell(sheet, value=text(value))
    cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def decimal_cell(sheet: WriteOnlyWorksheet, value: Decimal) -> WriteOnlyCell:
    """A number cell that holds the decimal exactly as written (88.6, not openpyxl's 88.59999999999999),
    shown with as many places as it has."""
    cell = WriteOnlyCell(sheet, value=float(value))
    # openpyxl writes numbers with "%.16g" of a float; a string in a numeric cell is written as it is.
    cell._value = format(value, "f")
    exponent = value.as_tuple().exponent
    places = max(-exponent, 0) if isinstance(exponent, int) else 0
    cell.number_format = "0." + "0" * places if places else "0"
    return cell


def exact(sheet: WriteOnlyWorksheet, row: Sequence[Any]) -> list[Any]:
    """The row with every Decimal as an exact number cell."""
    return [decimal_cell(sheet, value) if isinstance(value, Decimal) and value.is_finite() else value for value in row]


def display_width(value: Any) -> int:
    """How wide a value shows in a spreadsheet: its longest line, a Chinese (wide) character counting 2."""
    if isinstance(value, Cell):
        value = value.value
    lines = ("" if value is None else str(value)).split("\n")
    return max(sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in line) for line in lines)


def fitted_widths(minimums: Sequence[int], rows: Iterable[Sequence[Any]]) -> list[int]:
    """Each column as wide as its widest value plus a margin, no narrower than its minimum, capped."""
    widths = list(minimums)
    for row in rows:
        for index, value in enumerate(row):
            needed = min(display_width(value) + 2, MAX_COLUMN_WIDTH)
            if index < len(widths):
                widths[index] = max(widths[index], needed)
            else:
                widths.append(needed)
    return widths


def _set_widths(sheet: WriteOnlyWorksheet, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def write_facts(
    sheet: WriteOnlyWorksheet, facts: Sequence[tuple[str, Any]], *, minimums: Sequence[int] = (12, 24)
) -> None:
    """A sheet of (label, value) lines, such as what an export holds; both columns fit their text."""
    _set_widths(sheet, fitted_widths(minimums, [(label, text(value)) for label, value in facts]))
    for label, value in facts:
        sheet.append([text_cell(sheet, label, bold=True), text_cell(sheet, value)])


def write_table(
    sheet: WriteOnlyWorksheet,
    columns: Sequence[tuple[str, int]],
    rows: Iterable[Sequence[Any]],
    *,
    facts: Sequence[tuple[str, Any]] = (),
) -> int:
    """Writes the facts (label, value lines and a blank line), the bold header row and the rows; returns the row count.

    The header row stays in view when scrolling (everything above it is frozen). Columns are
    as wide as the header and the first WIDTH_SAMPLE rows need, never narrower than the
    column's own width (the second item of each of COLUMNS), capped at MAX_COLUMN_WIDTH.
    """
    header = [_(label) for label, _width in columns]
    remaining: Iterator[Sequence[Any]] = iter(rows)
    sample = list(islice(remaining, WIDTH_SAMPLE))
    # Fact labels share the first column; their values may run on into the empty cells beside them.
    measured = chain([header], sample, ([label] for label, _value in facts))
    _set_widths(sheet, fitted_widths([width for _label, width in columns], measured))
    header_row = len(facts) + 2 if facts else 1
    # A write-only sheet takes its views and widths before the first row.
    sheet.freeze_panes = f"A{header_row + 1}"
    for label, value in facts:
        sheet.append([text_cell(sheet, label, bold=True), text_cell(sheet, value)])
    if facts:
        sheet.append([])
    sheet.append([text_cell(sheet, label, bold=True) for label in header])
    count = 0
    for row in chain(sample, remaining):
        sheet.append(exact(sheet, row))
        count += 1
    return count


def save_workbook(workbook: Workbook) -> IO[bytes]:
    """The workbook as a file to stream, spooled to disk when large; the response closes it."""
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    workbook.save(output)
    output.seek(0)
    return output


LIST_COLUMNS: list[tuple[str, int]] = [
    (gettext_noop("类别"), 12),
    (gettext_noop("责任类型"), 12),
    (gettext_noop("内容"), 48),
    (gettext_noop("目标"), 20),
    (gettext_noop("落实工作要点"), 36),
    (gettext_noop("责任人"), 12),
    (gettext_noop("预警"), 8),
    (gettext_noop("全年进度"), 12),
    (gettext_noop("曾逾期"), 8),
]


def list_workbook(responsibility_list: ResponsibilityList) -> IO[bytes]:
    """The list as one sheet: what it is, then its items."""
    workbook = Workbook(write_only=True)
    facts = [
        (_("党组织"), responsibility_list.organization.name),
        (_("年度"), responsibility_list.year),
        (_("状态"), responsibility_list.get_status_display()),
        (_("版本"), responsibility_list.version),
        (_("完成率"), f"{responsibility_list.completion_rate}%"),
        (_("导出时间"), date_format(timezone.localtime(), "Y-m-d H:i")),
    ]
    rows = (
        [
            text(item.category.name),
            text(item.get_duty_type_display()),
            text(item.content),
            text(item.target_label()),
            text(item.work_point.text if item.work_point else ""),
            text(item.responsible.person.get_full_name() if item.responsible else ""),
            text(item.get_warning_display()),
            text(f"{item.done_total}/{item.required_total}"),
            text(_("是") if item.was_overdue else ""),
        ]
        for item in selectors.list_items_for_export(responsibility_list)
    )
    write_table(workbook.create_sheet(title=_("责任清单")), LIST_COLUMNS, rows, facts=facts)
    return save_workbook(workbook)


PROGRESS_COLUMNS: list[tuple[str, int]] = [
    (gettext_noop("党组织"), 32),
    (gettext_noop("组织代码"), 16),
    (gettext_noop("类别"), 10),
    (gettext_noop("领域"), 12),
    (gettext_noop("清单状态"), 10),
    (gettext_noop("预警"), 8),
    (gettext_noop("红灯条目"), 10),
    (gettext_noop("黄灯条目"), 10),
    (gettext_noop("绿灯条目"), 10),
    (gettext_noop("曾逾期条目"), 12),
    (gettext_noop("应完成次数"), 12),
    (gettext_noop("已完成次数"), 12),
    (gettext_noop("完成率(%)"), 10),
]


def _labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _progress_rows(roots: Sequence[Organization], filters: selectors.ProgressFilters) -> Iterator[list[Any]]:
    """One row per matching organization, read in chunks from one query."""
    # Labels translated once, not once a row.
    kinds = _labels(Organization.Kind.choices)
    sectors = _labels(Organization.Sector.choices)
    statuses = _labels(ResponsibilityList.Status.choices)
    lights = _labels(Light.choices)
    not_started = _("未建立")
    rows = selectors.progress_table(roots, filters).values_list(
        "name",
        "code",
        "kind",
        "sector",
        "list_id",
        "list_status",
        "list_warning",
        "list_red",
        "list_yellow",
        "list_green",
        "list_late",
        "list_required",
        "list_done",
    )
    for name, code, kind, sector, list_id, status, warning, red, yellow, green, late, required, done in rows.iterator(
        chunk_size=EXPORT_CHUNK
    ):
        described = [text(name), text(code), text(kinds.get(kind, kind)), text(sectors.get(sector, sector))]
        if list_id is None:
            yield [*described, not_started]
            continue
        figures = [red, yellow, green, late, required, done, selectors.completion_rate(done, required)]
        yield [*described, text(statuses.get(status, status)), text(lights.get(warning, warning)), *figures]


def progress_workbook(
    roots: Sequence[Organization], filters: selectors.ProgressFilters, *, filter_labels: Sequence[str] = ()
) -> IO[bytes]:
    """Every matching organization of the committee's progress table, read in chunks from one query."""
    workbook = Workbook(write_only=True)
    facts = [
        (_("范围"), "、".join(root.name for root in roots)),
        (_("年度"), filters.year),
        (_("筛选"), "；".join(filter_labels) or _("全部")),
        (_("导出时间"), date_format(timezone.localtime(), "Y-m-d H:i")),
    ]
    sheet = workbook.create_sheet(title=_("责任落实进度"))
    write_table(sheet, PROGRESS_COLUMNS, _progress_rows(roots, filters), facts=facts)
    return save_workbook(workbook)
