"""Warning-light arithmetic: periods, lateness, colours, and the stored figures on items and lists."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import assume, given
from hypothesis import strategies as st

from accounts.models import User
from foundation import bulk
from responsibility import progress
from responsibility.models import (
    Category,
    DutyRecord,
    DutyType,
    Light,
    ListItem,
    Period,
    ResponsibilityList,
)
from responsibility.progress import Span, Thresholds, item_state, periods_of
from tests.conftest import Tree

RANK = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}
REPEATING = [Period.MONTH, Period.QUARTER, Period.HALF, Period.YEAR]
SPANS_PER_YEAR = {Period.MONTH: 12, Period.QUARTER: 4, Period.HALF: 2, Period.YEAR: 1}

years = st.integers(min_value=2000, max_value=2100)


@st.composite
def items(draw: st.DrawFn) -> dict:
    """An item of any period and a small target, with records dated inside its year."""
    year = draw(years)
    period = draw(st.sampled_from([*REPEATING, Period.ONCE]))
    target = draw(st.integers(min_value=1, max_value=3))
    first, last = date(year, 1, 1), date(year, 12, 31)
    due_date = draw(st.dates(min_value=first, max_value=last)) if period == Period.ONCE else None
    occurred = draw(st.lists(st.dates(min_value=first, max_value=last), max_size=12))
    delays = draw(st.lists(st.integers(min_value=0, max_value=60), min_size=len(occurred), max_size=len(occurred)))
    records = [(day, day + timedelta(days=delay)) for day, delay in zip(occurred, delays, strict=True)]
    return {"year": year, "period": period, "target": target, "due_date": due_date, "records": records}


DEFAULT_THRESHOLDS = Thresholds()


def state(item: dict, today: date, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> progress.ItemState:
    return item_state(**item, today=today, thresholds=thresholds)


def counted_in(item: dict, span: Span) -> int:
    """Records that count for the span: a one-off counts every record of its year (late ones too)."""
    if item["period"] == Period.ONCE:
        return len(item["records"])
    return sum(1 for occurred_on, _submitted in item["records"] if occurred_on in span)


# periods_of ------------------------------------------------------------------


@given(year=years, period=st.sampled_from(REPEATING))
def test_periods_partition_the_year_without_gaps_or_overlaps(year: int, period: str) -> None:
    spans = periods_of(year, period)
    assert len(spans) == SPANS_PER_YEAR[period]
    assert spans[0].start == date(year, 1, 1)
    assert spans[-1].end == date(year, 12, 31)
    for earlier, later in itertools.pairwise(spans):
        assert later.start == earlier.end + timedelta(days=1)
    assert all(span.start <= span.end for span in spans)
    assert sum(span.days for span in spans) == (366 if calendar.isleap(year) else 365)


@given(year=years)
def test_february_ends_on_the_29th_in_leap_years(year: int) -> None:
    february = periods_of(year, Period.MONTH)[1]
    assert february.start == date(year, 2, 1)
    assert february.end == date(year, 2, 29 if calendar.isleap(year) else 28)
    assert (date(year, 2, 29) in february) if calendar.isleap(year) else True


def test_leap_day_falls_in_the_first_quarter_and_half() -> None:
    assert date(2024, 2, 29) in periods_of(2024, Period.QUARTER)[0]
    assert date(2024, 2, 29) in periods_of(2024, Period.HALF)[0]
    assert periods_of(2024, Period.YEAR)[0].days == 366


def test_a_one_off_runs_from_new_year_to_its_due_date() -> None:
    assert periods_of(2025, Period.ONCE, date(2025, 5, 20)) == [Span(date(2025, 1, 1), date(2025, 5, 20))]


def test_span_contains_only_dates_inside_it() -> None:
    span = Span(date(2025, 4, 1), date(2025, 4, 30))
    assert date(2025, 4, 1) in span
    assert date(2025, 4, 30) in span
    assert date(2025, 5, 1) not in span
    assert "2025-04-02" not in span


# item_state: properties ------------------------------------------------------


@given(item=items(), today=st.dates(min_value=date(1999, 6, 1), max_value=date(2101, 6, 1)))
def test_done_never_exceeds_required(item: dict, today: date) -> None:
    result = state(item, today)
    assert 0 <= result.done_total <= result.required_total
    spans = periods_of(item["year"], item["period"], item["due_date"])
    assert result.required_total == item["target"] * len(spans)
    assert result.late_periods + result.missed_periods <= len(spans)


@given(item=items(), data=st.data())
def test_a_period_met_by_a_late_record_is_late_and_never_missed(item: dict, data: st.DataObject) -> None:
    spans = periods_of(item["year"], item["period"], item["due_date"])
    span = data.draw(st.sampled_from(spans))
    # Exactly `target` records in this span, the last of them submitted after the span ended.
    occurred = data.draw(st.lists(st.dates(span.start, span.end), min_size=item["target"], max_size=item["target"]))
    records = [(day, day) for day in occurred[:-1]]
    records.append((occurred[-1], span.end + timedelta(days=data.draw(st.integers(1, 40)))))
    others = [(o, s) for o, s in item["records"] if o not in span]
    item = {**item, "records": records + others}
    today = data.draw(st.dates(span.end + timedelta(days=1), date(item["year"] + 1, 3, 1)))

    result = state(item, today)

    assert result.late_periods >= 1
    ended = [other for other in spans if other.end < today]
    unmet_ended = sum(1 for other in ended if counted_in(item, other) < item["target"])
    assert result.missed_periods == unmet_ended
    assert span in ended
    assert counted_in(item, span) >= item["target"]


@given(item=items(), data=st.data())
def test_an_unmet_ended_period_is_missed_and_turns_the_item_red(item: dict, data: st.DataObject) -> None:
    spans = periods_of(item["year"], item["period"], item["due_date"])
    span = data.draw(st.sampled_from(spans))
    assume(counted_in(item, span) < item["target"])
    today = data.draw(st.dates(span.end + timedelta(days=1), date(item["year"] + 1, 3, 1)))

    result = state(item, today)

    assert result.missed_periods >= 1
    assert result.warning == Light.RED
    assert result.next_due is not None


@given(item=items(), data=st.data())
def test_time_passing_in_an_unmet_period_never_makes_it_greener(item: dict, data: st.DataObject) -> None:
    year = item["year"]
    spans = periods_of(year, item["period"], item["due_date"])
    span = data.draw(st.sampled_from(spans))
    assume(counted_in(item, span) < item["target"])
    earlier = data.draw(st.dates(span.start, span.end))
    later = data.draw(st.dates(earlier, date(year + 1, 3, 1)))

    assert RANK[state(item, later).warning] >= RANK[state(item, earlier).warning]


@given(item=items(), data=st.data())
def test_meeting_the_current_period_with_nothing_missed_is_green(item: dict, data: st.DataObject) -> None:
    spans = periods_of(item["year"], item["period"], item["due_date"])
    index = data.draw(st.integers(0, len(spans) - 1))
    current = spans[index]
    today = data.draw(st.dates(current.start, current.end))
    # Every period up to and including the current one has its target, submitted on the day.
    records = [(span.start, span.start) for span in spans[: index + 1] for _ in range(item["target"])]
    item = {**item, "records": records}

    result = state(item, today)

    assert result.warning == Light.GREEN
    assert result.missed_periods == 0
    assert result.late_periods == 0
    assert result.period_done >= result.period_required == item["target"]
    following = spans[index + 1] if index + 1 < len(spans) else None
    assert result.next_due == (following.end if following else None)


@given(item=items())
def test_after_the_year_nothing_is_current(item: dict) -> None:
    result = state(item, date(item["year"] + 1, 1, 1))
    assert (result.period_required, result.period_done) == (0, 0)
    if not result.missed_periods:
        assert result.warning == Light.GREEN


# item_state: examples --------------------------------------------------------


def monthly(records: list[tuple[date, date]], today: date, target: int = 1, **kwargs: Any) -> progress.ItemState:
    return item_state(
        year=2025, period=Period.MONTH, target=target, due_date=None, records=records, today=today, **kwargs
    )


# January to March met on time, so that April's colour is April's alone.
FIRST_QUARTER_MET = [(date(2025, month, 5), date(2025, month, 5)) for month in (1, 2, 3) for _ in range(2)]


def test_thresholds_decide_when_an_unmet_period_turns_yellow_then_red() -> None:
    thresholds = Thresholds(yellow=0.3, red=0.6)
    # April has 30 days: on the 8th 8/30 of the time is used, on the 9th 0.3, on the 18th 0.6.
    colours = {
        day: monthly(FIRST_QUARTER_MET, date(2025, 4, day), thresholds=thresholds).warning for day in (8, 9, 17, 18)
    }
    assert colours == {8: Light.GREEN, 9: Light.YELLOW, 17: Light.YELLOW, 18: Light.RED}


def test_default_thresholds_are_half_and_four_fifths() -> None:
    assert monthly(FIRST_QUARTER_MET, date(2025, 4, 14)).warning == Light.GREEN
    assert monthly(FIRST_QUARTER_MET, date(2025, 4, 15)).warning == Light.YELLOW
    assert monthly(FIRST_QUARTER_MET, date(2025, 4, 24)).warning == Light.RED


def test_partial_progress_narrows_the_gap() -> None:
    # Target 2 in April, one done: on the 24th the time used is 0.8, the work 0.5, the gap 0.3.
    one_done = [*FIRST_QUARTER_MET, (date(2025, 4, 2), date(2025, 4, 2))]
    assert monthly(one_done, date(2025, 4, 24), target=2).warning == Light.GREEN
    assert monthly(FIRST_QUARTER_MET, date(2025, 4, 24), target=2).warning == Light.RED


def test_thresholds_come_from_settings(settings: Any) -> None:
    settings.RESPONSIBILITY_YELLOW_GAP = 0.2
    settings.RESPONSIBILITY_RED_GAP = 0.4
    assert Thresholds.from_settings() == Thresholds(yellow=0.2, red=0.4)


def test_a_late_completion_keeps_its_mark_but_is_not_missed() -> None:
    # March's meeting was held on 30 March but only recorded on 3 April.
    records = [(date(2025, month, 5), date(2025, month, 5)) for month in (1, 2)]
    records += [(date(2025, 3, 30), date(2025, 4, 3)), (date(2025, 4, 2), date(2025, 4, 2))]
    result = monthly(records, date(2025, 4, 20))
    assert (result.late_periods, result.missed_periods) == (1, 0)
    assert result.warning == Light.GREEN
    assert result.done_total == 4


def test_a_missed_month_stays_red_after_later_months_are_met() -> None:
    records = [(date(2025, month, 5), date(2025, month, 5)) for month in (1, 3, 4)]
    result = monthly(records, date(2025, 4, 20))
    assert result.missed_periods == 1
    assert result.warning == Light.RED
    assert result.next_due == date(2025, 2, 28)


def test_records_beyond_the_target_do_not_count_twice() -> None:
    records = [(date(2025, 1, day), date(2025, 1, day)) for day in (3, 4, 5)]
    result = monthly(records, date(2025, 1, 20))
    assert result.done_total == 1
    assert result.period_done == 3


def test_before_the_year_the_first_period_is_current_and_green() -> None:
    result = monthly([], date(2024, 12, 31))
    assert result.warning == Light.GREEN
    assert result.period_required == 1
    assert result.next_due == date(2025, 1, 31)


def test_a_one_off_done_in_time_is_green_and_not_late() -> None:
    result = item_state(
        year=2025,
        period=Period.ONCE,
        target=1,
        due_date=date(2025, 6, 30),
        records=[(date(2025, 6, 1), date(2025, 6, 1))],
        today=date(2025, 9, 1),
    )
    assert (result.warning, result.late_periods, result.missed_periods) == (Light.GREEN, 0, 0)


def test_a_one_off_done_after_its_due_date_counts_as_late() -> None:
    result = item_state(
        year=2025,
        period=Period.ONCE,
        target=1,
        due_date=date(2025, 6, 30),
        records=[(date(2025, 7, 10), date(2025, 7, 10))],
        today=date(2025, 9, 1),
    )
    assert (result.late_periods, result.missed_periods, result.done_total) == (1, 0, 1)
    assert result.warning == Light.GREEN


def test_a_one_off_past_its_due_date_without_a_record_is_red() -> None:
    result = item_state(
        year=2025, period=Period.ONCE, target=1, due_date=date(2025, 6, 30), records=[], today=date(2025, 7, 1)
    )
    assert (result.warning, result.missed_periods) == (Light.RED, 1)


# refresh_items / refresh_lists -----------------------------------------------


def record(item: ListItem, occurred_on: date, submitted_on: date | None = None, **kwargs: object) -> DutyRecord:
    """A record submitted at 10 o'clock on `submitted_on` (default: the day it happened)."""
    submitted = timezone.make_aware(datetime.combine(submitted_on or occurred_on, time(10)))
    secretary = User.objects.get(username="branch_secretary")
    return DutyRecord.objects.create(
        item=item,
        organization_id=item.list.organization_id,
        occurred_on=occurred_on,
        content="记实",
        done_by=secretary,
        created_by=secretary,
        submitted_at=submitted,
        **kwargs,
    )


