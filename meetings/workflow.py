"""The meeting's workflow: the one table of what may be done to a meeting in each status.

计划 → 签到中 → 已召开, or 取消 before it is held. A held meeting's minutes and evidence may still be
completed (the record is often typed up the day after); its sign-in sheet may not change.
"""

from __future__ import annotations

from foundation.errors import Transitions
from meetings.models import Meeting

Status = Meeting.Status

# action → (the statuses it may start from, the status it leads to)
MEETING_TRANSITIONS: Transitions = {
    "open": (frozenset({Status.PLANNED}), Status.OPEN),
    "close": (frozenset({Status.PLANNED, Status.OPEN}), Status.HELD),
    "cancel": (frozenset({Status.PLANNED, Status.OPEN}), Status.CANCELLED),
}

# What else a keeper may do in each status, beside the transitions.
MEETING_STEPS: dict[str, frozenset[str]] = {
    "edit": frozenset({Status.PLANNED, Status.OPEN}),
    "mark": frozenset({Status.PLANNED, Status.OPEN}),
    "show_code": frozenset({Status.OPEN}),
    "edit_minutes": frozenset({Status.HELD}),
    "add_file": frozenset({Status.PLANNED, Status.OPEN, Status.HELD}),
}


def actions_in(status: str) -> frozenset[str]:
    """Every action the table allows from STATUS."""
    moves = {action for action, (allowed_from, _target) in MEETING_TRANSITIONS.items() if status in allowed_from}
    steps = {action for action, statuses in MEETING_STEPS.items() if status in statuses}
    return frozenset(moves | steps)


MEETING_ACTIONS: dict[str, frozenset[str]] = {status: actions_in(status) for status in Status.values}

# While the sign-in takes codes.
SIGN_IN_STATUSES = frozenset({Status.OPEN})
