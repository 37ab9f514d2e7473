"""Inspections, findings and rectification tasks (督查 / 整改)."""
