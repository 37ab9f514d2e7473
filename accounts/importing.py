"""Import of the organization tree and people from .xlsx or .csv (all or nothing).

The files are checked as a whole first; every bad row is reported with its sheet and
row number, and nothing is written unless every row is valid. Organizations are
matched by code and people by login, so importing the same file again changes nothing.

Rules a person filling in the file should know:

- 上级组织代码 left blank: a new organization becomes a top-level one; an existing one
  stays where it is (a file covering one county need not name the city above it).
  A different parent code moves the organization, with its subtree.
- Optional cells left blank (成立日期, 手机, 邮箱, 分工) keep what the system has;
  领域 is taken as given (blank means none).
- New people get no password: the import page then prints their first-sign-in slips, each with a
  one-time code with which the person sets their own (accounts/first_sign_in.py).
- The import adds and updates; it never deletes organizations or ends positions.

Why one long file: reading, parsing, checking against the database and writing are the stages of
one all-or-nothing import and share its private row types; each stage is a section of its own below
(the limits on what a file may hold are in accounts/import_limits.py).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

import openpyxl
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.import_limits import LimitExceeded, Limits, NotAWorkbook, bounded_rows, check_size, check_xlsx
from accounts.models import Organization, Position, User
from foundation.errors import DomainError

logger = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=models.Model)
Rows = list[Sequence[Any]]

ORGANIZATIONS = "organizations"
PEOPLE = "people"
SHEET_NAMES = {ORGANIZATIONS: ("组织", "organizations"), PEOPLE: ("人员", "people")}
# Keeps IN (...) lists well below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


@dataclass(frozen=True)
class RowError:
    """One problem in a file; row 0 means the file or sheet as a whole."""

    sheet: str
    row: int
    message: str

    def __str__(self) -> str:
        if self.row:
            return _("工作表 %(sheet)s 第 %(row)d 行：%(message)s") % {
                "sheet": self.sheet,
                "row": self.row,
                "message": self.message,
            }
        return _("工作表 %(sheet)s：%(message)s") % {"sheet": self.sheet, "message": self.message}


@dataclass
class ImportResult:
    organizations_created: int = 0
    organizations_updated: int = 0
    organizations_unchanged: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    positions_created: int = 0
    positions_updated: int = 0
    positions_unchanged: int = 0
    created_people: list[int] = field(default_factory=list)
    """The ids of the people created, for their first-sign-in slips."""

    @property
    def changed_anything(self) -> bool:
        return any(
            (
                self.organizations_created,
                self.organizations_updated,
                self.people_created,
                self.people_updated,
                self.positions_created,
                self.positions_updated,
            )
        )

    def summary(self) -> str:
        text = _(
            "导入完成：新建组织 %(organizations_created)d 个，更新 %(organizations_updated)d 个；"
            "新建人员 %(people_created)d 人，更新 %(people_updated)d 人；"
            "新建任职 %(positions_created)d 项，更新 %(positions_updated)d 项。"
        ) % asdict(self)
        if self.people_created:
            text += _("新建人员尚无密码：请为他们打印首次登录单，本人凭登录单上的一次性登录码设置密码。")
        return text


class ImportRejected(DomainError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(_("文件有 %(n)d 处错误，未导入任何数据。") % {"n": len(errors)})
        self.errors = errors


# ---------------------------------------------------------------- reading the files


@dataclass(frozen=True)
class _Column:
    key: str
    label: str
    aliases: tuple[str, ...]
    max_length: int
    required: bool = True
    """The header must be there."""
    blank: bool = False
    """A cell may be empty."""


ORGANIZATION_COLUMNS = (
    _Column("code", "组织代码", ("组织代码", "code"), 64),
    _Column("name", "名称", ("名称", "组织名称", "name"), 128),
    _Column("kind", "类别", ("类别", "组织类别", "kind"), 32),
    _Column("sector", "领域", ("领域", "sector"), 32, blank=True),
    _Column("parent_code", "上级组织代码", ("上级组织代码", "parent code"), 64, blank=True),
    _Column("established_on", "成立日期", ("成立日期", "established", "established on"), 32, False, True),
)
PEOPLE_COLUMNS = (
    _Column("login", "登录名", ("登录名", "login"), 150),
    _Column("name", "姓名", ("姓名", "name"), 64),
    _Column("phone", "手机", ("手机", "手机号", "手机号码", "phone"), 32, blank=True),
    _Column("org_code", "组织代码", ("组织代码", "org code"), 64),
    _Column("role", "职务", ("职务", "role"), 32),
    _Column("portfolio", "分工", ("分工", "portfolio"), 64, False, True),
    _Column("email", "邮箱", ("邮箱", "电子邮箱", "email", "e-mail"), 254, False, True),
)
COLUMNS = {ORGANIZATIONS: ORGANIZATION_COLUMNS, PEOPLE: PEOPLE_COLUMNS}
# Headers that tell the two tables apart (组织代码 and name appear in both).
DISTINCT_HEADERS = {
    ORGANIZATIONS: {"类别", "组织类别", "kind", "上级组织代码", "parent code", "名称", "组织名称"},
    PEOPLE: {"登录名", "login", "职务", "role", "姓名"},
}


@dataclass
class _Record:
    """One non-blank data row; `order` is the sheet's place among all sheets read."""

    sheet: str
    row: int
    order: int
    values: dict[str, Any]

    def text(self, key: str) -> str:
        return cell_text(self.values.get(key))


