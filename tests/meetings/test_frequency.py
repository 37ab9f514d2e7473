"""The frequency arithmetic of organizational life (property-tested): months, quarters, half-years and years,
a year that starts mid-year, and the nearest rule up the tree."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetings import progress, services
from meetings.models import FrequencyRule, MeetingKind
from responsibility.models import Light, Period
from responsibility.progress import periods_of

YEAR = 2026
PERIODS = [Period.MONTH, Period.QUARTER, Period.HALF, Period.YEAR]
days_of_year = st.integers(min_value=0, max_value=364).map(lambda offset: date(YEAR, 1, 1) + timedelta(days=offset))


def rule(period: str, count: int) -> progress.Rule:
    return progress.Rule(MeetingKind(code="x", name="x"), period, count, True, None)


@settings(max_examples=200, deadline=None)
@given(
    period=st.sampled_from(PERIODS),
    count=st.integers(min_value=1, max_value=3),
    held=st.lists(days_of_year, max_size=30),
    today=days_of_year,
    starts_on=st.one_of(st.none(), days_of_year),
)
def test_what_is_due_done_late_and_missed_adds_up(
    period: str, count: int, held: list[date], today: date, starts_on: date | None
) -> None:
    state = progress.kind_state(
        rule=rule(period, count), year=YEAR, held=[(day, day) for day in held], today=today, starts_on=starts_on
    )
    spans = [span for span in periods_of(YEAR, period) if starts_on is None or span.end >= starts_on]
    assert state.required_total == count * len(spans)
    assert 0 <= state.done_total <= state.required_total
    ended = [span for span in spans if span.end < today]
    # Recorded the day they were held, no meeting is late; a period that ended short is missed.
    assert state.late_periods == 0
    assert state.missed_periods == sum(
        1 for span in ended if sum(1 for day in held if span.start <= day <= span.end) < count
    )
    assert (state.warning == Light.RED) >= (state.missed_periods > 0)


@settings(max_examples=100, deadline=None)
@given(period=st.sampled_from(PERIODS), count=st.integers(min_value=1, max_value=3), delay=st.integers(1, 40))
def test_a_meeting_recorded_after_its_period_ended_makes_that_period_late_not_missed(
    period: str, count: int, delay: int
) -> None:
    spans = periods_of(YEAR, period)
    first = spans[0]
    held = [(first.start, first.end + timedelta(days=delay))] * count
    state = progress.kind_state(
        rule=rule(period, count), year=YEAR, held=held, today=first.end + timedelta(days=delay), starts_on=None
    )
    assert state.late_periods == 1
    assert first not in state.missed_spans


@settings(max_examples=100, deadline=None)
@given(period=st.sampled_from(PERIODS), starts_on=days_of_year)
def test_an_organization_set_up_mid_year_owes_nothing_before_it_existed(period: str, starts_on: date) -> None:
    state = progress.kind_state(
        rule=rule(period, 1), year=YEAR, held=[], today=date(YEAR, 12, 31) + timedelta(days=1), starts_on=starts_on
    )
    owed = [span for span in periods_of(YEAR, period) if span.end >= starts_on]
    assert state.missed_periods == len(owed)
    assert state.required_total == len(owed)


@pytest.mark.django_db
def test_the_nearest_rule_up_the_tree_wins(tree: Any, people: SimpleNamespace) -> None:
    lecture = MeetingKind.objects.get(code=MeetingKind.LECTURE)
    assert FrequencyRule.objects.get(organization=None, kind=lecture).period == Period.QUARTER
    services.rule_set(organization=tree.county, kind=lecture, by=people.admin, period=Period.HALF, count=1)
    services.rule_set(organization=tree.township, kind=lecture, by=people.committee_secretary, period="month", count=2)
    found = progress.rules_for([tree.branch, tree.sibling_branch, tree.unrelated_branch])

    def of(organization: Any) -> tuple[str, int]:
        match = next(item for item in found[organization.pk] if item.kind == lecture)
        return match.period, match.count

    assert of(tree.branch) == (Period.MONTH, 2)
    assert of(tree.sibling_branch) == (Period.HALF, 1)
    assert of(tree.unrelated_branch) == (Period.QUARTER, 1)
    services.rule_set(
        organization=tree.township, kind=lecture, by=people.committee_secretary, period="month", count=1, required=False
    )
    assert all(item.kind != lecture for item in progress.rules_for([tree.branch])[tree.branch.pk])
