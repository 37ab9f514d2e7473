"""Optimistic checks against lost updates, without a version column.

A form carries a fingerprint of the editable fields as they were when the page was loaded; the service
recomputes it under its row lock and refuses the save when someone else changed the object meanwhile.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from django.db import models


def fingerprint(obj: models.Model, fields: Iterable[str]) -> str:
    """A sha256 of the named fields' current values (foreign keys by their id)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        value = getattr(obj, attname)
        values[name] = None if value is None else str(value)
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def is_stale(obj: models.Model, fields: Iterable[str], expected: str | None) -> bool:
    """True when the caller expected a state (expected is not None) that is no longer the current one."""
    return expected is not None and fingerprint(obj, fields) != expected