class _Errors:
    """Collects row errors and hands them back in file order."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, RowError]] = []

    def add(self, sheet: str, row: int, order: int, message: str) -> None:
        self._items.append((order, row, len(self._items), RowError(sheet, row, message)))

    def at(self, record: _Record, message: str) -> None:
        self.add(record.sheet, record.row, record.order, message)

    def __len__(self) -> int:
        return len(self._items)

    def sorted(self) -> list[RowError]:
        return [item[3] for item in sorted(self._items, key=lambda item: item[:3])]


class _Unreadable(Exception):
    pass


def cell_text(value: Any) -> str:
    """A cell as the text a person typed: numbers typed as numbers without ".0", dates as ISO, trimmed."""
    if value is None:
        return ""
    # Excel stores codes and phone numbers typed as numbers as floats.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _key(value: Any) -> str:
    """A header, sheet name or choice as compared: trimmed, lower case, `_` as space, no `*`."""
    text = cell_text(value).lower().replace("_", " ").replace("*", "")
    return " ".join(text.split())


def _detect(header: Sequence[Any]) -> str | None:
    keys = {_key(cell) for cell in header}
    is_people = bool(keys & DISTINCT_HEADERS[PEOPLE])
    is_organizations = bool(keys & DISTINCT_HEADERS[ORGANIZATIONS])
    if is_people != is_organizations:
        return PEOPLE if is_people else ORGANIZATIONS
    return None


def _xlsx_sheets(content: bytes, limits: Limits) -> list[tuple[str, Rows, str]]:
    """The organizations and people sheets of a workbook, with their rows; the others are never read."""
    try:
        check_xlsx(content, limits)
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (LimitExceeded, NotAWorkbook):
        raise
    except Exception as broken:
        # Uploads are untrusted: a broken zip, XML or anything else is one readable error.
        raise _Unreadable from broken
    try:
        sheets = workbook.worksheets
        for sheet in sheets:
            # The declared size can lie either way: rows and cells are counted as they come instead.
            sheet.reset_dimensions()
        headers = [(sheet.title, next(sheet.iter_rows(values_only=True), None)) for sheet in sheets]
        picked = [(sheets[index], table) for index, table in _pick_sheets(headers)]
        return [
            (sheet.title, bounded_rows(sheet.iter_rows(values_only=True), sheet.title, limits), table)
            for sheet, table in picked
        ]
    except LimitExceeded:
        raise
    except Exception as broken:
        raise _Unreadable from broken
    finally:
        workbook.close()


def _pick_sheets(headers: list[tuple[str, Sequence[Any] | None]]) -> list[tuple[int, str]]:
    """Organizations and people sheets: by name first, then by their headers, else the first sheet."""
    picked: dict[str, int] = {}
    for index, (title, _header) in enumerate(headers):
        for table, names in SHEET_NAMES.items():
            if _key(title) in names and table not in picked:
                picked[table] = index
    for index, (_title, header) in enumerate(headers):
        detected = _detect(header) if header is not None else None
        if index not in picked.values() and detected is not None and detected not in picked:
            picked[detected] = index
    if not picked and headers:
        picked[ORGANIZATIONS] = 0
    return [(index, table) for table, index in sorted(picked.items(), key=lambda x: x[1])]


def _csv_rows(content: bytes, sheet: str, limits: Limits) -> Rows:
    # Excel in China saves CSV as GBK (GB18030 is its superset); others save UTF-8, with or without BOM.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return bounded_rows(csv.reader(io.StringIO(text, newline="")), sheet, limits)
        except csv.Error as broken:
            raise _Unreadable from broken
    raise _Unreadable


def _records(sheet: str, order: int, rows: Rows, columns: Sequence[_Column], errors: _Errors) -> list[_Record]:
    header = [_key(cell) for cell in rows[0]]
    positions: dict[str, int] = {}
    for column in columns:
        found = next((header.index(alias) for alias in column.aliases if alias in header), None)
        if found is not None:
            positions[column.key] = found
        elif column.required:
            errors.add(sheet, 1, order, _("缺少“%(column)s”列。") % {"column": column.label})
    if any(column.required and column.key not in positions for column in columns):
        return []
    records = []
    for number, cells in enumerate(rows[1:], start=2):
        values = {key: cells[index] if index < len(cells) else None for key, index in positions.items()}
        if any(cell_text(value) for value in values.values()):
            records.append(_Record(sheet, number, order, values))
    return records


@dataclass
class _Tables:
    organizations: list[_Record] = field(default_factory=list)
    people: list[_Record] = field(default_factory=list)


def _read(files: list[tuple[str, bytes]], errors: _Errors) -> _Tables:
    tables = _Tables()
    limits = Limits.from_settings()
    order = 0
    for filename, content in files:
        suffix = filename.lower().rsplit(".", 1)[-1]
        order += 1
        # Two workbooks both have a 组织 sheet: name the file too.
        prefix = "" if len(files) == 1 else f"{filename} "
        try:
            check_size(content, limits)
            if suffix == "xlsx":
                labelled = [(prefix + title, rows, table) for title, rows, table in _xlsx_sheets(content, limits)]
            elif suffix == "csv":
                rows = _csv_rows(content, filename, limits)
                table = _detect(rows[0]) if rows else None
                if rows and table is None:
                    errors.add(
                        filename,
                        1,
                        order,
                        _(
                            "无法识别表头：组织表应有“组织代码、名称、类别、领域、上级组织代码”列，"
                            "人员表应有“登录名、姓名、手机、组织代码、职务”列。"
                        ),
                    )
                labelled = [(filename, rows, table)] if table else []
            else:
                errors.add(filename, 0, order, _("不支持的文件类型，请上传 .xlsx 或 .csv 文件。"))
                continue
        except LimitExceeded as refused:
            # A workbook's sheet is named as its rows are; a CSV file, or a workbook as a whole, by its name.
            sheet = prefix + refused.sheet if refused.sheet and suffix == "xlsx" else filename
            errors.add(sheet, refused.row, order, refused.message)
            continue
        except NotAWorkbook as refused:
            errors.add(filename, 0, order, refused.message)
            continue
        except _Unreadable:
            message = (
                _("无法读取文件：不是有效的 .xlsx 文件。")
                if suffix == "xlsx"
                else _("无法读取文件：请另存为 UTF-8 或 GBK 编码的 CSV 文件。")
            )
            errors.add(filename, 0, order, message)
            continue
        for sheet, rows, table in labelled:
            order += 1
            if not rows:
                continue
            target = tables.organizations if table == ORGANIZATIONS else tables.people
            target.extend(_records(sheet, order, rows, COLUMNS[table], errors))
    return tables


# ---------------------------------------------------------------- parsing cells

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")


def cell_date(value: Any) -> date | None:
    """A cell as a date (an Excel date, 2020-07-01, 2020/7/1, 2020年7月1日); None when blank, else ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)


