"""Progress and warnings: records counted against each item's target, period by period.

The arithmetic (`periods_of`, `item_state`) is pure and property-tested; `refresh_items`
applies it to many items with a fixed number of queries and stores the results on the
items and their lists, where every page reads them.

A period is met when its `target_count`-th counting record arrives. It is met on time
if that record was submitted by the period's last day, late otherwise; a period that
ended unmet is missed. The first time a refresh sees a period late or missed it records a
LateMark; the item's and the list's 曾逾期 figures are counted from those marks, so lateness
stays in the year's figures whatever is edited afterwards.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from foundation.bulk import update_rows
from responsibility.models import DutyRecord, LateMark, Light, ListItem, Period, ResponsibilityList

MONTHS_PER_PERIOD = {Period.MONTH: 1, Period.QUARTER: 3, Period.HALF: 6, Period.YEAR: 12}
REFRESH_CHUNK = 2000


@dataclass(frozen=True)
class Span:
    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def periods_of(year: int, period: str, due_date: date | None = None) -> list[Span]:
    """The spans an item's target repeats over in a year; a one-off runs from 1 January to its due date."""
    if period == Period.ONCE:
        end = due_date if due_date is not None else date(year, 12, 31)
        return [Span(date(year, 1, 1), end)]
    months = MONTHS_PER_PERIOD[Period(period)]
    spans = []
    for first_month in range(1, 13, months):
        last_month = first_month + months - 1
        last_day = calendar.monthrange(year, last_month)[1]
        spans.append(Span(date(year, first_month, 1), date(year, last_month, last_day)))
    return spans


def submitted_by_period(
    spans: Sequence[Span], *, year: int, period: str, records: Iterable[tuple[date, date]]
) -> list[list[date]]:
    """The submission dates of the counting records that fall in each span, sorted."""
    by_period: list[list[date]] = [[] for _ in spans]
    for occurred_on, submitted_on in records:
        if period == Period.ONCE:
            # A one-off done after its due date still completes it, late.
            if occurred_on.year == year:
                by_period[0].append(submitted_on)
            continue
        for index, span in enumerate(spans):
            if occurred_on in span:
                by_period[index].append(submitted_on)
                break
    for dates in by_period:
        dates.sort()
    return by_period


@dataclass(frozen=True)
class Thresholds:
    """When an unmet period turns yellow or red: the share of its time used beyond the share of work done."""

    yellow: float = 0.5
    red: float = 0.8

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(yellow=settings.RESPONSIBILITY_YELLOW_GAP, red=settings.RESPONSIBILITY_RED_GAP)


@dataclass(frozen=True)
class ItemState:
    warning: str
    required_total: int
    done_total: int
    period_required: int
    period_done: int
    next_due: date | None
    late_spans: tuple[Span, ...] = ()
    """The periods met after their end, judged against today's target."""
    missed_spans: tuple[Span, ...] = ()
    """The periods that ended unmet."""

    @property
    def late_periods(self) -> int:
        return len(self.late_spans)

    @property
    def missed_periods(self) -> int:
        return len(self.missed_spans)