def by_content(responsibility_list: ResponsibilityList) -> dict[str, ListItem]:
    return {item.content: item for item in responsibility_list.items.all()}


def test_refresh_stores_each_items_figures_and_the_lists_totals(january_list: ResponsibilityList, year: int) -> None:
    branch_list = january_list
    items = by_content(branch_list)
    monthly_item, quarterly = items["每月召开支委会"], items["每季度讲一次党课"]
    half, yearly = items["每半年开展一次组织生活会筹备"], items["每年走访联系党员两次"]
    for month in (1, 2, 4, 5):  # March is missed
        record(monthly_item, date(year, month, 10))
    record(quarterly, date(year, 3, 28), date(year, 4, 2))  # the first quarter met late
    record(half, date(year, 2, 1))
    record(yearly, date(year, 5, 1))
    record(yearly, date(year, 6, 1), status=DutyRecord.Status.RETURNED)

    changed = progress.refresh_items(branch_list.items.all(), today=date(year, 6, 14))

    assert changed == 4
    monthly_item.refresh_from_db()
    assert (monthly_item.warning, monthly_item.missed_periods, monthly_item.late_periods) == (Light.RED, 1, 0)
    assert (monthly_item.required_total, monthly_item.done_total) == (12, 4)
    assert (monthly_item.period_required, monthly_item.period_done) == (1, 0)
    assert monthly_item.next_due == date(year, 3, 31)
    assert monthly_item.state_date == date(year, 6, 14)
    quarterly.refresh_from_db()
    # Q2 is 75 days from 1 April; on 14 June 75/91 of it is used with nothing done.
    assert (quarterly.warning, quarterly.late_periods, quarterly.missed_periods) == (Light.RED, 1, 0)
    half.refresh_from_db()
    assert (half.warning, half.done_total, half.next_due) == (Light.GREEN, 1, date(year, 12, 31))
    yearly.refresh_from_db()
    # The returned record does not count: one of two done, under half the year gone.
    assert (yearly.warning, yearly.period_done, yearly.done_total) == (Light.GREEN, 1, 1)

    branch_list.refresh_from_db()
    assert (branch_list.red_items, branch_list.yellow_items, branch_list.green_items) == (2, 0, 2)
    assert branch_list.late_items == 2
    assert branch_list.warning == Light.RED
    assert branch_list.required_total == 12 + 4 + 2 + 2
    assert branch_list.done_total == 4 + 1 + 1 + 1
    assert branch_list.completion_rate == round(100 * 7 / 20)


