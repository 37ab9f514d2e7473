"""Reads that pages and exports share. Each takes the acting user and filters through accounts.permissions."""

from __future__ import annotations

# --- lists, work plans, templates, coverage -------------------------------------

# --- records, evidence, my list -------------------------------------------------

# --- progress over a subtree, exports, commitments, contact points ----------------
