"""The one place that says which transitions a cycle and a duty report allow: {action: (from states, to state)}.

The services apply them (foundation.errors.transition); reviews.access asks them which actions a person has
on an object, so pages and templates never copy a rule out of them.
"""

from __future__ import annotations

from reviews.models import Cycle, DutyReport

CycleStatus = Cycle.Status
ReportStatus = DutyReport.Status

CYCLE_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "open": (frozenset({CycleStatus.DRAFT}), CycleStatus.OPEN),
    "close": (frozenset({CycleStatus.OPEN}), CycleStatus.CLOSED),
}
REPORT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({ReportStatus.DRAFT, ReportStatus.RETURNED}), ReportStatus.SUBMITTED),
    "return": (frozenset({ReportStatus.SUBMITTED}), ReportStatus.RETURNED),
}


def available(table: dict[str, tuple[frozenset[str], str]], status: str) -> frozenset[str]:
    """The actions of TABLE whose source states include STATUS, whoever asks."""
    return frozenset(action for action, (sources, _target) in table.items() if status in sources)
