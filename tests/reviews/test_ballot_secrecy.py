"""民主测评 secrecy against every observer: what docs/architecture.md ("Ballot secrecy") promises, tested.

The codes page says nobody can find out who voted what. Each test takes one observer: the committee's
pages and exports, the administrator's site, the audit trail, notifications, a copy of the database
(every column and, on PostgreSQL, the system columns xmin, xmax and ctid; on SQLite the rowid), and the
logs of a real web server.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from notifications.models import Notification
from reviews import ballot_box, services
from reviews.models import (
    BallotBatch,
    BallotCode,
    BallotTally,
    Cycle,
    DutyReport,
    PendingBallot,
    Rating,
    SpentCode,
)
from tests.conftest import Tree
from tests.reviews.conftest import counted_after_window, make_codes

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")|(data-csrf=")[^"]+(")')


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return CSRF.sub(r"\1\2", response.content.decode())


def _workbook(client: Client, url: str) -> list[list[Any]]:
    response = client.get(url)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [
        [cell for cell in row if not (isinstance(cell, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", cell))]
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]


def committee_view(client: Client, cycle: Cycle, tree: Tree) -> dict[str, Any]:
    """Everything the cycle's committee can open about the ballots, at this moment."""
    report = DutyReport.objects.get(cycle=cycle, organization=tree.branch)
    pages = {
        name: _page(client, url)
        for name, url in {
            # The audit log first: opening the sheet below is itself recorded there, with its time.
            "audit": reverse("audit_log"),
            "codes": reverse("ballot_codes", args=[cycle.pk]),
            "sheet": reverse("ballot_sheet", args=[cycle.pk, tree.branch.pk, 1]),
            "cycle": reverse("cycle_detail", args=[cycle.pk]),
            "ranking": reverse("cycle_ranking", args=[cycle.pk]),
            "assess": reverse("report_assess", args=[report.pk]),
            "home": reverse("home"),
            "dashboard": reverse("dashboard"),
            "notifications": reverse("notifications"),
        }.items()
    }
    # The slips themselves (the page also counts its own printings, which the audit log records).
    pages["sheet"] = pages["sheet"].split('<ol class="slips"', 1)[1].split("</ol>", 1)[0]
    pages["export"] = _workbook(client, reverse("cycle_export", args=[cycle.pk]))
    pages["notification_rows"] = Notification.objects.count()
    return pages


@contextmanager
def undone() -> Iterator[None]:
    """Runs the block in a savepoint and rolls it back: the same starting state for another try."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def four_votes(people: SimpleNamespace, tree: Tree, open_cycle: Cycle) -> list[str]:
    """Ten codes for the branch, four used (the fifth vote completes a batch); returns the unused six."""
    codes = make_codes(open_cycle, tree.branch, 10, people)
    for code in codes[:4]:
        services.ballot_cast(code=code, rating=Rating.FAIR)
    return codes[4:]


def test_the_committee_sees_the_same_pages_and_exports_whatever_a_member_voted(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, four_votes: list[str]
) -> None:
    """Whoever handed out the slips reloads every page after a member votes: nothing tells the vote.

    The fifth vote completes a batch, so the ratings move from sealed boxes into the tally: even that
    moment changes nothing on the committee's side but the turnout."""
    client.force_login(people.committee_secretary)
    before = committee_view(client, open_cycle, tree)
    seen: dict[str, dict[str, Any]] = {}
    for rating in (Rating.GOOD, Rating.POOR):
        with undone():
            services.ballot_cast(code=four_votes[0], rating=rating, item_ratings={"政治建设": rating})
            assert not PendingBallot.objects.exists()
            seen[rating] = committee_view(client, open_cycle, tree)

    assert seen[Rating.GOOD] == seen[Rating.POOR]
    changed = {name for name in before if before[name] != seen[Rating.GOOD][name]}
    # Only the pages that show turnout change (4 → 5 voted), and the audit log by the sheet's printing;
    # the slips and the notifications not at all.
    assert changed <= {"codes", "cycle", "ranking", "assess", "export", "audit"}
    for name in ("sheet", "notifications", "notification_rows"):
        assert before[name] == seen[Rating.GOOD][name]


def test_while_the_window_is_open_the_committee_reads_turnout_only(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, four_votes: list[str]
) -> None:
    client.force_login(people.committee_secretary)
    report = DutyReport.objects.get(cycle=open_cycle, organization=tree.branch)

    codes = client.get(reverse("ballot_codes", args=[open_cycle.pk]))
    assess = client.get(reverse("report_assess", args=[report.pk]))
    ranking = client.get(reverse("cycle_ranking", args=[open_cycle.pk]))

    [branch] = [row for row in codes.context["rows"] if row.organization == tree.branch]
    assert (branch.standing.cast, branch.standing.issued, branch.standing.counts) == (4, 10, None)
    assert assess.context["assessment"].ballots.counts is None
    assert "已投票 4 张 / 测评码 10 个" in assess.content.decode()
    assert all(row.ballot_score is None for row in ranking.context["rows"])
    assert "测评中 · 已投 4 张" in ranking.content.decode()
    with pytest.raises(services.DomainError):
        services.ballot_counts(open_cycle)


