"""What of 述职评议's history each person may read on the audit page (操作日志), as its own pages show it.

Each rule takes the reader and one history row (with what `related` names already fetched) and
answers the fields of that row the reader may read, or None when the row is not shown at all. A row
is judged in its own state: a report's text as it stood in that row, draft or submitted. What the
committee writes (点评意见, the daily score, the problems, the results) reaches the organization only
once the cycle is closed; ballot codes and their batches stay with the cycle's committee.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.history import every_field, register_audited
from accounts.models import Organization
from accounts.permissions import Action, can, is_administrator, scope_for
from reviews.access import may_follow_cycle
from reviews.models import Cycle, DutyReport
from reviews.selectors import cycles_q

REPORT_STATE = frozenset(
    {
        "cycle",
        "organization",
        "status",
        "revision",
        "last_edited_by",
        "last_edited_at",
        "submitted_at",
        "return_reason",
    }
)
"""Where the report stands: its status, when and by whom it was last edited or submitted (which every row's
who and when tell anyway) and the committee's reason for a return."""
REPORT_TEXT = frozenset({"sections"})
"""The secretary's text: the organization's own until submitted."""
COMMITTEE_PART = frozenset({"comment", "daily_score", "daily_reason"})
"""The committee's 点评意见 and daily score: the committee's own until the cycle is closed."""
UNPUBLISHED_BALLOT_COUNTS = frozenset({"ballots_valid", "ballots_poor"})
"""Below the cycle's minimum of valid ballots no page publishes the counts, to anyone."""


def _reads_committee_part(user: Any, cycle: Cycle, organization: Organization) -> bool:
    """The committee that runs the cycle and those above it; once the cycle is closed also the
    organization's leaders and its supervisors, as on the result page."""
    if may_follow_cycle(user, cycle):
        return True
    return cycle.is_closed and (can(user, Action.MANAGE, organization) or can(user, Action.SUPERVISE, organization))


def _unknown(user: Any, row: Any) -> frozenset[str] | None:
    """A row whose cycle or organization has since been deleted: its state cannot be told, so only an
    administrator (who reads everything) sees it."""
    return every_field(user, row) if is_administrator(user) else None


def report_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A duty report: where it stands to those who keep or supervise it or follow its cycle; its text to
    its own leaders, and to its supervisors (every assigned reviewer is one: reviewers are chosen from
    the cycle's committee and those granted supervision over it) only in a row where it stands
    submitted; the committee's part as `_reads_committee_part` says."""
    if row.cycle is None or row.organization is None:
        return _unknown(user, row)
    keeps = can(user, Action.MANAGE, row.organization)
    supervises = can(user, Action.SUPERVISE, row.organization)
    if not (keeps or supervises or may_follow_cycle(user, row.cycle)):
        return None
    readable = set(REPORT_STATE)
    if keeps or (supervises and row.status == DutyReport.Status.SUBMITTED):
        readable |= REPORT_TEXT
    if _reads_committee_part(user, row.cycle, row.organization):
        readable |= COMMITTEE_PART
    return frozenset(readable)


def problem_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A problem the committee found in a report: to whoever reads the committee's part of it."""
    report = row.report
    if report is None:
        return _unknown(user, row)
    return every_field(user, row) if _reads_committee_part(user, report.cycle, report.organization) else None


def result_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A result: as a problem; its ballot counts, when below the cycle's minimum, to nobody."""
    readable = problem_fields(user, row)
    if readable is None or row.ballots_published:
        return readable
    return readable - UNPUBLISHED_BALLOT_COUNTS


def cycle_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A cycle: those who follow it (its committee and those above it), as its pages."""
    if row.organization is None:
        return _unknown(user, row)
    return every_field(user, row) if may_follow_cycle(user, row) else None


def closing_note_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A reason for closing over a gap: those who follow the cycle (the organization reads its own
    reasons on its result)."""
    if row.cycle is None:
        return _unknown(user, row)
    return every_field(user, row) if may_follow_cycle(user, row.cycle) else None


def ballot_fields(user: Any, row: Any) -> frozenset[str] | None:
    """A ballot code or a batch of them: the cycle's committee only, as on the codes page and the sheet;
    not even a committee above sees a code."""
    if row.cycle is None:
        return _unknown(user, row)
    return every_field(user, row) if can(user, Action.MANAGE, row.cycle.organization) else None


def _committee_part_q(user: Any) -> Q:
    """Problems and results of the cycles the user follows, and of every closed cycle (the rule decides those)."""
    if is_administrator(user):
        return Q()  # (Q() | a condition would be the condition alone)
    return cycles_q(user, "report__cycle__") | Q(report__cycle__status=Cycle.Status.CLOSED)


def _kept_cycles_q(user: Any) -> Q:
    """Codes and batches of the cycles whose committee the user keeps: a province's codes never fill the page."""
    scope = scope_for(user)
    return Q() if scope.is_admin else Q(cycle__organization__path__in=sorted(scope.manage_paths))


def register() -> None:
    """Registers the app's tracked models with the audit trail (called from ReviewsConfig.ready)."""
    register_audited("reviews.Cycle", "organization__", cycle_fields, related=("organization",), shown_q=cycles_q)
    register_audited(
        "reviews.DutyReport", "organization__", report_fields, related=("organization", "cycle__organization")
    )
    for label, rule in (("reviews.Problem", problem_fields), ("reviews.Result", result_fields)):
        register_audited(
            label,
            "report__organization__",
            rule,
            related=("report__organization", "report__cycle__organization"),
            shown_q=_committee_part_q,
        )
    register_audited(
        "reviews.ClosingNote",
        "cycle__organization__",
        closing_note_fields,
        related=("cycle__organization",),
        shown_q=lambda user: cycles_q(user, "cycle__"),
    )
    for label in ("reviews.BallotBatch", "reviews.BallotCode"):
        register_audited(
            label, "cycle__organization__", ballot_fields, related=("cycle__organization",), shown_q=_kept_cycles_q
        )
