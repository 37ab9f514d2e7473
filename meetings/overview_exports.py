"""The committee's view of organizational life as an Excel workbook: the page's table, then every organization.

Only figures (counts and rates), no member's name: the roll's personal data stays in the roll's own
export, which is the one recorded in the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from accounts.models import Organization
from foundation.excel import save_workbook, write_table
from meetings.overview import KindColumn, LifeFigures, LifeOverview, every_organization

FIGURE_COLUMNS = (
    ("预警", 8),
    ("应召开", 8),
    ("已召开（计入）", 10),
    ("逾期期数", 8),
    ("未召开期数", 10),
    ("召开会议", 8),
    ("应到人次", 10),
    ("实到人次", 10),
    ("出席率", 8),
    ("党员", 8),
    ("全年未参加组织生活的党员", 12),
    ("流动党员", 8),
    ("全年未参加组织生活的流动党员", 12),
)


def _figures(figures: LifeFigures, kinds: Sequence[KindColumn]) -> list[Any]:
    rate = figures.attendance_rate
    return [
        figures.worst_label,
        figures.required,
        figures.held,
        figures.late,
        figures.missed,
        figures.meetings,
        figures.expected,
        figures.present,
        f"{rate}%" if rate is not None else "",
        figures.members,
        figures.unseen,
        figures.migrants,
        figures.unreached,
        *figures.missed_in(kinds),
    ]


def _kind_columns(kinds: Sequence[KindColumn]) -> list[tuple[str, int]]:
    return [(_("%(kind)s未召开期数") % {"kind": kind.name}, 10) for kind in kinds]


def overview_workbook(roots: Sequence[Organization], overview: LifeOverview) -> IO[bytes]:
    """Sheet 1 the page's rows (by child organization or by root), sheet 2 every organization with a stored year."""
    workbook = Workbook(write_only=True)
    kinds = overview.kinds
    facts = [
        (_("范围"), "、".join(root.name for root in roots)),
        (_("年度"), overview.year),
        (_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ]
    summary_columns = [("组织", 24), ("党组织数", 8), *FIGURE_COLUMNS, *_kind_columns(kinds)]
    summary = [
        [_("合计"), overview.total.organizations, *_figures(overview.total, kinds)],
        *(
            [
                _("本级（%(name)s）") % {"name": row.label} if row.own else row.label,
                row.figures.organizations,
                *_figures(row.figures, kinds),
            ]
            for row in overview.rows
        ),
    ]
    write_table(workbook.create_sheet(title=_("组织生活统计")), summary_columns, summary, facts=facts)

    def organizations() -> Iterator[list[Any]]:
        for organization in every_organization(roots, overview.year):
            yield [organization.code, organization.name, organization.kind, *_figures(organization.figures, kinds)]

    every_columns = [("组织代码", 16), ("组织", 24), ("类型", 10), *FIGURE_COLUMNS, *_kind_columns(kinds)]
    write_table(workbook.create_sheet(title=_("各党组织")), every_columns, organizations(), facts=facts)
    return save_workbook(workbook)