def _choice_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    """Both the codes and the Chinese labels (and the labels in the active language) map to the code."""
    lookup = {}
    for value, label in choices.choices:
        lookup[_key(value)] = value
        lookup[_key(label)] = value
        with translation.override("zh-hans"):
            lookup[_key(label)] = value
    return lookup


@dataclass
class _Lookups:
    kinds: dict[str, str] = field(default_factory=lambda: _choice_lookup(Organization.Kind))
    sectors: dict[str, str] = field(default_factory=lambda: _choice_lookup(Organization.Sector))
    roles: dict[str, str] = field(default_factory=lambda: _choice_lookup(Position.Role))

    def role(self, text: str) -> tuple[str, str] | None:
        """The role code and the portfolio a title implies: 组织委员 is a 委员 in charge of organization."""
        role = self.roles.get(_key(text))
        if role is not None:
            return role, ""
        if len(text) > 2 and text.endswith("委员"):
            return Position.Role.COMMITTEE_MEMBER, text
        return None


def _cell(record: _Record, column: _Column, errors: _Errors) -> str:
    text = record.text(column.key)
    if not text and not column.blank:
        errors.at(record, _("“%(column)s”不能为空。") % {"column": column.label})
    elif len(text) > column.max_length:
        errors.at(record, _("“%(column)s”最长 %(max)d 个字符。") % {"column": column.label, "max": column.max_length})
        return ""
    return text


