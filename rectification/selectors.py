"""Reads that pages, exports and the duty report share. Each filters through accounts.permissions."""

from __future__ import annotations

# --- tasks: my tasks, the task page and its timeline --------------------------------

# --- board: the committee board, findings, ledger, disclosure --------------------------

# --- inspections ---------------------------------------------------------------------

# --- carried into the next duty report -------------------------------------------------
