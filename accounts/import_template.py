"""The import template (导入模板): an .xlsx built from the importer's own column list, so the two cannot
drift apart. One sheet per table with one example row, a comment on each header, and a sheet of rules."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from accounts.importing import COLUMNS, ORGANIZATIONS, PEOPLE, SHEET_NAMES, _Column
from accounts.models import Organization, Position

EXAMPLE_ORGANIZATION_CODE = "SL-0001"
RULES_SHEET = "填写说明"
REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E2")


def _choices(choices: Sequence[object]) -> str:
    return "、".join(str(label) for label in choices)


def column_rules() -> dict[str, dict[str, str]]:
    """What each column takes, by table and column key; every column the importer reads has a rule."""
    return {
        ORGANIZATIONS: {
            "code": _("唯一标识一个组织，导入时按它匹配已有组织；最长 64 个字符。"),
            "name": _("组织全称；最长 128 个字符。"),
            "kind": _("填写：%(choices)s。") % {"choices": _choices(Organization.Kind.labels)},
            "sector": _("填写：%(choices)s；可留空。") % {"choices": _choices(Organization.Sector.labels)},
            "parent_code": _(
                "上级组织的组织代码（须在本文件或系统中）；留空时新组织为最上级，已有组织位置不变；"
                "党支部下不能再设下级组织。"
            ),
            "established_on": _("日期，如 2021-07-01、2021/7/1 或 2021年7月1日；可留空。"),
        },
        PEOPLE: {
            "login": _("登录系统用的名字，只能包含字母、数字、汉字和 @ . + - _；导入时按它匹配已有人员。"),
            "name": _("姓名；最长 64 个字符。"),
            "phone": _("手机号码；可留空（留空不会清除系统中已有的号码）。"),
            "org_code": _("任职所在组织的组织代码（须在“组织”表或系统中）。"),
            "role": _("填写：%(choices)s；也可写“组织委员”等，视为委员并记入分工。")
            % {"choices": _choices(Position.Role.labels)},
            "portfolio": _("如组织委员、宣传委员；可留空。"),
            "email": _("电子邮箱；可留空。"),
        },
    }


def _examples() -> dict[str, dict[str, object]]:
    return {
        ORGANIZATIONS: {
            "code": EXAMPLE_ORGANIZATION_CODE,
            "name": _("示例社区党委"),
            "kind": str(Organization.Kind.COMMITTEE.label),
            "sector": str(Organization.Sector.COMMUNITY.label),
            "parent_code": "",
            "established_on": date(2021, 7, 1),
        },
        PEOPLE: {
            "login": "shili.zhang",
            "name": _("张示例"),
            "phone": "13800000000",
            "org_code": EXAMPLE_ORGANIZATION_CODE,
            "role": str(Position.Role.SECRETARY.label),
            "portfolio": "",
            "email": "shili.zhang@example.com",
        },
    }


def _need(column: _Column) -> str:
    if column.blank:
        return _("可留空") if column.required else _("可选列")
    return _("必填")


def _table_sheet(
    sheet: Worksheet, columns: Sequence[_Column], rules: dict[str, str], example: dict[str, object]
) -> None:
    sheet.append([column.label for column in columns])
    sheet.append([example[column.key] for column in columns])
    for index, column in enumerate(columns, start=1):
        header = sheet.cell(row=1, column=index)
        header.font = Font(bold=True)
        if not column.blank:
            header.fill = REQUIRED_FILL
        header.comment = Comment(f"{_need(column)}。{rules[column.key]}", "")
        # Codes and phone numbers stay text: Excel would turn 0012 into 12.
        sheet.cell(row=2, column=index).number_format = "yyyy-mm-dd" if column.key == "established_on" else "@"
        sheet.column_dimensions[header.column_letter].width = max(14, len(column.label) * 4)
    sheet.freeze_panes = "A2"


def import_template() -> bytes:
    """The .xlsx people fill in for the import, with one example row per sheet that imports as it is."""
    workbook = openpyxl.Workbook()
    rules = column_rules()
    examples = _examples()
    first = True
    for table in (ORGANIZATIONS, PEOPLE):
        sheet = workbook.active if first else workbook.create_sheet()
        first = False
        assert sheet is not None
        sheet.title = SHEET_NAMES[table][0]
        _table_sheet(sheet, COLUMNS[table], rules[table], examples[table])

    guide = workbook.create_sheet(RULES_SHEET)
    guide.append([_("工作表"), _("列"), _("是否必填"), _("填写要求")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for table in (ORGANIZATIONS, PEOPLE):
        for column in COLUMNS[table]:
            guide.append([SHEET_NAMES[table][0], column.label, _need(column), rules[table][column.key]])
    guide.append([])
    for note in (
        _("整个文件无误才会导入；有错误时页面列出每一处错误的工作表和行号，系统中的数据不变。"),
        _("再次导入同一文件只会按组织代码和登录名更新变化的内容；导入不会删除组织，也不会免去任职。"),
        _("导入前请删除示例行（或改成真实数据）。"),
        _("新导入的人员没有密码：导入后在导入页为他们打印首次登录单，本人凭登录单上的一次性登录码设置密码。"),
    ):
        guide.append([note])
    guide.column_dimensions["A"].width = 10
    guide.column_dimensions["B"].width = 16
    guide.column_dimensions["C"].width = 10
    guide.column_dimensions["D"].width = 90

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
