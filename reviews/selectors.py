"""Reads that pages and exports share (and the PDF of a later issue). Each filters through accounts.permissions."""

from __future__ import annotations

# --- reports: my reports, the report with its facts, results -----------------------

# --- scoring: reviewer queue, scoring page, committee assessment ----------------------

# --- cycles: progress, ranking, exports, rubric templates --------------------------------

# --- ballots: codes, tally ----------------------------------------------------------