@dataclass
class _OrganizationRow:
    record: _Record
    code: str
    name: str
    kind: str
    sector: str
    parent_code: str
    established_on: date | None


def _parse_organization(record: _Record, lookups: _Lookups, errors: _Errors) -> _OrganizationRow:
    code, name, kind_text, sector_text, parent_code = (
        _cell(record, column, errors) for column in ORGANIZATION_COLUMNS[:5]
    )
    kind = lookups.kinds.get(_key(kind_text), "")
    if kind_text and not kind:
        errors.at(record, _("未知的组织类别“%(value)s”，应为党委、党工委、党总支或党支部。") % {"value": kind_text})
    sector = lookups.sectors.get(_key(sector_text), "")
    if sector_text and not sector:
        labels = "、".join(str(label) for label in Organization.Sector.labels)
        errors.at(
            record,
            _("未知的领域“%(value)s”，应为%(choices)s之一，或留空。") % {"value": sector_text, "choices": labels},
        )
    try:
        established_on = cell_date(record.values.get("established_on"))
    except ValueError:
        established_on = None
        errors.at(
            record,
            _("“成立日期”不是有效日期：%(value)s（应如 2021-07-01）。") % {"value": record.text("established_on")},
        )
    return _OrganizationRow(record, code, name, kind, sector, parent_code, established_on)


@dataclass
class _PersonRow:
    record: _Record
    login: str
    name: str
    phone: str
    email: str
    org_code: str
    role: str
    portfolio: str


