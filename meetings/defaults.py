"""The seven kinds of meeting every organization knows and their default rules, made again where a flushed
database lost them (a transactional test, a wiped scale database): by the migration's own function, so the
migration's table stays the one list."""

from __future__ import annotations

import importlib

from django.apps import apps

from meetings.models import MeetingKind

DEFAULTS_MIGRATION = "meetings.migrations.0002_kinds_and_default_rules"


def ensure_default_kinds() -> dict[str, MeetingKind]:
    """Creates whichever of the seven kinds and default rules are missing; the kinds by code."""
    importlib.import_module(DEFAULTS_MIGRATION).create(apps, None)
    return {kind.code: kind for kind in MeetingKind.objects.filter(organization__isnull=True)}