def test_a_list_is_yellow_when_its_worst_item_is_yellow(january_list: ResponsibilityList, year: int) -> None:
    branch_list = january_list
    items = by_content(branch_list)
    for month in range(1, 5):
        record(items["每月召开支委会"], date(year, month, 10))
    record(items["每季度讲一次党课"], date(year, 2, 10))
    record(items["每半年开展一次组织生活会筹备"], date(year, 2, 10))
    # 20 May: the month is 20/31 used (yellow); Q2 is 50/91 used (yellow); the half and the year are fine.
    progress.refresh_items(branch_list.items.all(), today=date(year, 5, 20))
    branch_list.refresh_from_db()
    assert branch_list.warning == Light.YELLOW
    assert (branch_list.red_items, branch_list.yellow_items, branch_list.green_items) == (0, 2, 2)
    assert branch_list.late_items == 0


def test_refresh_accepts_ids_and_an_empty_list_costs_nothing(
    branch_list: ResponsibilityList, year: int, django_assert_num_queries: Any
) -> None:
    item = branch_list.items.first()
    assert item is not None
    assert progress.refresh_items([item.id], today=date(year, 1, 2)) == 1
    item.refresh_from_db()
    assert item.state_date == date(year, 1, 2)
    with django_assert_num_queries(0):
        progress.refresh_lists([])