def _parse_person(record: _Record, lookups: _Lookups, errors: _Errors) -> _PersonRow:
    login, name, phone, org_code, role_text, portfolio, email = (
        _cell(record, column, errors) for column in PEOPLE_COLUMNS
    )
    if login:
        try:
            User.username_validator(login)
        except ValidationError:
            errors.at(record, _("登录名“%(value)s”只能包含字母、数字、汉字和 @ . + - _。") % {"value": login})
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.at(record, _("邮箱“%(value)s”格式不正确。") % {"value": email})
    role = ""
    if role_text:
        parsed = lookups.role(role_text)
        if parsed is None:
            errors.at(
                record,
                _("未知的职务“%(value)s”，应为书记、副书记、委员（或组织委员等）、党务工作者或党员。")
                % {"value": role_text},
            )
        else:
            role, implied = parsed
            portfolio = portfolio or implied
    return _PersonRow(record, login, name, phone, email, org_code, role, portfolio)


def _where(record: _Record) -> str:
    return _("工作表 %(sheet)s 第 %(row)d 行") % {"sheet": record.sheet, "row": record.row}


# ---------------------------------------------------------------- checking against the database


def _in_chunks(queryset: models.QuerySet[ModelT], field_name: str, values: Iterable[Any]) -> list[ModelT]:
    ordered = sorted(set(values))
    found: list[ModelT] = []
    for start in range(0, len(ordered), CHUNK):
        found.extend(queryset.filter(**{f"{field_name}__in": ordered[start : start + CHUNK]}))
    return found


class _ExistingTree:
    """The organizations the file names and all their ancestors, loaded in bulk (one query per CHUNK codes)."""

    def __init__(self, codes: Iterable[str]) -> None:
        found = _in_chunks(Organization.objects.all(), "code", codes)
        known = {org.path for org in found}
        ancestors = {path for org in found for path in org.ancestor_paths()} - known
        found += _in_chunks(Organization.objects.all(), "path", ancestors)
        self.by_code = {org.code: org for org in found}
        self.by_path = {org.path: org for org in found}

    def parent_code(self, code: str) -> str | None:
        org = self.by_code.get(code)
        if org is None or org.depth == 1:
            return None
        return self.by_path[org.parent_path()].code


@dataclass
class _Person:
    login: str
    name: str
    phone: str
    email: str
    first: _PersonRow


@dataclass
class _Plan:
    organizations: dict[str, _OrganizationRow]
    existing: _ExistingTree
    moves: list[str]
    people: dict[str, _Person]
    positions: dict[tuple[str, str, str], _PersonRow]
    users: dict[str, User]


def _check_organizations(
    rows: list[_OrganizationRow], existing: _ExistingTree, errors: _Errors
) -> tuple[dict[str, _OrganizationRow], list[str]]:
    """Codes, parents, kinds and cycles; returns the rows by code and the codes of organizations to move."""
    by_code: dict[str, _OrganizationRow] = {}
    for row in rows:
        if not row.code:
            continue
        first = by_code.get(row.code)
        if first is not None:
            errors.at(
                row.record,
                _("组织代码 %(code)s 重复，已在%(where)s出现。") % {"code": row.code, "where": _where(first.record)},
            )
        else:
            by_code[row.code] = row

    def parent_of(code: str) -> str | None:
        row = by_code.get(code)
        if row is not None and row.parent_code:
            return row.parent_code
        return existing.parent_code(code)

    def kind_of(code: str) -> str:
        row = by_code.get(code)
        if row is not None and row.kind:
            return row.kind
        org = existing.by_code.get(code)
        return org.kind if org is not None else ""

    for row in by_code.values():
        parent = row.parent_code
        if not parent:
            continue
        if parent not in by_code and parent not in existing.by_code:
            errors.at(row.record, _("上级组织代码 %(code)s 不存在：文件和系统中都没有这个组织。") % {"code": parent})
        elif kind_of(parent) == Organization.Kind.BRANCH:
            errors.at(row.record, _("上级组织 %(code)s 是党支部，党支部下不能再设下级组织。") % {"code": parent})

    # Walk up from every row; meeting our own trail again is a cycle. 1: on this walk, 2: reaches a root.
    state: dict[str, int] = {}
    for start in by_code:
        trail: list[str] = []
        code: str | None = start
        while code is not None and code not in state:
            state[code] = 1
            trail.append(code)
            code = parent_of(code)
        if code is not None and state[code] == 1:
            cycle = trail[trail.index(code) :]
            chain = " → ".join([*cycle, code])
            for member in cycle:
                if member in by_code:
                    errors.at(by_code[member].record, _("上级组织关系形成循环：%(chain)s。") % {"chain": chain})
        for member in trail:
            state[member] = 2

    _check_branches_keep_no_children(by_code, existing, parent_of, errors)

    moves = [
        code
        for code, row in by_code.items()
        if code in existing.by_code and row.parent_code and row.parent_code != existing.parent_code(code)
    ]
    return by_code, moves


