"""整改台账: the committee's rectification ledger as Excel, with the columns officials use.

Text goes through foundation.excel's formula-neutralizing helpers, so a person's words
are never read as a formula; the workbook is written row by row in write-only mode from one
chunked query (plus one for the findings of each chunk), with a frozen header row and columns
as wide as their Chinese text (foundation.excel.write_table).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from accounts.models import Organization
from foundation.excel import EXPORT_CHUNK, XLSX_CONTENT_TYPE, save_workbook, text, write_facts, write_table
from rectification.models import RectificationTask

UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')

LEDGER_COLUMNS: list[tuple[str, int]] = [
    (gettext_noop("序号"), 8),
    (gettext_noop("问题"), 48),
    (gettext_noop("整改措施"), 40),
    (gettext_noop("责任人"), 12),
    (gettext_noop("时限"), 12),
    (gettext_noop("进展"), 40),
    (gettext_noop("状态"), 10),
    (gettext_noop("销号时间"), 12),
    (gettext_noop("整改单位"), 28),
]


def problem_text(task: RectificationTask) -> str:
    """The task's findings' descriptions, one a line (findings prefetched)."""
    return "\n".join(finding.description for finding in task.findings.all())


def _ledger_rows(tasks: Iterable[RectificationTask]) -> Iterator[list[Any]]:
    for number, task in enumerate(tasks, start=1):
        accepted_on = timezone.localtime(task.accepted_at).date().isoformat() if task.accepted_at else ""
        yield [
            number,
            text(problem_text(task)),
            text(task.measures),
            text(task.responsible.get_full_name()),
            text(task.deadline.isoformat()),
            text(getattr(task, "latest_progress", "") or ""),
            text(task.get_status_display()),
            text(accepted_on),
            text(task.organization.name),
        ]


def ledger_workbook(
    tasks: QuerySet[RectificationTask],
    *,
    roots: Sequence[Organization],
    year: int | str,
    filter_labels: Sequence[str] = (),
) -> IO[bytes]:
    """The ledger sheet (header row first, one row a task) and a second sheet saying what was exported."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("整改台账"))
    count = write_table(sheet, LEDGER_COLUMNS, _ledger_rows(tasks.iterator(chunk_size=EXPORT_CHUNK)))
    facts: list[tuple[str, Any]] = [
        (_("范围"), "、".join(root.name for root in roots)),
        (_("年度"), year),
        (_("筛选"), "；".join(filter_labels) or _("全部")),
        (_("任务数"), count),
        (_("导出时间"), date_format(timezone.localtime(), "Y-m-d H:i")),
    ]
    write_facts(workbook.create_sheet(title=_("说明")), facts)
    return save_workbook(workbook)


def xlsx_response(output: IO[bytes], filename: str) -> FileResponse:
    filename = UNSAFE_FILENAME.sub("_", filename)
    # FileResponse writes filename*=utf-8''… (RFC 5987) for the Chinese name, with an ASCII fallback.
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
