"""Excel exports: one list, and a committee's progress table (read with one chunked query), written by
foundation.excel like every export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from accounts.models import Organization
from foundation.excel import EXPORT_CHUNK, save_workbook, text, write_table
from responsibility import selectors
from responsibility.models import Light, ResponsibilityList

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
