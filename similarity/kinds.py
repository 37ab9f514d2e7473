"""The kinds of text compared, each registered by the domain that owns it from its AppConfig.ready().

This app sits below the domains (they call it when a text is saved), so it cannot import them; a kind
tells it what it needs to name a text and send a reader to it: a label, a noun for "本支部 2025 年…", and
the address of the object. Texts are compared only with texts of their own kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class TextRow:
    """One stored text as its domain gives it for a bulk comparison."""

    object_id: int
    organization_id: int
    year: int
    content: str
    headings: Sequence[str] = ()


def no_texts() -> Iterable[TextRow]:
    return ()


@dataclass(frozen=True)
class TextKind:
    key: str
    label: str | Promise
    """What the text is, e.g. 述职报告, 履责记实, 整改措施."""
    url: Callable[[int], str]
    """The page of the object with this id (the page checks access; this only builds the address)."""
    across_organizations: bool = True
    """Compared with other organizations' texts of the same year too, not only with the organization's own."""
    texts: Callable[[], Iterable[TextRow]] = field(default=no_texts)
    """Every text of the kind, for the bulk comparison (`manage.py compare_texts`): data loaded in bulk
    (seeding, an import, a first installation) was never saved through the services that compare."""


_kinds: dict[str, TextKind] = {}


def register(kind: TextKind) -> None:
    _kinds[kind.key] = kind


def get(key: str) -> TextKind | None:
    return _kinds.get(key)


def registered() -> list[TextKind]:
    return list(_kinds.values())
