"""The whole report, for its page and its PDF."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import (
    Organization,
)
from reviews.models import (
    Cycle,
    DutyReport,
    Problem,
    ReportVersion,
    Result,
)
from reviews.selectors.assessment import ReportBody, report_body
from reviews.selectors.reports import ReportFacts, report_facts, report_versions


@dataclass(frozen=True)
class ReportDocument:
    """Everything a duty report says, as the PDF of a later issue prints it: one place to read it from."""

    report: DutyReport
    cycle: Cycle
    organization: Organization
    body: ReportBody
    facts: ReportFacts
    versions: list[ReportVersion]
    result: Result | None
    """Only once the cycle is closed; before that the committee's figures are not the organization's to see."""
    comment: str
    problems: list[Problem]


def report_document(report: DutyReport) -> ReportDocument:
    """The report's text, facts, versions and, after closing, its result, comment and problems (fixed queries)."""
    report = DutyReport.objects.select_related("cycle", "organization").get(pk=report.pk)
    closed = report.cycle.is_closed
    result = Result.objects.filter(report=report).first() if closed else None
    return ReportDocument(
        report=report,
        cycle=report.cycle,
        organization=report.organization,
        body=report_body(report),
        facts=report_facts(report),
        versions=report_versions(report),
        result=result,
        comment=report.comment if closed else "",
        problems=list(report.problems.order_by("order", "id")) if closed else [],
    )
