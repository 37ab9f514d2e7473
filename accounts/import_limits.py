"""What an import file may expand to, checked before openpyxl parses any of it.

An .xlsx is a zip of XML parts: a hundred kilobytes can declare gigabytes, or hold a sheet
of millions of rows. The archive's directory is checked first (sizes, ratios, parts; Python's
zipfile never inflates a part past the size its directory declares). Then every part is read
once by a streaming parser that keeps nothing and stops at the first limit broken: rows and
cells are counted as they come (a sheet's declared dimension can lie), and so are the
elements openpyxl would hold in memory at once. Only a file within every limit reaches
openpyxl, whose reading then costs memory in proportion to the limits, not to the file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from openpyxl.xml.constants import SHEET_MAIN_NS

RowT = TypeVar("RowT", bound=Sequence[Any])

# A workbook has a dozen parts and a few more per sheet, image or comment.
MAX_PARTS = 1000
# A part smaller than this cannot hurt, however well it compresses (a style sheet of repeated formats).
RATIO_FROM_BYTES = 1024 * 1024
# Elements openpyxl keeps until their part ends (styles, the workbook, whatever lies outside the rows):
# this many take about 80 MB; real workbooks have a few thousand.
MAX_HELD_ELEMENTS = 200_000
# Elements of one row or one shared text, kept until it ends: 50 cells need a few hundred.
MAX_RECORD_ELEMENTS = 10_000
READ_CHUNK = 64 * 1024
# Old .xls files and password-protected workbooks are OLE compound files, not zips.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
LAST_LETTERED_COLUMN = 18278  # ZZZ

# Tags as expat reports them with "}" as namespace separator (ElementTree's "{ns}tag" less the "{").
_WORKSHEET = SHEET_MAIN_NS + "}worksheet"
_ROW = SHEET_MAIN_NS + "}row"
_SHARED_STRINGS = SHEET_MAIN_NS + "}sst"
_SHARED_STRING = SHEET_MAIN_NS + "}si"


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    rows: int
    """Data rows per sheet or CSV file, the header not counted."""
    columns: int
    uncompressed_bytes: int
    compression_ratio: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            file_bytes=settings.IMPORT_MAX_BYTES,
            rows=settings.IMPORT_MAX_ROWS,
            columns=settings.IMPORT_MAX_COLUMNS,
            uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
            compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
        )

    @property
    def shared_strings(self) -> int:
        # Distinct texts: a sheet within the limits has no more cells than this. openpyxl keeps them all
        # (a million short ones take about 150 MB and half a minute to read).
        return (self.rows + 1) * self.columns


class LimitExceeded(Exception):
    """The file breaks a limit; `sheet` is the sheet's title, or empty for the file as a whole."""

    def __init__(self, message: str, *, sheet: str = "", row: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.sheet = sheet
        self.row = row


class NotAWorkbook(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _too_many_rows(limits: Limits) -> str:
    return _(
        "超过 %(limit)d 行（限制，不含表头），请拆分后分批导入；如果实际没有这么多行，请删除表格下方的空行后重新导入。"
    ) % {"limit": limits.rows}


def _too_many_columns(limits: Limits, column: int) -> str:
    if column > LAST_LETTERED_COLUMN:
        return _("用到了第 %(column)d 列，超过 %(limit)d 列（限制），请删除多余的列后重新导入。") % {
            "column": column,
            "limit": limits.columns,
        }
    return _("用到了第 %(column)d 列（%(letter)s 列），超过 %(limit)d 列（限制），请删除多余的列后重新导入。") % {
        "column": column,
        "letter": get_column_letter(column),
        "limit": limits.columns,
    }


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _abnormal(what: str) -> LimitExceeded:
    return LimitExceeded(
        _("文件结构异常（%(what)s），不像是 Excel 保存的文件，未导入。请在 Excel 中另存为 .xlsx 后重新上传。")
        % {"what": what}
    )


class _SheetTooLarge(Exception):
    def __init__(self, row: int, column: int = 0) -> None:
        self.row = row
        self.column = column


class _Scan:
    """Counts the XML parts of one file as expat reads them, the way openpyxl will read them.

    openpyxl drops each row of a worksheet and each shared text once read; every other
    element stays in memory until its part is done. So rows and shared texts are counted
    against the import's limits, their elements against MAX_RECORD_ELEMENTS, and everything
    else against MAX_HELD_ELEMENTS over the whole file.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.held = 0
        # Cell references are read on every cell: the columns within the limit are looked up.
        self.columns = {get_column_letter(number): number for number in range(1, limits.columns + 1)}

    def read(self, archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
        self.part = part.filename
        self.depth = self.record_depth = self.cell_depth = self.record_elements = self.records = 0
        self.record = ""
        self.row = self.cells = self.column = 0
        parser = expat.ParserCreate(namespace_separator="}")
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.StartDoctypeDeclHandler = self.doctype
        try:
            with archive.open(part) as stream:
                while chunk := stream.read(READ_CHUNK):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except expat.ExpatError:
            # Not XML (an image, printer settings) or broken XML: openpyxl never reads the part,
            # or fails where expat did.
            return

    def doctype(self, *args: Any) -> None:
        # No part of a workbook has one; a DTD is how entities multiply text.
        raise _abnormal(_("%(part)s 含有文档类型声明") % {"part": self.part})

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.record_depth:
            self.record_elements += 1
            if self.record_elements > MAX_RECORD_ELEMENTS:
                limit = MAX_RECORD_ELEMENTS
                raise _abnormal(
                    _("%(part)s 的一行或一条文本中元素超过 %(limit)d 个") % {"part": self.part, "limit": limit}
                )
            if self.depth == self.cell_depth:
                self.cell(attrs.get("r"))
        elif name == self.record:
            self.record_depth = self.depth
            self.record_elements = 0
            self.records += 1
            if name == _ROW:
                self.start_row(attrs.get("r"))
            elif self.records > self.limits.shared_strings:
                limit = self.limits.shared_strings
                raise _abnormal(_("%(part)s 中的共享文本超过 %(limit)d 条") % {"part": self.part, "limit": limit})
        else:
            if self.depth == 1:
                self.record = {_WORKSHEET: _ROW, _SHARED_STRINGS: _SHARED_STRING}.get(name, "")
            self.held += 1
            if self.held > MAX_HELD_ELEMENTS:
                limit = MAX_HELD_ELEMENTS
                raise _abnormal(_("%(part)s 等部件中的元素超过 %(limit)d 个") % {"part": self.part, "limit": limit})

    def end(self, name: str) -> None:
        if self.depth == self.record_depth:
            self.record_depth = self.cell_depth = 0
        self.depth -= 1

    def start_row(self, reference: str | None) -> None:
        # openpyxl numbers a row by its r attribute (read as a number) or as the one after the last,
        # and fills a gap with empty rows: the highest number is how many rows it yields.
        self.row = int(float(reference)) if reference else self.row + 1
        self.cells = self.column = 0
        # openpyxl takes every child of a row for a cell.
        self.cell_depth = self.depth + 1
        if max(self.records, self.row) > self.limits.rows + 1:
            raise _SheetTooLarge(max(self.records, self.row))

    def cell(self, reference: str | None) -> None:
        # Placed by its reference (openpyxl reads only the column from it), or after the last.
        self.cells += 1
        if reference:
            self.column = self.columns.get(reference.rstrip("0123456789")) or coordinate_to_tuple(reference)[1]
        else:
            self.column += 1
        if max(self.cells, self.column) > self.limits.columns:
            raise _SheetTooLarge(self.row, max(self.cells, self.column))


def _check_directory(parts: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(parts) > MAX_PARTS:
        raise _abnormal(_("含有 %(n)d 个部件，限制为 %(limit)d 个") % {"n": len(parts), "limit": MAX_PARTS})
    total = sum(part.file_size for part in parts)
    if total > limits.uncompressed_bytes:
        raise LimitExceeded(
            _("文件解压后为 %(size)s MB，超过 %(limit)s MB（限制），请拆分后分批导入。")
            % {"size": _megabytes(total), "limit": _megabytes(limits.uncompressed_bytes)}
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size >= RATIO_FROM_BYTES and ratio > limits.compression_ratio:
            raise _abnormal(
                _("%(part)s 解压后是压缩时的 %(ratio)d 倍，限制为 %(limit)d 倍")
                % {"part": part.filename, "ratio": ratio, "limit": limits.compression_ratio}
            )


def _sheet_titles(content: bytes) -> dict[str, str]:
    """Each worksheet part's title, in the workbook's order (read only once every part passed)."""
    reader = ExcelReader(io.BytesIO(content), read_only=True)
    try:
        reader.read_manifest()
        reader.read_workbook()
        return {rel.target: sheet.name for sheet, rel in reader.parser.find_sheets()}
    finally:
        reader.archive.close()


def check_size(content: bytes, limits: Limits) -> None:
    """The upload page checks this before reading; the command and other callers are held to it here."""
    if len(content) > limits.file_bytes:
        raise LimitExceeded(
            _("文件为 %(size)s MB，超过 %(limit)s MB（限制），请拆分后分批导入。")
            % {"size": _megabytes(len(content)), "limit": _megabytes(limits.file_bytes)}
        )


def check_xlsx(content: bytes, limits: Limits) -> None:
    """Raises NotAWorkbook or LimitExceeded unless openpyxl may read the file within the limits."""
    if content.startswith(OLE_SIGNATURE):
        raise NotAWorkbook(
            _(
                "无法读取文件：这是旧版 Excel（.xls）文件或设置了打开密码的工作簿。"
                "请在 Excel 中取消密码并另存为 .xlsx 后重新上传。"
            )
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as broken:
        raise NotAWorkbook(
            _(
                "无法读取文件：不是有效的 .xlsx 文件（.xlsx 文件是 zip 压缩包，这个文件不是，"
                "可能是其他格式改了扩展名）。请在 Excel 中打开并另存为 .xlsx 后重新上传。"
            )
        ) from broken
    too_large: dict[str, _SheetTooLarge] = {}
    with archive:
        parts = archive.infolist()
        _check_directory(parts, limits)
        scan = _Scan(limits)
        for part in parts:
            try:
                scan.read(archive, part)
            except _SheetTooLarge as breach:
                # Read on: the sheets' titles come from parts not yet checked.
                too_large[part.filename] = breach
    if too_large:
        titles = _sheet_titles(content)
        # The first sheet in the workbook's order that breaks a limit.
        path = next((path for path in titles if path in too_large), next(iter(too_large)))
        first = too_large[path]
        if first.column:
            raise LimitExceeded(_too_many_columns(limits, first.column), sheet=titles.get(path, path), row=first.row)
        raise LimitExceeded(_too_many_rows(limits), sheet=titles.get(path, path))


def bounded_rows(rows: Iterable[RowT], sheet: str, limits: Limits) -> list[RowT]:
    """The rows, counted as they come and refused as soon as there are too many or one is too wide."""
    kept = []
    for number, row in enumerate(rows, start=1):
        if number > limits.rows + 1:
            raise LimitExceeded(_too_many_rows(limits), sheet=sheet)
        if len(row) > limits.columns:
            raise LimitExceeded(_too_many_columns(limits, len(row)), sheet=sheet, row=number)
        kept.append(row)
    return kept
