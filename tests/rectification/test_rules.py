"""The pure rules of 整改 and 督查 (rectification/rules.py), property by property."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectification import rules
from rectification.rules import Candidate, Escalation, Limits

SECTORS = ["rural", "community", "organ", ""]
DEADLINE = date(2025, 6, 30)


@st.composite
def candidate_lists(draw: st.DrawFn, min_size: int = 0, max_size: int = 30) -> list[Candidate]:
    """Organizations with distinct ids and distinct paths, in no particular order, across a few sectors."""
    size = draw(st.integers(min_value=min_size, max_value=max_size))
    ids = draw(st.lists(st.integers(min_value=1, max_value=100_000), min_size=size, max_size=size, unique=True))
    paths = draw(
        st.lists(
            st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=16),
            min_size=size,
            max_size=size,
            unique=True,
        )
    )
    sectors = draw(st.lists(st.sampled_from(SECTORS), min_size=size, max_size=size))
    return [Candidate(id=i, path=p, sector=s) for i, p, s in zip(ids, paths, sectors, strict=True)]


seeds = st.text(min_size=1, max_size=64)
sizes = st.integers(min_value=1, max_value=40)


@st.composite
def limits(draw: st.DrawFn) -> Limits:
    """Any configuration the settings accept: 0 < secretary_after <= committee_after."""
    secretary_after = draw(st.integers(min_value=1, max_value=60))
    committee_after = draw(st.integers(min_value=secretary_after, max_value=120))
    return Limits(
        secretary_after=secretary_after,
        committee_after=committee_after,
        weak_after=draw(st.integers(min_value=1, max_value=180)),
        weak_returns=draw(st.integers(min_value=1, max_value=5)),
    )


# 随机抽查 ---------------------------------------------------------------------


@given(st.data(), candidate_lists(), sizes, seeds, st.booleans())
def test_the_same_seed_over_the_same_candidates_in_any_order_draws_the_same(
    data: Any, candidates: list[Candidate], size: int, seed: str, per_sector: bool
) -> None:
    shuffled = data.draw(st.permutations(candidates))
    first = rules.draw(candidates, size=size, seed=seed, per_sector=per_sector)
    assert rules.draw(shuffled, size=size, seed=seed, per_sector=per_sector) == first
    assert rules.draw(list(reversed(candidates)), size=size, seed=seed, per_sector=per_sector) == first


@given(candidate_lists(), sizes, seeds)
def test_a_draw_returns_min_of_k_and_n_distinct_candidates(candidates: list[Candidate], size: int, seed: str) -> None:
    drawn = rules.draw(candidates, size=size, seed=seed)
    assert len(drawn) == min(size, len(candidates))
    assert len(set(drawn)) == len(drawn)
    assert set(drawn) <= {candidate.id for candidate in candidates}


@given(candidate_lists(), sizes, seeds)
def test_a_draw_per_sector_takes_min_of_k_and_the_group_from_every_sector(
    candidates: list[Candidate], size: int, seed: str
) -> None:
    drawn = rules.draw(candidates, size=size, seed=seed, per_sector=True)
    assert len(set(drawn)) == len(drawn)
    sector_of = {candidate.id: candidate.sector for candidate in candidates}
    groups = Counter(candidate.sector for candidate in candidates)
    drawn_per_sector = Counter(sector_of[organization] for organization in drawn)
    assert drawn_per_sector == Counter({sector: min(size, count) for sector, count in groups.items()})


@given(candidate_lists(min_size=2), seeds)
def test_a_draw_of_everyone_takes_every_candidate(candidates: list[Candidate], seed: str) -> None:
    drawn = rules.draw(candidates, size=len(candidates), seed=seed)
    assert sorted(drawn) == sorted(candidate.id for candidate in candidates)


def test_a_draw_from_nobody_is_empty() -> None:
    assert rules.draw([], size=3, seed="x") == []
    assert rules.draw([], size=3, seed="x", per_sector=True) == []


def test_different_seeds_usually_draw_differently() -> None:
    candidates = [Candidate(id=n, path=f"0001{n:04d}", sector="rural") for n in range(40)]
    draws = {tuple(rules.draw(candidates, size=5, seed=f"seed-{n}")) for n in range(50)}
    assert len(draws) > 45


DRAWS = 2000
POOL = 12
TAKEN = 3
# Expected 500 draws each; the binomial spread is about 19, so ±15% (75) is almost four spreads.
# The seeds are fixed, so the test is deterministic and never flakes.
TOLERANCE = 0.15


def test_over_many_seeds_every_candidate_is_drawn_about_equally_often() -> None:
    candidates = [Candidate(id=n, path=f"0001{n:04d}", sector="") for n in range(POOL)]
    counts = Counter(
        organization for n in range(DRAWS) for organization in rules.draw(candidates, size=TAKEN, seed=f"check-{n}")
    )
    expected = DRAWS * TAKEN / POOL
    assert set(counts) == {candidate.id for candidate in candidates}
    for organization, count in counts.items():
        assert abs(count - expected) <= expected * TOLERANCE, (organization, count, expected)


def test_over_many_seeds_a_draw_per_sector_is_even_within_each_sector() -> None:
    candidates = [Candidate(id=n, path=f"0001{n:04d}", sector="rural" if n < 8 else "community") for n in range(POOL)]
    counts = Counter(
        organization
        for n in range(DRAWS)
        for organization in rules.draw(candidates, size=2, seed=f"sector-{n}", per_sector=True)
    )
    for candidate in candidates:
        expected = DRAWS * 2 / (8 if candidate.sector == "rural" else 4)
        assert abs(counts[candidate.id] - expected) <= expected * TOLERANCE


# 逐级督办 ---------------------------------------------------------------------


@given(limits(), st.integers(min_value=-400, max_value=400), st.integers(min_value=0, max_value=400))
def test_escalation_never_falls_as_the_days_pass(limit: Limits, days: int, more: int) -> None:
    earlier = rules.escalation(deadline=DEADLINE, is_open=True, today=DEADLINE + timedelta(days=days), limits=limit)
    later = rules.escalation(
        deadline=DEADLINE, is_open=True, today=DEADLINE + timedelta(days=days + more), limits=limit
    )
    assert earlier <= later


@given(limits(), st.integers(min_value=-400, max_value=400))
def test_escalation_climbs_at_the_configured_days(limit: Limits, days: int) -> None:
    level = rules.escalation(deadline=DEADLINE, is_open=True, today=DEADLINE + timedelta(days=days), limits=limit)
    if days <= 0:
        assert level is Escalation.NONE
    elif days < limit.secretary_after:
        assert level is Escalation.RESPONSIBLE
    elif days < limit.committee_after:
        assert level is Escalation.SECRETARY
    else:
        assert level is Escalation.COMMITTEE


@given(limits(), st.integers(min_value=-400, max_value=400))
def test_a_closed_task_never_escalates(limit: Limits, days: int) -> None:
    today = DEADLINE + timedelta(days=days)
    assert rules.escalation(deadline=DEADLINE, is_open=False, today=today, limits=limit) is Escalation.NONE


def test_limits_come_from_settings(settings: Any) -> None:
    settings.RECTIFICATION_SECRETARY_AFTER_DAYS = 3
    settings.RECTIFICATION_COMMITTEE_AFTER_DAYS = 9
    settings.RECTIFICATION_WEAK_AFTER_DAYS = 40
    settings.RECTIFICATION_WEAK_RETURNS = 3
    assert Limits.from_settings() == Limits(secretary_after=3, committee_after=9, weak_after=40, weak_returns=3)


# 整改不力 ---------------------------------------------------------------------


@given(limits(), st.integers(min_value=-400, max_value=400), st.integers(min_value=0, max_value=10), st.booleans())
def test_weak_means_returned_too_often_or_open_too_long_past_the_deadline(
    limit: Limits, days: int, returned: int, is_open: bool
) -> None:
    weak = rules.is_weak(
        deadline=DEADLINE, is_open=is_open, returned=returned, today=DEADLINE + timedelta(days=days), limits=limit
    )
    assert weak == (returned >= limit.weak_returns or (is_open and days >= limit.weak_after))


@given(limits(), st.integers(min_value=0, max_value=400))
def test_weakness_never_goes_away_as_an_open_task_ages(limit: Limits, days: int) -> None:
    def weak(on: int) -> bool:
        today = DEADLINE + timedelta(days=on)
        return rules.is_weak(deadline=DEADLINE, is_open=True, returned=0, today=today, limits=limit)

    assert weak(days) <= weak(days + 1)


@pytest.mark.parametrize(
    ("returned", "overdue", "is_open", "weak"),
    [
        (2, 0, True, True),
        (2, 0, False, True),
        (1, 29, True, False),
        (1, 30, True, True),
        (1, 30, False, False),
        (0, -5, True, False),
    ],
)
def test_weak_with_the_default_limits(returned: int, overdue: int, is_open: bool, weak: bool) -> None:
    today = DEADLINE + timedelta(days=overdue)
    assert rules.is_weak(deadline=DEADLINE, is_open=is_open, returned=returned, today=today, limits=Limits()) is weak
