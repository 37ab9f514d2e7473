"""Excel export of a cycle: the ranking, and every submitted reviewer's points per indicator.

Text goes through foundation.excel.text, which keeps a person's words from being read
as a formula; numbers stay numbers. Sheets are written by foundation.excel.write_table:
frozen header row, columns as wide as their Chinese text.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from foundation.excel import EXPORT_CHUNK, save_workbook, text, write_table
from reviews import selectors
from reviews.models import Cycle, IndicatorKind

RANKING_COLUMNS: list[tuple[str, int]] = [
    (gettext_noop("排名"), 8),
    (gettext_noop("党组织"), 32),
    (gettext_noop("组织代码"), 16),
    (gettext_noop("日常考核"), 10),
    (gettext_noop("述职评议"), 10),
    (gettext_noop("民主测评"), 10),
    (gettext_noop("综合得分"), 10),
    (gettext_noop("等次"), 8),
    (gettext_noop("等次依据"), 24),
    (gettext_noop("分类定级"), 10),
    (gettext_noop("有效票数"), 10),
    (gettext_noop("评分人数"), 10),
    (gettext_noop("缺项"), 16),
    (gettext_noop("实际权重"), 32),
    (gettext_noop("情况说明"), 40),
]
SCORE_COLUMNS: list[tuple[str, int]] = [
    (gettext_noop("党组织"), 32),
    (gettext_noop("评议人"), 14),
    (gettext_noop("指标类别"), 14),
    (gettext_noop("指标"), 36),
    (gettext_noop("类型"), 10),
    (gettext_noop("分值"), 8),
    (gettext_noop("得分"), 8),
    (gettext_noop("触发否决"), 10),
    (gettext_noop("说明"), 36),
]


def _ranking_rows(cycle: Cycle, viewer: Any) -> Iterator[list[Any]]:
    """A row per organization; a missing figure is an empty cell, never 0, and the 缺项 column says why."""
    for row in selectors.cycle_ranking(cycle, viewer):
        if row.hidden:
            yield [
                "",
                text(row.organization.name),
                text(row.organization.code),
                "",
                "",
                "",
                "",
                "",
                text(_("提交本人评分后显示")),
                "",
                "",
                "",
                "",
                "",
                "",
            ]
            continue
        yield [
            row.rank if row.rank is not None else "",
            text(row.organization.name),
            text(row.organization.code),
            _figure(row.daily_score),
            _figure(row.review_score),
            _figure(row.ballot_score),
            _figure(row.composite),
            text(row.grade_label),
            text(row.reason_label),
            text(row.classification_label),
            row.ballots_valid if row.ballots_published else "",
            row.reviewers,
            text("、".join(row.missing_labels)),
            text(row.weights_label),
            text("；".join(f"{note.gap_label}：{note.reason}" for note in row.notes)),
        ]


def _figure(value: Decimal | None) -> Decimal | str:
    return "" if value is None else value


def _score_rows(cycle: Cycle, viewer: Any) -> Iterator[list[Any]]:
    kinds = {value: str(label) for value, label in IndicatorKind.choices}
    yes = _("是")
    for score in selectors.submitted_scores(cycle, viewer).iterator(chunk_size=EXPORT_CHUNK):
        indicator = score.indicator
        yield [
            text(score.assignment.report.organization.name),
            text(score.assignment.reviewer.get_full_name()),
            text(indicator.category),
            text(indicator.name),
            text(kinds.get(indicator.kind, indicator.kind)),
            indicator.max_points,
            score.points,
            yes if score.vetoed else "",
            text(score.note),
        ]


def cycle_workbook(cycle: Cycle, viewer: Any) -> IO[bytes]:
    """The ranking (stored results, or provisional figures while the cycle is open) and the reviewers' scores."""
    workbook = Workbook(write_only=True)
    provisional = cycle.status != Cycle.Status.CLOSED
    facts = [
        (_("考核"), cycle.title),
        (_("组织单位"), cycle.organization.name),
        (_("考核年度"), cycle.year),
        (_("状态"), cycle.get_status_display()),
        (_("说明"), _("暂定排名：考核结束时以最终结果为准。") if provisional else _("最终结果")),
        (_("计分"), _("得分保留 %(places)s 位小数，四舍五入") % {"places": cycle.score_places}),
        (_("缺项处理"), cycle.get_missing_rule_display()),
        (_("导出时间"), date_format(timezone.localtime(), "Y-m-d H:i")),
    ]
    write_table(workbook.create_sheet(title=_("排名")), RANKING_COLUMNS, _ranking_rows(cycle, viewer), facts=facts)
    write_table(workbook.create_sheet(title=_("评分明细")), SCORE_COLUMNS, _score_rows(cycle, viewer))
    return save_workbook(workbook)
