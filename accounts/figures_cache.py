"""Figures counted over a whole subtree, kept in the shared cache until the subtree changes.

At province scale a committee's page counts the year's every task or record (a third of a
second and more); the figures only move when someone writes below. So each organization path
has a change mark in the cache, a write sets new marks on its organization and every ancestor
(after commit), and a cached figure is keyed by the marks of the roots it was counted under:
any write below a root makes its old figures unreachable, never stale. Callers put the person's
scope (`permissions.scope_key`) and the day in the key, so a position that ends or a grant revoked
is never answered from figures counted before; the time limit bounds what nothing marks.

The cache is an accelerator only: when it is unreachable (Redis down) figures are counted afresh.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

from accounts.models import Organization

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _mark_key(area: str, path: str) -> str:
    return f"changed:{area}:{path}"


def _paths_up(path: str) -> list[str]:
    """The path and those of every ancestor."""
    return [path[:end] for end in range(Organization.steplen, len(path) + 1, Organization.steplen)]


def mark_changed(area: str, organizations: Iterable[Organization]) -> None:
    """After commit, every cached figure of AREA counted over these organizations' subtrees or above is dropped."""
    paths = {prefix for organization in organizations for prefix in _paths_up(organization.path)}
    if not paths:
        return

    def write() -> None:
        token = uuid.uuid4().hex
        try:
            cache.set_many({_mark_key(area, path): token for path in paths}, timeout=None)
        except Exception:
            # Cached figures may now outlive this change until their time limit: say so loudly.
            logger.exception("Could not mark %s changed for %d paths.", area, len(paths))

    transaction.on_commit(write)


def _marks(area: str, roots: Sequence[Organization]) -> list[str]:
    keys = [_mark_key(area, root.path) for root in roots]
    found = cache.get_many(keys)
    missing = {key: uuid.uuid4().hex for key in keys if key not in found}
    if missing:
        # A fresh mark (none yet, or evicted): figures cached under an older one are unreachable.
        cache.set_many(missing, timeout=None)
        found.update(missing)
    return [found[key] for key in keys]


def cached_figures(
    area: str, roots: Sequence[Organization], key: str, seconds: int, count: Callable[[], T]
) -> tuple[T, bool]:
    """(figures, True) from the cache when nothing under the roots changed since; else (count(), False), stored."""
    if seconds <= 0 or not roots:
        return count(), False
    try:
        full_key = f"figures:{area}:{key}:{':'.join(_marks(area, roots))}"
        hit = cache.get(full_key)
    except Exception:
        logger.exception("Figures cache unreachable; counting afresh.")
        return count(), False
    if hit is not None:
        return hit, True
    figures = count()
    try:
        cache.set(full_key, figures, seconds)
    except Exception:
        logger.exception("Figures cache unreachable; not stored.")
    return figures, False
