"""How often each kind of meeting is due, and where an organization's year stands against it.

The rule for a kind is the nearest one up the tree (a committee's own, else the defaults). The year's
state of each kind is the list items' arithmetic (responsibility.progress.item_state) applied to the
held meetings, each as (held on, recorded on): a period is met late when its last needed meeting was
recorded after the period ended, and missed when it ended unmet. `refresh` stores the results in
KindYear and LifeYear with a fixed number of queries for any number of organizations, and writes a
LifeLateMark the first time a period is seen late or missed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.figures_cache import mark_changed
from accounts.models import Organization
from meetings.models import (
    Attendance,
    FrequencyRule,
    KindYear,
    LifeLateMark,
    LifeYear,
    Meeting,
    MeetingKind,
)
from members.models import Member
from responsibility.models import Light
from responsibility.progress import ItemState, Span, item_state

LIFE_AREA = "life"
"""The figures cache's area of organizational life: each refresh marks the organizations it stored, which
drops the committee's figures counted over them at once (meetings.overview); unmarked, they are kept for
DASHBOARD_CACHE_SECONDS at most."""

MarkKey = tuple[date, date, str]
LIGHT_ORDER = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}


@dataclass(frozen=True)
class Rule:
    kind: MeetingKind
    period: str
    count: int
    required: bool
    set_by: Organization | None
    """The committee whose rule this is; None for the defaults."""


def kinds_for(organization: Organization) -> list[MeetingKind]:
    """The kinds an organization may hold: the seven, and those its committees added (a committee's kinds
    for committees, a branch's for branches)."""
    kinds = MeetingKind.objects.filter(
        Q(organization__isnull=True) | Q(organization__path__in=[*organization.ancestor_paths(), organization.path])
    ).order_by("order", "id")
    return [kind for kind in kinds if kind.for_committees == organization.is_committee]


def rules_for(organizations: Sequence[Organization]) -> dict[int, list[Rule]]:
    """Each organization's rules, kind by kind: two queries for any number of organizations."""
    paths: set[str] = set()
    for organization in organizations:
        paths.update(organization.ancestor_paths())
        paths.add(organization.path)
    rows = list(
        FrequencyRule.objects.filter(Q(organization__isnull=True) | Q(organization__path__in=sorted(paths)))
        .select_related("kind", "organization")
        .order_by("kind__order", "kind_id")
    )
    kinds = list(MeetingKind.objects.filter(Q(organization__isnull=True) | Q(organization__path__in=sorted(paths))))
    by_kind: dict[int, dict[str, FrequencyRule]] = defaultdict(dict)
    for row in rows:
        by_kind[row.kind_id][row.organization.path if row.organization else ""] = row
    result: dict[int, list[Rule]] = {}
    for organization in organizations:
        chain = ["", *organization.ancestor_paths(), organization.path]
        rules: list[Rule] = []
        for kind in sorted(kinds, key=lambda kind: (kind.order, kind.pk)):
            if kind.for_committees != organization.is_committee:
                continue
            if kind.organization_id is not None and kind.organization.path not in chain:  # type: ignore[union-attr]
                continue
            nearest = next((by_kind[kind.pk][path] for path in reversed(chain) if path in by_kind[kind.pk]), None)
            if nearest is None or not nearest.required:
                continue
            rules.append(Rule(kind, nearest.period, nearest.count, True, nearest.organization))
        result[organization.pk] = rules
    return result


@dataclass(frozen=True)
class RuleRow:
    """A kind on a committee's rules page: its own rule, the one it would follow without it, and which shows."""

    kind: MeetingKind
    own: FrequencyRule | None
    inherited: FrequencyRule | None

    @property
    def shown(self) -> FrequencyRule | None:
        return self.own or self.inherited


def rule_rows(organization: Organization) -> list[RuleRow]:
    """Every kind the committee's subtree may hold, with its own rule and the inherited one: two queries."""
    chain = ["", *organization.ancestor_paths(), organization.path]
    kinds = list(
        MeetingKind.objects.filter(Q(organization__isnull=True) | Q(organization__path__in=chain[1:]))
        .select_related("organization")
        .order_by("order", "id")
    )
    found: dict[int, dict[str, FrequencyRule]] = defaultdict(dict)
    for rule in FrequencyRule.objects.filter(
        Q(organization__isnull=True) | Q(organization__path__in=chain[1:])
    ).select_related("organization"):
        found[rule.kind_id][rule.organization.path if rule.organization else ""] = rule
    rows = []
    for kind in kinds:
        rules = found[kind.pk]
        inherited = next((rules[path] for path in reversed(chain[:-1]) if path in rules), None)
        rows.append(RuleRow(kind, rules.get(organization.path), inherited))
    return rows


def year_starts_on(organization: Organization, year: int) -> date | None:
    """An organization set up during the year owes nothing for the periods before it existed."""
    established = organization.established_on
    if established is not None and established.year == year:
        return established
    return None


def kind_state(
    *, rule: Rule, year: int, held: Iterable[tuple[date, date]], today: date, starts_on: date | None
) -> ItemState:
    """The kind's state on `today` from its held meetings, each as (held_on, recorded_on)."""
    return item_state(
        year=year,
        period=rule.period,
        target=rule.count,
        due_date=None,
        records=held,
        today=today,
        starts_on=starts_on,
    )


def _held_meetings(organization_ids: Sequence[int], year: int) -> dict[tuple[int, int], list[tuple[date, date]]]:
    held: dict[tuple[int, int], list[tuple[date, date]]] = defaultdict(list)
    rows = Meeting.objects.filter(
        organization_id__in=organization_ids, status=Meeting.Status.HELD, held_on__year=year
    ).values_list("organization_id", "kind_id", "held_on", "closed_at")
    for organization_id, kind_id, held_on, closed_at in rows:
        if held_on is None:
            continue
        recorded = timezone.localtime(closed_at).date() if closed_at else held_on
        held[(organization_id, kind_id)].append((held_on, recorded))
    return held


def refresh(organization_ids: Iterable[int], year: int, *, today: date | None = None) -> int:
    """Stores each organization's year of organizational life; a fixed number of queries per call."""
    today = today or timezone.localdate()
    organizations = list(Organization.objects.filter(pk__in=list(organization_ids)))
    if not organizations:
        return 0
    ids = [organization.pk for organization in organizations]
    rules = rules_for(organizations)
    held = _held_meetings(ids, year)
    attendance: dict[tuple[int, int], dict[str, Any]] = {
        (row["organization_id"], row["kind_id"]): dict(row)
        for row in Meeting.objects.filter(organization_id__in=ids, status=Meeting.Status.HELD, held_on__year=year)
        .values("organization_id", "kind_id")
        .annotate(meetings=Count("id"), expected=Sum("expected_count"), present=Sum("present_count"))
        .order_by()
    }
    meetings_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for (organization_id, _kind), figures in attendance.items():
        meetings_of[organization_id].append(figures)
    lectures = dict(
        Meeting.objects.filter(
            organization_id__in=ids,
            status=Meeting.Status.HELD,
            held_on__year=year,
            kind__code=MeetingKind.LECTURE,
            lecturer_is_secretary=True,
        )
        .values("organization_id")
        .annotate(total=Count("id"))
        .values_list("organization_id", "total")
    )
    seen = _members_seen(ids, year)
    marked: dict[tuple[int, int], set[MarkKey]] = defaultdict(set)
    for organization_id, kind_id, start, end, outcome in LifeLateMark.objects.filter(
        organization_id__in=ids, period_start__year=year
    ).values_list("organization_id", "kind_id", "period_start", "period_end", "outcome"):
        marked[(organization_id, kind_id)].add((start, end, outcome))

    kind_rows: list[KindYear] = []
    life_rows: list[LifeYear] = []
    new_marks: list[LifeLateMark] = []
    for organization in organizations:
        life = LifeYear(organization=organization, year=year, state_date=today)
        starts_on = year_starts_on(organization, year)
        warning = Light.GREEN
        for rule in rules[organization.pk]:
            state = kind_state(
                rule=rule,
                year=year,
                held=held.get((organization.pk, rule.kind.pk), []),
                today=today,
                starts_on=starts_on,
            )
            figures = attendance.get((organization.pk, rule.kind.pk), {})
            kind_marks = marked[(organization.pk, rule.kind.pk)]
            for spans, outcome in (
                (state.late_spans, LifeLateMark.Outcome.LATE),
                (state.missed_spans, LifeLateMark.Outcome.MISSED),
            ):
                for span in spans:
                    if (span.start, span.end, outcome) not in kind_marks:
                        kind_marks.add((span.start, span.end, outcome))
                        new_marks.append(_mark(organization, rule, span, outcome))
            late, missed = _counted(kind_marks)
            kind_rows.append(
                KindYear(
                    organization=organization,
                    year=year,
                    kind=rule.kind,
                    period=rule.period,
                    count=rule.count,
                    warning=state.warning,
                    required_total=state.required_total,
                    held_total=state.done_total,
                    period_required=state.period_required,
                    period_done=state.period_done,
                    next_due=state.next_due,
                    late_periods=late,
                    missed_periods=missed,
                    expected_total=figures.get("expected") or 0,
                    present_total=figures.get("present") or 0,
                    state_date=today,
                )
            )
            if LIGHT_ORDER[Light(state.warning)] > LIGHT_ORDER[Light(warning)]:
                warning = Light(state.warning)
            life.required_total += state.required_total
            life.held_total += state.done_total
            life.late_periods += late
            life.missed_periods += missed
        life.warning = warning
        for figures in meetings_of[organization.pk]:
            life.meetings_held += figures["meetings"]
            life.expected_total += figures["expected"] or 0
            life.present_total += figures["present"] or 0
        life.lectures_by_secretary = lectures.get(organization.pk, 0)
        members = seen.get(organization.pk, MembersSeen())
        life.members, life.members_unseen = members.members, members.unseen
        life.migrants, life.migrants_unreached = members.migrants, members.migrants_unreached
        life_rows.append(life)

    KindYear.objects.filter(organization_id__in=ids, year=year).delete()
    KindYear.objects.bulk_create(kind_rows)
    LifeYear.objects.filter(organization_id__in=ids, year=year).delete()
    LifeYear.objects.bulk_create(life_rows)
    LifeLateMark.objects.bulk_create(new_marks, ignore_conflicts=True)
    mark_changed(LIFE_AREA, organizations)
    return len(organizations)


def _mark(organization: Organization, rule: Rule, span: Span, outcome: str) -> LifeLateMark:
    return LifeLateMark(
        organization=organization,
        kind=rule.kind,
        period=rule.period,
        count=rule.count,
        period_start=span.start,
        period_end=span.end,
        outcome=outcome,
    )


def _counted(marks: Iterable[MarkKey]) -> tuple[int, int]:
    """Late and missed periods from the marks: a period ever completed late counts as late, else as missed."""
    outcomes: dict[tuple[date, date], set[str]] = defaultdict(set)
    for start, end, outcome in marks:
        outcomes[(start, end)].add(outcome)
    late = sum(1 for found in outcomes.values() if LifeLateMark.Outcome.LATE in found)
    return late, len(outcomes) - late


@dataclass(frozen=True)
class MembersSeen:
    members: int = 0
    unseen: int = 0
    migrants: int = 0
    migrants_unreached: int = 0


def _members_seen(organization_ids: Sequence[int], year: int) -> dict[int, MembersSeen]:
    """How many current members each organization has, and how many took part in none of its held meetings
    this year (流动党员 apart): one query."""
    attended = Q(
        attendances__status=Attendance.Status.PRESENT,
        attendances__meeting__status=Meeting.Status.HELD,
        attendances__meeting__held_on__year=year,
    )
    rows = (
        Member.objects.current()
        .filter(organization_id__in=organization_ids)
        .exclude(status=Member.Status.SUSPENDED)
        .values("organization_id", "status")
        .annotate(total=Count("id", distinct=True), seen=Count("id", filter=attended, distinct=True))
        .order_by()
    )
    figures: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counts = figures[row["organization_id"]]
        counts["members"] += row["total"]
        counts["unseen"] += row["total"] - row["seen"]
        if row["status"] == Member.Status.MIGRANT:
            counts["migrants"] += row["total"]
            counts["migrants_unreached"] += row["total"] - row["seen"]
    return {organization_id: MembersSeen(**counts) for organization_id, counts in figures.items()}


REFRESH_CHUNK = 2000


def refresh_stale(*, today: date | None = None) -> int:
    """The nightly pass: this year's state of every active organization that keeps a roll or holds meetings,
    where it was computed before today, in chunks of a fixed number of queries each."""
    today = today or timezone.localdate()
    year = today.year
    fresh = LifeYear.objects.filter(year=year, state_date__gte=today).values_list("organization_id", flat=True)
    with_meetings = Meeting.objects.filter(starts_at__year__gte=year - 1).values_list("organization_id", flat=True)
    with_rolls = Member.objects.current().values_list("organization_id", flat=True)
    stale = list(
        Organization.objects.filter(is_active=True)
        .filter(Q(pk__in=with_meetings) | Q(pk__in=with_rolls))
        .exclude(pk__in=fresh)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(stale), REFRESH_CHUNK):
        refresh(stale[start : start + REFRESH_CHUNK], year, today=today)
    return len(stale)
