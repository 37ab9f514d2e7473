"""Excel export of a cycle: the ranking, and every submitted reviewer's points per indicator.

Text goes through responsibility.exports.text, which keeps a person's words from being read
as a formula; numbers stay numbers. Sheets are written by responsibility.exports.write_table:
frozen header row, columns as wide as their Chinese text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from responsibility.exports import EXPORT_CHUNK, save_workbook, text, write_table
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
    (gettext_noop("等次说明"), 20),
    (gettext_noop("分类定级"), 10),
    (gettext_noop("有效票数"), 10),
    (gettext_noop("评分人数"), 10),
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
    for row in selectors.cycle_ranking(cycle, viewer):
        hidden = row.hidden
        yield [
            row.rank,
            text(row.organization.name),
            text(row.organization.code),
            row.daily_score,
            "" if hidden else row.review_score,
            row.ballot_score,
            "" if hidden else row.composite,
            "" if hidden else text(row.grade_label),
            text(_("提交本人评分后显示") if hidden else row.reason_label),
            "" if hidden else text(row.classification_label),
            row.ballots_valid,
            row.reviewers,
        ]


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
        (_("导出时间"), date_format(timezone.localtime(), "Y-m-d H:i")),
    ]
    write_table(workbook.create_sheet(title=_("排名")), RANKING_COLUMNS, _ranking_rows(cycle, viewer), facts=facts)
    write_table(workbook.create_sheet(title=_("评分明细")), SCORE_COLUMNS, _score_rows(cycle, viewer))
    return save_workbook(workbook)