def _check_branches_keep_no_children(
    by_code: dict[str, _OrganizationRow],
    existing: _ExistingTree,
    parent_of: Callable[[str], str | None],
    errors: _Errors,
) -> None:
    """An organization turned into a 党支部 must not keep children in the database."""
    turning = [
        existing.by_code[code]
        for code, row in by_code.items()
        if row.kind == Organization.Kind.BRANCH
        and code in existing.by_code
        and existing.by_code[code].kind != Organization.Kind.BRANCH
        and existing.by_code[code].numchild
    ]
    if not turning:
        return
    condition = models.Q(pk__in=[])
    for org in turning:
        condition |= models.Q(path__startswith=org.path, depth=org.depth + 1)
    children: dict[str, list[str]] = defaultdict(list)
    paths = {org.path: org.code for org in turning}
    for code, path in Organization.objects.filter(condition).values_list("code", "path"):
        children[paths[path[: -Organization.steplen]]].append(code)
    for org in turning:
        # A child the file moves elsewhere does not count.
        staying = [child for child in children[org.code] if child not in by_code or parent_of(child) == org.code]
        if staying:
            errors.at(by_code[org.code].record, _("组织 %(code)s 还有下级组织，不能改为党支部。") % {"code": org.code})


def _check_people(
    rows: list[_PersonRow], organization_codes: set[str], existing: _ExistingTree, errors: _Errors
) -> tuple[dict[str, _Person], dict[tuple[str, str, str], _PersonRow], dict[str, User]]:
    people: dict[str, _Person] = {}
    positions: dict[tuple[str, str, str], _PersonRow] = {}
    secretaries: dict[str, _PersonRow] = {}
    for row in rows:
        if row.org_code and row.org_code not in organization_codes and row.org_code not in existing.by_code:
            errors.at(row.record, _("组织代码 %(code)s 不存在：文件和系统中都没有这个组织。") % {"code": row.org_code})
        if not row.login:
            continue
        person = people.get(row.login)
        if person is None:
            people[row.login] = _Person(row.login, row.name, row.phone, row.email, row)
        else:
            for label, mine, theirs in (
                (_("姓名"), row.name, person.name),
                (_("手机"), row.phone, person.phone),
                (_("邮箱"), row.email, person.email),
            ):
                if mine and theirs and mine != theirs:
                    errors.at(
                        row.record,
                        _("登录名 %(login)s 的%(column)s“%(this)s”与%(where)s的“%(first)s”不一致。")
                        % {
                            "login": row.login,
                            "column": label,
                            "this": mine,
                            "first": theirs,
                            "where": _where(person.first.record),
                        },
                    )
            person.phone = person.phone or row.phone
            person.email = person.email or row.email
        if not (row.role and row.org_code):
            continue
        key = (row.login, row.org_code, row.role)
        same = positions.get(key)
        if same is None:
            positions[key] = row
        elif row.portfolio != same.portfolio:
            errors.at(
                row.record,
                _("%(login)s 在 %(code)s 的同一职务已在%(where)s列出，分工不一致。")
                % {"login": row.login, "code": row.org_code, "where": _where(same.record)},
            )
        if row.role == Position.Role.SECRETARY:
            holder = secretaries.setdefault(row.org_code, row)
            if holder.login != row.login:
                errors.at(
                    row.record,
                    _("%(code)s 只能有一位现任书记，%(where)s已列出书记 %(login)s。")
                    % {"code": row.org_code, "where": _where(holder.record), "login": holder.login},
                )

    sitting = Position.objects.current().filter(role=Position.Role.SECRETARY).select_related("person", "organization")
    for position in _in_chunks(sitting, "organization__code", secretaries):
        row = secretaries[position.organization.code]
        if position.person.username != row.login:
            errors.at(
                row.record,
                _("%(code)s 已有现任书记 %(name)s（%(login)s），请先在系统中免去原书记。")
                % {"code": row.org_code, "name": position.person.get_full_name(), "login": position.person.username},
            )
    users = {user.username: user for user in _in_chunks(User.objects.all(), "username", people)}
    return people, positions, users


