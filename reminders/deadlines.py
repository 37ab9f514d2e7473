"""What a deadline is to the reminders: who answers for it and in which role (Role), when a role is reminded
(Policy, from settings), the leaders a batch of deadlines reaches (Leaders), a person's leading positions for the
calendar (Mine), and the addresses, reversed once per run (Words). The sources (reminders.sources) make Deadlines
of their rows; the sweep (reminders.sweep) and the calendar (reminders.calendar) read them.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from accounts.models import Organization, Position, User
from notifications.messages import REMINDER_SUBJECTS

LABEL_CHARS = 40


class Role(enum.IntEnum):
    """Why a person hears about a deadline; a higher role is an escalation."""

    OWNER = 1
    """Has to do it: reminded before the deadline and after it."""
    SECRETARY = 2
    """The organization's secretary, once an overdue rectification task reaches them."""
    COMMITTEE = 3
    """The committee one level up (督办), once it reaches them."""


@dataclass(frozen=True)
class Policy:
    """The thresholds, in days relative to a deadline, from settings."""

    before: tuple[int, ...] = (7, 3, 1)
    after: tuple[int, ...] = (1, 7, 14)
    secretary_after: int = 7
    committee_after: int = 14

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            before=tuple(settings.REMINDER_BEFORE_DAYS),
            after=tuple(settings.REMINDER_AFTER_DAYS),
            secretary_after=settings.RECTIFICATION_SECRETARY_AFTER_DAYS,
            committee_after=settings.RECTIFICATION_COMMITTEE_AFTER_DAYS,
        )

    def escalation_start(self, role: Role) -> int:
        return {Role.OWNER: 1, Role.SECRETARY: self.secretary_after, Role.COMMITTEE: self.committee_after}[role]

    def crossed(self, role: Role, *, due: date, today: date, after: bool = True) -> list[int]:
        """The thresholds this role has crossed today, most urgent last."""
        overdue = (today - due).days
        if role is Role.OWNER:
            if overdue <= 0:
                return sorted(-days for days in self.before if -overdue <= days)
            return sorted(days for days in self.after if days <= overdue) if after else []
        # An escalation is announced on the day it happens, then at the later AFTER thresholds.
        start = self.escalation_start(role)
        return sorted(days for days in {start, *self.after} if start <= days <= overdue)

    def reaches(self, role: Role, *, due: date, today: date) -> bool:
        """Whether the deadline is this person's today (an escalated role only once escalated)."""
        return role is Role.OWNER or (today - due).days >= self.escalation_start(role)


@dataclass(frozen=True)
class Deadline:
    """One deadline and the people who answer for it."""

    key: str
    """Stable and unique: the sent-log's key and the calendar event's UID. Holds the date where it can move."""
    due: date
    kind: str
    subject: str
    """What is due, a key of notifications.messages.REMINDER_SUBJECTS, filled with `params`."""
    params: dict[str, Any]
    organization: str
    url: str
    people: tuple[tuple[int, Role], ...]
    remind_after: bool = True
    responsible: str = ""

    @property
    def label(self) -> str:
        """What is due, in the active language."""
        return str(REMINDER_SUBJECTS[self.subject] % self.params)


@dataclass
class Leaders:
    """The current secretaries and leading roles of some organizations, by path: one query a batch."""

    secretaries: dict[str, int] = field(default_factory=dict)
    leading: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, paths: Iterable[str]) -> Leaders:
        """The leaders of the organizations at these paths and of the committees one level up."""
        wanted: set[str] = set()
        for path in paths:
            wanted.add(path)
            if parent := Organization.parent_path_of(path):
                wanted.add(parent)
        leaders = cls()
        positions = (
            Position.objects.current()
            .filter(organization__path__in=sorted(wanted), organization__is_active=True, person__is_active=True)
            .exclude(role=Position.Role.MEMBER)
            .order_by("id")
            .values_list("organization__path", "role", "person_id")
        )
        for path, role, person_id in positions:
            if role == Position.Role.SECRETARY:
                leaders.secretaries[path] = person_id
            if person_id not in leaders.leading[path]:
                leaders.leading[path].append(person_id)
        return leaders

    def secretary(self, path: str) -> list[int]:
        person = self.secretaries.get(path)
        return [person] if person is not None else []

    def committee_above(self, path: str) -> list[int]:
        parent = Organization.parent_path_of(path)
        return self.leading.get(parent, []) if parent else []


@dataclass(frozen=True)
class Mine:
    """A person's current leading positions, for the calendar's filters."""

    person: User
    secretary_of: frozenset[int]
    leading: tuple[tuple[int, str, int], ...]
    """(organization id, path, depth) of every organization where the person holds a leading role."""

    @classmethod
    def of(cls, person: User) -> Mine:
        rows = list(
            Position.objects.current()
            .filter(person=person, organization__is_active=True)
            .exclude(role=Position.Role.MEMBER)
            .values_list("role", "organization_id", "organization__path", "organization__depth")
        )
        return cls(
            person=person,
            secretary_of=frozenset(org for role, org, _path, _depth in rows if role == Position.Role.SECRETARY),
            leading=tuple((org, path, depth) for _role, org, path, depth in rows),
        )

    def below(self, prefix: str) -> Q:
        """The organizations one level below those the person leads."""
        condition = Q(pk__in=[])
        for _org, path, depth in self.leading:
            condition |= Q(**{f"{prefix}path__startswith": path, f"{prefix}depth": depth + 1})
        return condition


class Words:
    """The addresses of deadlines, reversed once per run, not per row: a province's first sweep links a quarter
    of a million reminders to five kinds of page. (Their wording is rendered when read: notifications.messages.)
    """

    URL_MARK = 2147483647
    """An id no row has, reversed in the place of the real one."""

    def __init__(self) -> None:
        self._urls: dict[str, tuple[str, str]] = {}

    def url(self, name: str, pk: int) -> str:
        """reverse(name, args=[pk]) for a route whose only argument is an id."""
        parts = self._urls.get(name)
        if parts is None:
            before, mark, after = reverse(name, args=[self.URL_MARK]).partition(str(self.URL_MARK))
            assert mark, name
            parts = self._urls[name] = (before, after)
        return f"{parts[0]}{pk}{parts[1]}"


def people_of(*groups: tuple[Role, Iterable[int]]) -> tuple[tuple[int, Role], ...]:
    return tuple((person, role) for role, persons in groups for person in persons)


def clipped(text: str) -> str:
    """A row's text on one line and short enough for a title (the subject's wording quotes it)."""
    text = " ".join(text.split())
    if len(text) > LABEL_CHARS:
        text = text[: LABEL_CHARS - 1] + "…"
    return text
