"""The pieces of the province-scale benchmark (bench/), on the test database: the percentile
arithmetic, the load generator and the sign-in against a live server, and the tree strategies."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organization
from bench import tree_strategies
from bench.load import LoadError, percentile, run_load, sign_in
from tests.factories import UserFactory

PASSWORD = "Bench-pass-2026"


def test_percentiles_interpolate_between_the_closest_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10
    assert percentile(values, 50) == 25
    assert percentile(values, 100) == 40
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([7.0], 99) == 7
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def _host_port(live_server: Any) -> tuple[str, int]:
    host, port = live_server.url.removeprefix("http://").split(":")
    return host, int(port)


def test_the_load_generator_sends_exactly_the_requests_asked_and_times_each(live_server: Any) -> None:
    host, port = _host_port(live_server)

    result = run_load(host, port, "/healthz", requests=12, concurrency=3, warmup=2)

    assert len(result.latencies) == 12
    assert result.requests_per_second > 0
    figures = result.as_dict()
    assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert figures["errors"] == {}


def test_the_load_generator_refuses_to_report_a_page_that_does_not_answer_200(live_server: Any) -> None:
    host, port = _host_port(live_server)

    # Not signed in: the page redirects to the login page, which is not what was to be measured.
    with pytest.raises(LoadError, match="302"):
        run_load(host, port, "/dashboard/", requests=3, concurrency=1)


def test_signing_in_through_the_form_and_the_two_factor_step_gives_a_session_the_pages_accept(
    live_server: Any, transactional_db: None
) -> None:
    host, port = _host_port(live_server)
    person = UserFactory(username="bencher")
    person.set_password(PASSWORD)
    person.last_login = person.date_joined
    person.save()
    device = TOTPDevice.objects.create(user=person, name="authenticator", confirmed=True)

    with pytest.raises(LoadError, match="two-factor"):
        sign_in(host, port, "bencher", PASSWORD, scheme="http")
    session = sign_in(host, port, "bencher", PASSWORD, totp_key=device.key, scheme="http")

    result = run_load(host, port, "/password/", requests=4, concurrency=2, headers=session)
    assert len(result.latencies) == 4


@pytest.mark.parametrize("who", ["committee_secretary", "branch_secretary", "grantee", "admin", "outsider"])
def test_the_three_tree_strategies_see_the_same_organizations(people: Any, who: str) -> None:
    user = getattr(people, who)
    tree_strategies.tree_build()

    seen = {name: strategy(user) for name, strategy in tree_strategies.STRATEGIES.items()}

    assert seen["parent_walk"] == seen["ours"]
    assert seen["ancestors_column"] == seen["ours"]


def test_the_ancestors_column_is_written_as_ruoyi_writes_it(tree: Any) -> None:
    tree_strategies.tree_build()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ancestors FROM {tree_strategies.TABLE} WHERE id = %s", [tree.branch.pk])
        (ancestors,) = cursor.fetchone()

    assert ancestors == f"0,{tree.county.pk},{tree.township.pk},{tree.general.pk}"


def test_comparing_reports_each_strategy_and_the_size_of_the_answer(people: Any, tree: Any) -> None:
    tree_strategies.tree_build()

    figures = tree_strategies.compare(people.committee_secretary, repeat=1)

    township_subtree = Organization.objects.filter(path__startswith=tree.township.path).count()
    assert figures["visible"] == township_subtree
    assert set(figures["strategies"]) == {"ours", "parent_walk", "ancestors_column"}