def _check(tables: _Tables, errors: _Errors) -> _Plan:
    lookups = _Lookups()
    organization_rows = [_parse_organization(record, lookups, errors) for record in tables.organizations]
    person_rows = [_parse_person(record, lookups, errors) for record in tables.people]
    codes = {row.code for row in organization_rows} | {row.parent_code for row in organization_rows}
    codes |= {row.org_code for row in person_rows}
    existing = _ExistingTree(code for code in codes if code)
    organizations, moves = _check_organizations(organization_rows, existing, errors)
    people, positions, users = _check_people(person_rows, set(organizations), existing, errors)
    return _Plan(organizations, existing, moves, people, positions, users)


# ---------------------------------------------------------------- writing


def _write_organizations(plan: _Plan, result: ImportResult) -> None:
    existing = plan.existing
    fields = ["name", "kind", "sector", "established_on"]
    changed: list[Organization] = []
    for code, row in plan.organizations.items():
        org = existing.by_code.get(code)
        if org is None:
            continue
        wanted: dict[str, Any] = {"name": row.name, "kind": row.kind, "sector": row.sector}
        if row.established_on is not None:
            wanted["established_on"] = row.established_on
        differs = {name: value for name, value in wanted.items() if getattr(org, name) != value}
        if differs:
            for name, value in differs.items():
                setattr(org, name, value)
            changed.append(org)
    Organization.objects.bulk_update(changed, fields, batch_size=CHUNK)

    new = {code: row for code, row in plan.organizations.items() if code not in existing.by_code}
    children: dict[str, list[_OrganizationRow]] = defaultdict(list)
    for row in new.values():
        children[row.parent_code].append(row)

    def subtree(row: _OrganizationRow) -> dict[str, Any]:
        data = {
            "name": row.name,
            "code": row.code,
            "kind": row.kind,
            "sector": row.sector,
            "established_on": row.established_on,
        }
        return {
            "data": data,
            "children": [subtree(child) for child in sorted(children[row.code], key=lambda c: c.code)],
        }

    # Each new subtree hangs from an existing organization (or is a new root). Its top
    # goes in through treebeard, which knows the existing siblings; everything below it
    # is new, so treebeard computes those paths and bulk-inserts them in one go.
    tops = [row for row in new.values() if row.parent_code not in new]
    for row in sorted(tops, key=lambda row: (row.parent_code, row.code)):
        parent = existing.by_code.get(row.parent_code) if row.parent_code else None
        Organization.objects.load_bulk([subtree(row)], parent=parent, bulk_create=True)

    # Parents first: a node's new parent is then already where it belongs, so no
    # move ever lands inside the subtree being moved.
    depth: dict[str, int] = {}

    def final_depth(code: str) -> int:
        if code not in depth:
            row = plan.organizations.get(code)
            parent = row.parent_code if row is not None and row.parent_code else existing.parent_code(code)
            depth[code] = 1 if parent is None else final_depth(parent) + 1
        return depth[code]

    for code in sorted(plan.moves, key=final_depth):
        node = Organization.objects.get(code=code)
        target = Organization.objects.get(code=plan.organizations[code].parent_code)
        Organization.objects.move(node, target, "sorted-child" if Organization.node_order_by else "last-child")

    result.organizations_created = len(new)
    result.organizations_updated = len({org.code for org in changed} | set(plan.moves))
    result.organizations_unchanged = len(plan.organizations) - len(new) - result.organizations_updated


