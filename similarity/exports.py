"""相似内容 as Excel: every near-copied pair of the committee's year, the most shared first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from accounts.models import Organization
from foundation.excel import EXPORT_CHUNK, save_workbook, text, write_facts, write_table, xlsx_response
from similarity import kinds
from similarity.models import TextPair

__all__ = ["pairs_workbook", "xlsx_response"]

COLUMNS: list[tuple[str, int]] = [
    (gettext_noop("相似度（%）"), 10),
    (gettext_noop("类型"), 10),
    (gettext_noop("党组织"), 24),
    (gettext_noop("年度"), 8),
    (gettext_noop("内容摘要"), 48),
    (gettext_noop("相似的党组织"), 24),
    (gettext_noop("相似文本年度"), 10),
    (gettext_noop("相似文本摘要"), 48),
]
EXCERPT = 120


def _rows(pairs: QuerySet[TextPair]) -> Iterator[list[Any]]:
    labels = {kind.key: str(kind.label) for kind in kinds.registered()}
    for pair in pairs.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            pair.share,
            labels.get(pair.kind, pair.kind),
            text(pair.organization.name),
            pair.year,
            text(pair.text.text[:EXCERPT]),
            text(pair.other_organization.name),
            pair.other_year,
            text(pair.other.text[:EXCERPT]),
        ]


def pairs_workbook(
    pairs: QuerySet[TextPair], *, year: int, min_share: int, organization: Organization | None
) -> IO[bytes]:
    workbook = Workbook(write_only=True)
    count = write_table(workbook.create_sheet(title=_("相似内容")), COLUMNS, _rows(pairs))
    write_facts(
        workbook.create_sheet(title=_("说明")),
        [
            (_("范围"), organization.name if organization else _("所辖全部组织")),
            (_("年度"), year),
            (_("相似度不低于"), f"{min_share}%"),
            (_("对数"), count),
            (_("导出时间"), date_format(timezone.localtime(), "Y-m-d H:i")),
        ],
    )
    return save_workbook(workbook)