def item_state(
    *,
    year: int,
    period: str,
    target: int,
    due_date: date | None,
    records: Iterable[tuple[date, date]],
    today: date,
    thresholds: Thresholds = Thresholds(),
    starts_on: date | None = None,
) -> ItemState:
    """The item's state on `today` from its counting records, each as (occurred_on, submitted_on).

    `starts_on` is when the duty began within the year (an organization set up in June): periods that
    ended before it are not asked for.
    """
    spans = periods_of(year, period, due_date)
    if starts_on is not None:
        spans = [span for span in spans if span.end >= starts_on]
        if not spans:
            return ItemState(Light.GREEN, 0, 0, 0, 0, None)
    by_period = submitted_by_period(spans, year=year, period=period, records=records)

    done_total = 0
    late: list[Span] = []
    missed: list[Span] = []
    current: int | None = None
    for index, span in enumerate(spans):
        submitted = sorted(by_period[index])
        done_total += min(len(submitted), target)
        if len(submitted) >= target:
            if submitted[target - 1] > span.end:
                late.append(span)
        elif span.end < today:
            missed.append(span)
        if current is None and today <= span.end:
            current = index

    # Before the year starts, the first period is "current"; after it ends, none is.
    period_required = period_done = 0
    next_due: date | None = None
    if current is not None:
        # The current period's figures show even on an item already red from a missed one.
        period_required, period_done = target, len(by_period[current])
    if missed:
        warning = Light.RED
        next_due = next(span.end for index, span in enumerate(spans) if len(by_period[index]) < target)
    elif current is None:
        warning = Light.GREEN
    else:
        span = spans[current]
        if period_done >= target:
            warning = Light.GREEN
            following = next((later for later in spans[current + 1 :]), None)
            next_due = following.end if following else None
        else:
            next_due = span.end
            used = max(0, (today - span.start).days + 1) / span.days
            gap = used - period_done / target
            if gap >= thresholds.red:
                warning = Light.RED
            elif gap >= thresholds.yellow:
                warning = Light.YELLOW
            else:
                warning = Light.GREEN
    return ItemState(
        warning=warning,
        required_total=target * len(spans),
        done_total=done_total,
        period_required=period_required,
        period_done=period_done,
        next_due=next_due,
        late_spans=tuple(late),
        missed_spans=tuple(missed),
    )


STATE_FIELDS = [
    "warning",
    "required_total",
    "done_total",
    "period_required",
    "period_done",
    "next_due",
    "late_periods",
    "missed_periods",
    "state_date",
]


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


MarkKey = tuple[date, date, str]
"""A mark as the refresh tells marks apart: (period_start, period_end, outcome)."""


def marked_periods(marks: Iterable[MarkKey]) -> tuple[int, int]:
    """(late_periods, missed_periods) from an item's marks: each period once, as late if it was ever
    completed late, else as missed."""
    late = {(start, end) for start, end, outcome in marks if outcome == LateMark.Outcome.LATE}
    missed = {(start, end) for start, end, outcome in marks if outcome == LateMark.Outcome.MISSED}
    return len(late), len(missed - late)


def new_marks(state: ItemState, marked: set[MarkKey]) -> list[MarkKey]:
    """The late and missed periods of STATE not yet among MARKED."""
    seen = [(span, LateMark.Outcome.LATE) for span in state.late_spans]
    seen += [(span, LateMark.Outcome.MISSED) for span in state.missed_spans]
    return [
        (span.start, span.end, str(outcome)) for span, outcome in seen if (span.start, span.end, outcome) not in marked
    ]


