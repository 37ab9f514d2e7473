"""Pure rules of rectification: the reproducible random draw, escalation and 整改不力. Property-tested."""

from __future__ import annotations

import enum
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings


@dataclass(frozen=True)
class Candidate:
    id: int
    path: str
    sector: str


def draw(candidates: Sequence[Candidate], *, size: int, seed: str, per_sector: bool = False) -> list[int]:
    """随机抽查: SIZE organizations (SIZE per sector when PER_SECTOR) drawn with SEED.

    The candidates are put in path order first, so the same seed over the same subtree
    draws the same organizations whoever runs it and in whatever order they were read.
    """
    ordered = sorted(candidates, key=lambda candidate: candidate.path)
    rng = random.Random(seed)
    if not per_sector:
        return [candidate.id for candidate in rng.sample(ordered, min(size, len(ordered)))]
    by_sector: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in ordered:
        by_sector[candidate.sector].append(candidate)
    drawn: list[int] = []
    for sector in sorted(by_sector):
        group = by_sector[sector]
        drawn.extend(candidate.id for candidate in rng.sample(group, min(size, len(group))))
    return drawn


class Escalation(enum.IntEnum):
    """Who sees an overdue task: it climbs the tree as the days pass."""

    NONE = 0
    RESPONSIBLE = 1
    SECRETARY = 2
    COMMITTEE = 3


@dataclass(frozen=True)
class Limits:
    secretary_after: int = 7
    committee_after: int = 14
    weak_after: int = 30
    weak_returns: int = 2

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            secretary_after=settings.RECTIFICATION_SECRETARY_AFTER_DAYS,
            committee_after=settings.RECTIFICATION_COMMITTEE_AFTER_DAYS,
            weak_after=settings.RECTIFICATION_WEAK_AFTER_DAYS,
            weak_returns=settings.RECTIFICATION_WEAK_RETURNS,
        )


def escalation(*, deadline: date, is_open: bool, today: date, limits: Limits) -> Escalation:
    """An open task past its deadline is the responsible person's, then the secretary's, then the committee's."""
    if not is_open or today <= deadline:
        return Escalation.NONE
    overdue = (today - deadline).days
    if overdue >= limits.committee_after:
        return Escalation.COMMITTEE
    if overdue >= limits.secretary_after:
        return Escalation.SECRETARY
    return Escalation.RESPONSIBLE


def is_weak(*, deadline: date, is_open: bool, returned: int, today: date, limits: Limits) -> bool:
    """整改不力: returned too often, or open too long past its deadline."""
    if returned >= limits.weak_returns:
        return True
    return is_open and (today - deadline).days >= limits.weak_after
