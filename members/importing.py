"""Reading a roll from the Excel a branch keeps (.xlsx): its header row names the columns, each later row a
member. The file is held to accounts.import_limits before openpyxl reads it; every cell that cannot be
read is reported with its row number, and the services check the rest (members.services.roll_import)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import openpyxl
from django.utils.translation import gettext as _

from accounts.import_limits import LimitExceeded, Limits, NotAWorkbook, bounded_rows, check_size, check_xlsx
from accounts.importing import ImportRejected, RowError, cell_date, cell_text
from accounts.models import Organization
from members.fields import MemberFields
from members.models import Member, PartyGroup


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False


COLUMNS = (
    Column("name", "姓名", required=True),
    Column("gender", "性别", required=True),
    Column("ethnicity", "民族"),
    Column("birth_date", "出生日期"),
    Column("education", "学历"),
    Column("id_number", "身份证号"),
    Column("joined_on", "入党日期", required=True),
    Column("category", "党员类别"),
    Column("full_membership_due", "预计转正日期"),
    Column("party_group", "党小组"),
    Column("occupation", "工作岗位"),
    Column("phone", "手机"),
)
DATE_COLUMNS = (("birth_date", "出生日期"), ("joined_on", "入党日期"), ("full_membership_due", "预计转正日期"))
_GENDERS = {
    "男": Member.Gender.MALE,
    "女": Member.Gender.FEMALE,
    "male": Member.Gender.MALE,
    "female": Member.Gender.FEMALE,
}
_CATEGORIES = {
    "": Member.Category.FULL,
    "正式": Member.Category.FULL,
    "正式党员": Member.Category.FULL,
    "预备": Member.Category.PROBATIONARY,
    "预备党员": Member.Category.PROBATIONARY,
}


def _sheet(filename: str, content: bytes) -> tuple[str, list[Sequence[Any]]]:
    limits = Limits.from_settings()
    try:
        check_size(content, limits)
        if not filename.lower().endswith(".xlsx"):
            raise NotAWorkbook(_("不支持的文件类型，请上传 .xlsx 文件。"))
        check_xlsx(content, limits)
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as broken:
            # Uploads are untrusted: whatever openpyxl trips over is one readable error.
            raise NotAWorkbook(_("无法读取文件：不是有效的 .xlsx 文件。")) from broken
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()
            return sheet.title, bounded_rows(sheet.iter_rows(values_only=True), sheet.title, limits)
        finally:
            workbook.close()
    except LimitExceeded as refused:
        raise ImportRejected([RowError(refused.sheet or filename, refused.row, refused.message)]) from refused
    except NotAWorkbook as refused:
        raise ImportRejected([RowError(filename, 0, refused.message)]) from refused


def read_roll(organization: Organization, filename: str, content: bytes) -> tuple[str, list[tuple[int, MemberFields]]]:
    """The first sheet's title and each filled row's number and fields; ImportRejected lists every cell that
    cannot be read (a missing column, a date that is not one, an unknown 性别, 党员类别 or 党小组)."""
    title, rows = _sheet(filename, content)
    if not rows:
        raise ImportRejected([RowError(title, 0, _("文件中没有可导入的数据。"))])
    # An export puts what it holds above the header: the header is the first row that names 姓名.
    start = next((index for index, row in enumerate(rows[:10]) if "姓名" in [cell_text(cell) for cell in row]), 0)
    header = [cell_text(cell).replace("*", "").strip() for cell in rows[start]]
    positions = {column.key: header.index(column.label) for column in COLUMNS if column.label in header}
    missing = [column.label for column in COLUMNS if column.required and column.key not in positions]
    if missing:
        raise ImportRejected(
            [RowError(title, start + 1, _("缺少“%(column)s”列。") % {"column": label}) for label in missing]
        )
    groups = {group.name: group for group in PartyGroup.objects.filter(organization=organization)}
    errors: list[RowError] = []
    parsed: list[tuple[int, MemberFields]] = []
    for number, cells in enumerate(rows[start + 1 :], start=start + 2):
        values = {key: cells[index] if index < len(cells) else None for key, index in positions.items()}
        if not any(cell_text(value) for value in values.values()):
            continue
        problems: list[str] = []
        dates: dict[str, date | None] = {}
        for key, label in (
            ("birth_date", "出生日期"),
            ("joined_on", "入党日期"),
            ("full_membership_due", "预计转正日期"),
        ):
            try:
                dates[key] = cell_date(values.get(key))
            except ValueError:
                problems.append(_("“%(column)s”不是日期（应如 2020-07-01）。") % {"column": label})
                dates[key] = None
        gender = _GENDERS.get(cell_text(values.get("gender")).lower())
        if gender is None:
            problems.append(_("“性别”应为男或女。"))
        category = _CATEGORIES.get(cell_text(values.get("category")))
        if category is None:
            problems.append(_("“党员类别”应为正式党员或预备党员。"))
        group_name = cell_text(values.get("party_group"))
        group = groups.get(group_name) if group_name else None
        if group_name and group is None:
            problems.append(_("本组织没有名为“%(name)s”的党小组。") % {"name": group_name})
        if not problems and dates["joined_on"] is None:
            problems.append(_("请填写%(field)s。") % {"field": _("入党日期")})
        if problems:
            errors.extend(RowError(title, number, problem) for problem in problems)
            continue
        parsed.append(
            (
                number,
                MemberFields(
                    name=cell_text(values.get("name")),
                    gender=str(gender),
                    joined_on=dates["joined_on"],  # type: ignore[arg-type]
                    category=str(category),
                    full_membership_due=dates["full_membership_due"],
                    ethnicity=cell_text(values.get("ethnicity")),
                    birth_date=dates["birth_date"],
                    education=cell_text(values.get("education")),
                    id_number=cell_text(values.get("id_number")),
                    party_group=group,
                    occupation=cell_text(values.get("occupation")),
                    phone=cell_text(values.get("phone")),
                ),
            )
        )
    if errors:
        raise ImportRejected(errors)
    return title, parsed