def test_a_list_without_items_is_green_with_zero_totals(tree: Tree, people: SimpleNamespace, year: int) -> None:
    responsibility_list = ResponsibilityList.objects.create(
        organization=tree.direct_branch, year=year, warning=Light.RED, red_items=3, required_total=5
    )
    progress.refresh_lists([responsibility_list.id])
    responsibility_list.refresh_from_db()
    assert responsibility_list.warning == Light.GREEN
    assert (responsibility_list.red_items, responsibility_list.required_total) == (0, 0)


def _list_with_items(organization: object, year: int, count: int, category: Category) -> ResponsibilityList:
    responsibility_list = ResponsibilityList.objects.create(organization=organization, year=year)
    ListItem.objects.bulk_create(
        ListItem(
            list=responsibility_list,
            category=category,
            duty_type=DutyType.ORGANIZATION,
            content=f"条目{number}",
            target_period=REPEATING[number % 4],
            target_count=1 + number % 3,
            order=number,
        )
        for number in range(count)
    )
    for item in responsibility_list.items.all()[: count // 2]:
        record(item, date(year, 1, 5))
    return responsibility_list


def test_refresh_costs_the_same_queries_for_5_and_50_items(
    tree: Tree, people: SimpleNamespace, category: Category, year: int, django_assert_num_queries: Any
) -> None:
    small = _list_with_items(tree.branch, year, 5, category)
    large = _list_with_items(tree.branch_sibling, year, 50, category)
    today = date(year, 3, 1)

    with CaptureQueriesContext(connection) as small_queries:
        progress.refresh_items(small.items.all(), today=today)
    # Items id list, items, records, marks, the new marks' INSERT, one UPDATE … FROM VALUES; then the
    # list totals and their UPDATE.
    with django_assert_num_queries(len(small_queries)):
        progress.refresh_items(large.items.all(), today=today)
    assert len(small_queries) == 8
    # Again on the same day: every late period is already marked, so there is nothing to insert.
    with django_assert_num_queries(len(small_queries) - 1):
        progress.refresh_items(ListItem.objects.filter(list__in=[small, large]), today=today)

    large.refresh_from_db()
    assert large.red_items + large.yellow_items + large.green_items == 50


def test_refresh_stale_skips_fresh_items_and_closed_lists(branch_list: ResponsibilityList, year: int) -> None:
    today = date(year, 7, 1)
    progress.refresh_items(branch_list.items.all(), today=today - timedelta(days=1))
    assert progress.refresh_stale(today=today) == 4
    assert progress.refresh_stale(today=today) == 0
    assert set(branch_list.items.values_list("state_date", flat=True)) == {today}

    branch_list.closed_at = timezone.now()
    branch_list.save(update_fields=["closed_at"])
    assert progress.refresh_stale(today=today + timedelta(days=1)) == 0


def test_refresh_writes_every_item_across_batches_and_chunks(
    tree: Tree, people: SimpleNamespace, category: Category, year: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches and chunks so that a few dozen items cross both boundaries.
    monkeypatch.setattr(bulk, "WRITE_BATCH", 7)
    monkeypatch.setattr(progress, "REFRESH_CHUNK", 20)
    lists = [_list_with_items(organization, year, 30, category) for organization in (tree.branch, tree.branch_sibling)]
    today = date(year, 3, 1)

    assert progress.refresh_items(ListItem.objects.filter(list__in=lists), today=today) == 60

    assert not ListItem.objects.filter(list__in=lists).exclude(state_date=today).exists()
    for responsibility_list in lists:
        responsibility_list.refresh_from_db()
        items = list(responsibility_list.items.all())
        expected = [
            progress.item_state(
                year=year,
                period=item.target_period,
                target=item.target_count,
                due_date=item.due_date,
                records=[(r.occurred_on, timezone.localtime(r.submitted_at).date()) for r in item.records.all()],
                today=today,
            )
            for item in items
        ]
        assert [item.warning for item in items] == [state.warning for state in expected]
        assert [item.done_total for item in items] == [state.done_total for state in expected]
        assert [item.next_due for item in items] == [state.next_due for state in expected]
        assert responsibility_list.red_items == sum(state.warning == Light.RED for state in expected)
        assert responsibility_list.required_total == sum(state.required_total for state in expected)