def _write_people(plan: _Plan, result: ImportResult) -> None:
    created: list[User] = []
    changed: list[User] = []
    for login, person in plan.people.items():
        user = plan.users.get(login)
        if user is None:
            # No password yet; the one an administrator gives them later is theirs to replace.
            user = User(
                username=login,
                full_name=person.name,
                phone=person.phone,
                email=person.email,
                is_active=True,
                must_change_password=True,
            )
            user.set_unusable_password()
            created.append(user)
            continue
        wanted = {"full_name": person.name, "phone": person.phone, "email": person.email}
        differs = {name: value for name, value in wanted.items() if value and getattr(user, name) != value}
        if differs:
            for name, value in differs.items():
                setattr(user, name, value)
            changed.append(user)
    User.objects.bulk_create(created, batch_size=CHUNK)
    User.objects.bulk_update(changed, ["full_name", "phone", "email"], batch_size=CHUNK)
    result.people_created = len(created)
    result.people_updated = len(changed)
    result.people_unchanged = len(plan.people) - len(created) - len(changed)

    users = {user.username: user for user in _in_chunks(User.objects.all(), "username", plan.people)}
    result.created_people = sorted(users[user.username].pk for user in created)
    codes = {code for _login, code, _role in plan.positions}
    organizations = {org.code: org for org in _in_chunks(Organization.objects.all(), "code", codes)}
    held = {
        (position.person_id, position.organization_id, position.role): position
        for position in _in_chunks(Position.objects.current(), "person_id", (user.pk for user in users.values()))
    }
    # position_assign's rules (one current secretary, one current position per role) were
    # checked for the whole file against the database above, so positions go in bulk:
    # one call per row cost most of a large import. The database constraints still
    # catch a secretary appointed meanwhile.
    today = timezone.localdate()
    created_positions: list[Position] = []
    changed_positions: list[Position] = []
    for (login, code, role), row in plan.positions.items():
        holder, organization = users[login], organizations[code]
        current = held.get((holder.pk, organization.pk, role))
        if current is None:
            created_positions.append(
                Position(person=holder, organization=organization, role=role, portfolio=row.portfolio, term_start=today)
            )
        elif row.portfolio and row.portfolio != current.portfolio:
            current.portfolio = row.portfolio
            changed_positions.append(current)
    Position.objects.bulk_create(created_positions, batch_size=CHUNK)
    Position.objects.bulk_update(changed_positions, ["portfolio"], batch_size=CHUNK)
    result.positions_created = len(created_positions)
    result.positions_updated = len(changed_positions)
    result.positions_unchanged = len(plan.positions) - len(created_positions) - len(changed_positions)


def organizations_import(*, files: list[tuple[str, bytes]], by: Any = None) -> ImportResult:
    """Checks every row of the files, then writes them all in one transaction; else raises ImportRejected."""
    errors = _Errors()
    tables = _read(files, errors)
    if not len(errors) and not tables.organizations and not tables.people:
        errors.add(files[0][0] if files else "", 0, 0, _("文件中没有可导入的数据。"))
    plan = _check(tables, errors)
    if len(errors):
        raise ImportRejected(errors.sorted())
    result = ImportResult()
    try:
        with transaction.atomic():
            _write_organizations(plan, result)
            _write_people(plan, result)
    except IntegrityError as clash:
        sheet = files[0][0] if files else ""
        # Someone else wrote the same codes, logins or a secretary between the check and the write.
        raise ImportRejected([RowError(sheet, 0, _("导入期间数据被其他操作修改，请重新导入。"))]) from clash
    counts = {name: value for name, value in asdict(result).items() if name != "created_people"}
    logger.info("Organizations imported by %s from %s: %s", by, [name for name, _content in files], counts)
    return result
