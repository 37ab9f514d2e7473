"""The Excel writer every export uses: formula-safe text, exact decimals, frozen headers, fitted widths.

Every text cell passes through `text`/`text_cell`, which keeps a spreadsheet from reading a person's
words as a formula (CSV/formula injection: `=HYPERLINK(...)`, `+cmd|...`); every Decimal is written as
its digits (`decimal_cell`), never through a float. Workbooks are written in openpyxl's write-only
mode row by row, so a province's table is never held in memory as cells. `write_table` gives every
export the same shape: the facts, a frozen bold header row and columns as wide as their Chinese text.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import chain, islice
from typing import IO, Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

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


UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def xlsx_response(output: IO[bytes], filename: str) -> FileResponse:
    """A workbook as a download under FILENAME, with what a file system refuses replaced."""
    # FileResponse writes filename*=utf-8''… (RFC 5987) for the Chinese name, with an ASCII fallback.
    return FileResponse(
        output, as_attachment=True, filename=UNSAFE_FILENAME.sub("_", filename), content_type=XLSX_CONTENT_TYPE
    )