def refresh_items(items: QuerySet[ListItem] | Sequence[int], *, today: date | None = None) -> int:
    """Recomputes and stores the state of these items and of their lists; returns how many items were refreshed.

    Records a LateMark for every period it sees late or missed for the first time. A chunk of
    2,000 items costs three reads and four writes (five when there are new marks), whatever the
    number of records.
    """
    today = today or timezone.localdate()
    thresholds = Thresholds.from_settings()
    item_ids: list[int] = (
        list(items.order_by().values_list("id", flat=True)) if isinstance(items, QuerySet) else list(items)
    )
    list_ids: set[int] = set()
    for start in range(0, len(item_ids), REFRESH_CHUNK):
        chunk = item_ids[start : start + REFRESH_CHUNK]
        inputs = ListItem.objects.filter(id__in=chunk).values_list(
            "id", "list_id", "list__year", "target_period", "target_count", "due_date", "content"
        )
        records: dict[int, list[tuple[date, date]]] = defaultdict(list)
        counting = DutyRecord.objects.filter(item_id__in=chunk).exclude(status=DutyRecord.Status.RETURNED)
        for item_id, occurred_on, submitted_at in counting.values_list("item_id", "occurred_on", "submitted_at"):
            records[item_id].append((occurred_on, _local_date(submitted_at)))
        marked: dict[int, set[MarkKey]] = defaultdict(set)
        existing = LateMark.objects.filter(item_id__in=chunk).values_list(
            "item_id", "period_start", "period_end", "outcome"
        )
        for item_id, period_start, period_end, outcome in existing:
            marked[item_id].add((period_start, period_end, outcome))
        rows = []
        marks = []
        now = timezone.now()
        for item_id, list_id, year, period, target, due_date, content in inputs:
            state = item_state(
                year=year,
                period=period,
                target=target,
                due_date=due_date,
                records=records.get(item_id, ()),
                today=today,
                thresholds=thresholds,
            )
            for period_start, period_end, outcome in new_marks(state, marked[item_id]):
                marked[item_id].add((period_start, period_end, outcome))
                marks.append(
                    LateMark(
                        list_id=list_id,
                        item_id=item_id,
                        content=content,
                        target_period=period,
                        target_count=target,
                        due_date=due_date,
                        period_start=period_start,
                        period_end=period_end,
                        outcome=outcome,
                        recorded_at=now,
                    )
                )
            late_periods, missed_periods = marked_periods(marked[item_id])
            # Late and missed are counted from the marks, not from today's target: an edit never lowers them.
            stored = {field: getattr(state, field) for field in STATE_FIELDS[:-1]}
            stored.update(late_periods=late_periods, missed_periods=missed_periods)
            rows.append((item_id, *(stored[field] for field in STATE_FIELDS[:-1]), today))
            list_ids.add(list_id)
        if marks:
            # A concurrent refresh of the same item may have recorded the same period: one mark stays.
            LateMark.objects.bulk_create(marks, batch_size=500, ignore_conflicts=True)
        update_rows(ListItem, STATE_FIELDS, rows)
    refresh_lists(list_ids)
    return len(item_ids)


LIST_TOTAL_FIELDS = [
    "warning",
    "red_items",
    "yellow_items",
    "green_items",
    "late_items",
    "required_total",
    "done_total",
]


def refresh_lists(list_ids: Iterable[int]) -> None:
    """Stores each list's colour and totals from its items (two queries a chunk of 2,000 lists)."""
    ordered = sorted(set(list_ids))
    for start in range(0, len(ordered), REFRESH_CHUNK):
        chunk = ordered[start : start + REFRESH_CHUNK]
        totals = (
            ListItem.objects.filter(list_id__in=chunk)
            .order_by()
            .values("list_id")
            .annotate(
                red=Count("id", filter=Q(warning=Light.RED)),
                yellow=Count("id", filter=Q(warning=Light.YELLOW)),
                green=Count("id", filter=Q(warning=Light.GREEN)),
                late=Count("id", filter=Q(late_periods__gt=0) | Q(missed_periods__gt=0)),
                required=Sum("required_total"),
                done=Sum("done_total"),
            )
        )
        by_list: dict[int, dict[str, Any]] = {row["list_id"]: dict(row) for row in totals}
        rows = []
        for list_id in chunk:
            row = by_list.get(list_id, {})
            red, yellow = row.get("red", 0), row.get("yellow", 0)
            warning = Light.RED if red else Light.YELLOW if yellow else Light.GREEN
            rows.append(
                (
                    list_id,
                    warning,
                    red,
                    yellow,
                    row.get("green", 0),
                    row.get("late", 0),
                    row.get("required") or 0,
                    row.get("done") or 0,
                )
            )
        update_rows(ResponsibilityList, LIST_TOTAL_FIELDS, rows)


def refresh_stale(*, today: date | None = None) -> int:
    """The nightly pass: every item of an open list whose state was computed before today."""
    today = today or timezone.localdate()
    stale = ListItem.objects.filter(list__closed_at__isnull=True).filter(
        Q(state_date__isnull=True) | Q(state_date__lt=today)
    )
    return refresh_items(stale, today=today)
