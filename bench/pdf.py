"""The yearly PDFs: the whole render (gather the figures, build the HTML, WeasyPrint) against WeasyPrint alone.

`pdf_full` is what the background task does for one document; `pdf_bare` renders HTML that
`pdf_full` saved, so the difference is the cost of gathering the data. Each runs in its own
process (`bench.child`) so the peak memory the driver reads is that render's; each times the best
of three after a warm-up render.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organization
from reviews.models import Cycle, DutyReport
from workbench.models import RenderedReport
from workbench.pdf import render_pdf
from workbench.yearly import document_html

REPEAT = 3


def report_year(organization: Organization, kind: str) -> int:
    """The latest year with a review cycle for the document: the one it has figures for."""
    if kind == RenderedReport.Kind.SUMMARY:
        cycle = Cycle.objects.filter(organization=organization).order_by("-year").first()
        if cycle is not None:
            return cycle.year
    else:
        report = DutyReport.objects.filter(organization=organization).order_by("-cycle__year").first()
        if report is not None:
            return report.cycle.year
    return timezone.localdate().year


def warm_up() -> None:
    """Renders a one-line page first, as a worker that has rendered before: loading WeasyPrint and
    the Chinese font costs seconds once per process and would otherwise dominate both figures."""
    render_pdf("<!doctype html><html lang='zh-hans'><body><p>党建工作责任制</p></body></html>")


def pdf_full(organization: Organization, kind: str, html_out: Path, *, repeat: int = REPEAT) -> dict[str, Any]:
    """The best of REPEAT whole renders, each followed by a bare render of the HTML it built.

    The shared machine's noise only ever adds time, hence the best; and the ratio to the bare
    render is taken from renders interleaved in this one process, so both meet the same
    conditions (a separate process, `pdf_bare`, gives the bare render's own peak memory).
    """
    year = report_year(organization, kind)
    warm_up()
    best: tuple[float, float] | None = None
    bare = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            html = document_html(organization, year, kind)
        gathered = time.perf_counter()
        pdf = render_pdf(html)
        ended = time.perf_counter()
        if best is None or ended - began < best[0]:
            best = (ended - began, gathered - began)
        rendered = time.perf_counter()
        render_pdf(html)
        bare = min(bare, time.perf_counter() - rendered)
    assert best is not None
    html_out.write_text(html, encoding="utf-8")
    return {
        "organization": organization.name,
        "subtree": Organization.objects.filter(path__startswith=organization.path).count(),
        "year": year,
        "seconds": round(best[0], 3),
        "gather_seconds": round(best[1], 3),
        "render_seconds": round(best[0] - best[1], 3),
        "bare_same_process_seconds": round(bare, 3),
        "queries": len(captured.captured_queries),
        "html_bytes": len(html.encode()),
        "pdf_bytes": len(pdf),
        "repeat": repeat,
    }


def pdf_bare(html_in: Path, *, repeat: int = REPEAT) -> dict[str, Any]:
    html = html_in.read_text(encoding="utf-8")
    warm_up()
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        pdf = render_pdf(html)
        best = min(best, time.perf_counter() - began)
    return {"seconds": round(best, 3), "pdf_bytes": len(pdf), "repeat": repeat}
