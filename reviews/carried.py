"""上年度整改落实情况 in a duty report: a port that rectification fills.

Rectification sits above reviews (it turns the problems a review names into findings), so reviews may
not import it; yet a duty report shows how last year's rectification went. Rectification registers its
reader here from its AppConfig.ready(); without it (reviews alone) the report simply shows none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from accounts.models import Organization


class CarriedRow(Protocol):
    """One task as the report lists it (rectification.selectors.CarriedTask is one)."""

    @property
    def is_accepted(self) -> bool: ...

    @property
    def is_overdue(self) -> bool: ...


Reader = Callable[[Organization, int], Sequence[Any]]
_reader: Reader | None = None


def register(reader: Reader) -> None:
    """Called once by rectification: how to read an organization's tasks of a year."""
    global _reader
    _reader = reader


def rows_of(organization: Organization, year: int) -> list[Any]:
    """The organization's rectification tasks of YEAR, as the registered reader gives them."""
    return list(_reader(organization, year)) if _reader is not None else []
