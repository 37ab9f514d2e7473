"""The duty report as a text compared for near-copies (相似内容): last year's, or another branch's this year."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from reviews.models import DutyReport
from similarity import kinds, selectors, services
from similarity.selectors import Likeness

REPORT_TEXT = "report"


def register() -> None:
    kinds.register(
        kinds.TextKind(
            key=REPORT_TEXT, label=_("述职报告"), url=lambda pk: reverse("report_detail", args=[pk]), texts=all_reports
        )
    )


def all_reports() -> Iterator[kinds.TextRow]:
    reports = DutyReport.objects.exclude(sections={}).values_list("pk", "organization_id", "cycle__year", "sections")
    for pk, organization_id, year, sections in reports.order_by("pk").iterator(chunk_size=2000):
        yield kinds.TextRow(pk, organization_id, year, _joined(sections), tuple(sections))


def report_text(report: DutyReport) -> str:
    """The report as one text: each section's title on its own line, then its body."""
    return _joined(report.sections)


def _joined(sections: dict[str, str]) -> str:
    return "\n".join(f"{title}\n{body}" for title, body in sections.items())


def report_compared(report: DutyReport) -> None:
    """Keeps the report's signature and pairs fresh; its section titles are the form's, never counted."""
    services.text_saved(
        kind=REPORT_TEXT,
        object_id=report.pk,
        organization=report.organization,
        year=report.cycle.year,
        content=report_text(report),
        headings=list(report.sections),
    )


def report_likenesses(user: Any, report: DutyReport) -> list[Likeness]:
    """The reports this one repeats (last year's, another organization's this year) that USER may read."""
    return selectors.likenesses(user, REPORT_TEXT, [report.pk]).get(report.pk, [])