def test_after_the_window_ratings_are_published_only_from_the_minimum_number_of_ballots(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    full = make_codes(open_cycle, tree.branch, 5, people)
    few = make_codes(open_cycle, tree.direct_branch, 4, people)
    for code in full:
        services.ballot_cast(code=code, rating=Rating.GOOD)
    for code in few:
        services.ballot_cast(code=code, rating=Rating.POOR)
    counted_after_window(open_cycle)  # the window closes
    client.force_login(people.committee_secretary)

    rows = {row.organization: row for row in client.get(reverse("ballot_codes", args=[open_cycle.pk])).context["rows"]}

    assert [count.count for count in rows[tree.branch].standing.counts] == [5, 0, 0, 0]
    assert rows[tree.direct_branch].standing.counts is None
    assert rows[tree.direct_branch].standing.cast == 4
    report = DutyReport.objects.get(cycle=open_cycle, organization=tree.direct_branch)
    page = client.get(reverse("report_assess", args=[report.pk])).content.decode()
    assert "有效票少于 5 张，各等次票数不公布" in page


def test_nothing_in_the_database_pairs_a_code_with_a_rating_after_the_votes(
    people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    """A copy of the whole database after ten votes, system columns included: no code, no code's row, no
    time and no order leads to a rating. Ratings exist only as counts per organization."""
    codes = make_codes(open_cycle, tree.branch, 12, people)
    system = _system_columns("reviews_ballotcode")
    ratings = [Rating.GOOD, Rating.POOR, Rating.FAIR, Rating.GOOD, Rating.AVERAGE] * 2
    for code, rating in zip(codes, ratings, strict=False):
        services.ballot_cast(code=code, rating=rating, item_ratings={"履职尽责": rating})

    # The codes' rows were never written nor locked by a vote: the same row versions as before.
    assert _system_columns("reviews_ballotcode") == system
    # No per-ballot row is left: both batches of five were counted and their boxes deleted.
    assert not PendingBallot.objects.exists()
    tally = BallotTally.objects.get(cycle=open_cycle, organization=tree.branch)
    assert tally.counts() == {"good": 4, "fair": 2, "average": 2, "poor": 2}
    assert tally.items == {"履职尽责": {"good": 4, "fair": 2, "average": 2, "poor": 2}}
    # What is kept of each spent code is a keyed digest in a table of its own: no code, no code id, no time.
    spent = list(SpentCode.objects.values_list("digest", flat=True))
    assert len(spent) == 10
    for code in codes:
        unkeyed = {hashlib.sha256(code.encode()).hexdigest(), hashlib.md5(code.encode()).hexdigest()}
        assert not unkeyed & set(spent)
        assert code not in str(list(SpentCode.objects.values_list()))
    for model in (SpentCode, PendingBallot, BallotTally):
        assert not [field.name for field in model._meta.concrete_fields if field.get_internal_type() == "DateTimeField"]
        assert not [field for field in model._meta.concrete_fields if field.related_model is BallotCode]
    # Nothing of a vote reaches the audit trail.
    assert not BallotCode.history.filter(history_type="~").exists()


def test_a_copy_of_the_database_mid_window_shows_sealed_boxes_that_do_not_tell_the_rating(
    people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    codes = make_codes(open_cycle, tree.branch, 4, people)
    for code, rating in zip(codes, [Rating.GOOD, Rating.POOR, Rating.GOOD, Rating.AVERAGE], strict=True):
        services.ballot_cast(
            code=code, rating=rating, item_ratings={"政治建设": rating} if rating == Rating.GOOD else {}
        )

    boxes = [bytes(box) for box in PendingBallot.objects.values_list("sealed", flat=True)]
    assert len(boxes) == 4
    assert len({len(box) for box in boxes}) == 1  # a 好 with an aspect is the size of a bare 一般
    assert len(set(boxes)) == 4  # two 好 seal differently
    for box in boxes:
        for word in (b"good", b"poor", b"average", "好".encode(), "政治建设".encode()):
            assert word not in box
    assert BallotTally.objects.get(cycle=open_cycle, organization=tree.branch).counts() == dict.fromkeys(
        Rating.values, 0
    )
    # Only the server's secret opens them.
    opened = sorted(
        ballot_box.unseal(box, cycle_id=open_cycle.pk, organization_id=tree.branch.pk).rating for box in boxes
    )
    assert opened == sorted([Rating.GOOD, Rating.POOR, Rating.GOOD, Rating.AVERAGE])


def test_a_sealed_box_opens_only_under_the_servers_key_and_for_its_own_organization(
    settings: Any, tree: Tree, open_cycle: Cycle
) -> None:
    box = ballot_box.seal(ballot_box.Vote(Rating.POOR), cycle_id=open_cycle.pk, organization_id=tree.branch.pk)
    with pytest.raises(ballot_box.BoxUnreadable):
        ballot_box.unseal(box, cycle_id=open_cycle.pk, organization_id=tree.branch_sibling.pk)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ballot_box.BoxUnreadable):
        ballot_box.unseal(box, cycle_id=open_cycle.pk, organization_id=tree.branch.pk)
    # A rotated key kept in SECRET_KEY_FALLBACKS loses no vote and frees no spent code.
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert ballot_box.unseal(box, cycle_id=open_cycle.pk, organization_id=tree.branch.pk).rating == Rating.POOR
    assert ballot_box.spent_digest("ABCDEFGHJK", old_key) in ballot_box.spent_digests("ABCDEFGHJK")


def test_a_code_spent_under_an_earlier_key_cannot_vote_again(
    settings: Any, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    [code] = make_codes(open_cycle, tree.branch, 1, people)
    services.ballot_cast(code=code, rating=Rating.GOOD)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "rotated-key-" + "y" * 40

    with pytest.raises(services.DomainError, match="该测评码已使用过"):
        services.ballot_cast(code=code, rating=Rating.POOR)


def _system_columns(table: str) -> list[tuple[Any, ...]]:
    """Each row's system columns: xmin, xmax and ctid on PostgreSQL, the rowid on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT id, xmin::text, xmax::text, ctid::text FROM {table} ORDER BY id")
        else:
            cursor.execute(f"SELECT id, rowid FROM {table} ORDER BY id")
        return list(cursor.fetchall())


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_on_postgresql_no_vote_leaves_its_transaction_id_on_a_code_or_a_tally_of_one(
    people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    """xmin pairs the rows one transaction wrote. A vote writes its spent digest and its sealed box together
    (unreadable without the key); the tally is written once per batch of five, never per ballot."""
    codes = make_codes(open_cycle, tree.branch, 6, people)
    for code in codes:
        services.ballot_cast(code=code, rating=Rating.GOOD)
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM reviews_spentcode")
        vote_transactions = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT xmin::text, xmax::text FROM reviews_ballotcode")
        code_rows = cursor.fetchall()
        cursor.execute("SELECT xmin::text FROM reviews_ballottally")
        tally_transactions = {row[0] for row in cursor.fetchall()}
    assert len(vote_transactions) == 6
    assert not {xmin for xmin, _xmax in code_rows} & vote_transactions
    assert not {xmax for _xmin, xmax in code_rows} & vote_transactions
    # The tally's last writer is the vote that completed the batch: it holds five votes, not one.
    assert len(tally_transactions & vote_transactions) <= 1
    assert BallotTally.objects.get(cycle=open_cycle, organization=tree.branch).good == 5


def test_no_admin_page_shows_or_changes_whether_a_code_was_used(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    [code] = make_codes(open_cycle, tree.branch, 1, people)
    services.ballot_cast(code=code, rating=Rating.GOOD)
    client.force_login(people.admin)
    ballot_code = BallotCode.objects.get(code=code)

    for model in (SpentCode, PendingBallot, BallotTally):
        assert model not in admin.site._registry
    changelist = client.get(reverse("admin:reviews_ballotcode_changelist"))
    change = client.post(reverse("admin:reviews_ballotcode_change", args=[ballot_code.pk]), {"voided_at": ""})
    delete = client.post(reverse("admin:reviews_ballotcode_delete", args=[ballot_code.pk]), {"post": "yes"})

    assert changelist.status_code == 200
    assert code not in changelist.content.decode()
    assert change.status_code == 403
    assert delete.status_code == 403
    assert SpentCode.objects.count() == 1
    with pytest.raises(services.DomainError, match="已使用过"):
        services.ballot_cast(code=code, rating=Rating.POOR)


def test_making_voiding_and_printing_codes_are_in_the_audit_log(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    [code] = make_codes(open_cycle, tree.branch, 1, people)
    client.force_login(people.committee_secretary)
    client.get(reverse("ballot_sheet", args=[open_cycle.pk, tree.branch.pk, 1]))
    services.ballot_code_void(cycle=open_cycle, code=code, reason="遗失", by=people.committee_secretary)

    page = client.get(reverse("audit_log")).content.decode()

    assert page.count("测评码批次") >= 2  # made, then printed
    assert "打印次数" in page
    assert "作废时间" in page
    assert BallotBatch.history.filter(history_type="+").get().history_user == people.committee_secretary


@pytest.fixture
def web_log(caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    caplog.set_level("DEBUG")
    return lambda: caplog.text


def test_the_products_own_logs_of_a_vote_hold_no_code(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, web_log: Callable[[], str]
) -> None:
    [code] = make_codes(open_cycle, tree.branch, 1, people)
    client.post("/vote/", {"step": "code", "code": code})
    client.post("/vote/", {"step": "cast", "code": code, "rating": Rating.GOOD})
    client.post("/vote/", {"step": "cast", "code": code, "rating": Rating.GOOD})  # replayed
    client.post("/vote/", {"step": "cast", "code": "ZZZZZZZZZZ", "rating": Rating.GOOD})  # guessed

    assert code not in web_log()
    assert code.lower() not in web_log().lower()
