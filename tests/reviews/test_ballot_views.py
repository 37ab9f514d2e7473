"""民主测评 pages: the committee's codes and printable sheets, and public voting without signing in.

Why one long file: the codes' pages and the public vote are one secrecy promise tested from both sides,
sharing the cycle and code helpers at the top.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Organization
from reviews import services
from reviews.models import BallotBatch, BallotCode, Cycle, DutyReport, PendingBallot, Rating, SpentCode
from reviews.views.ballots import FAILED_ATTEMPTS_LIMIT, FAILED_ATTEMPTS_WINDOW, qr_svg
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import OrganizationFactory
from tests.reviews.conftest import counted_after_window, make_codes


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The guessing limit counts in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def codes_url(cycle: Cycle) -> str:
    return reverse("ballot_codes", args=[cycle.pk])


def sheet_url(cycle: Cycle, organization: Organization, batch: int = 1) -> str:
    return reverse("ballot_sheet", args=[cycle.pk, organization.pk, batch])


VOTE = "/vote/"
ROOT = Path(__file__).resolve().parents[2]


def open_ballot(client: Client, code: str, **extra: Any) -> Any:
    """Step one, as the page does it: the code posted in the body."""
    return client.post(VOTE, {"step": "code", "code": code}, **extra)


def cast(client: Client, code: str, rating: str = "", **fields: Any) -> Any:
    """Step two: the ballot, with its code in the body."""
    data = {"step": "cast", "code": code, **fields}
    if rating:
        data["rating"] = rating
    return client.post(VOTE, data)


def spent(cycle: Cycle) -> int:
    return SpentCode.objects.filter(cycle=cycle).count()


# 测评码 ----------------------------------------------------------------------


def test_committee_sees_members_codes_and_turnout_per_organization_but_no_ratings(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    codes = make_codes(open_cycle, tree.branch, 5, people)
    make_codes(open_cycle, tree.branch, 2, people)
    services.ballot_cast(code=codes[0], rating=Rating.GOOD)
    services.ballot_cast(code=codes[1], rating=Rating.POOR)

    response = signed_in(people.committee_secretary, client).get(codes_url(open_cycle))

    assert response.status_code == 200
    rows = {row.organization.name: row for row in response.context["rows"]}
    assert set(rows) == {tree.branch.name, tree.branch_sibling.name, tree.direct_branch.name}
    branch = rows[tree.branch.name]
    assert (branch.members, branch.issued, branch.standing.cast) == (5, 7, 2)
    assert not branch.standing.published
    assert [(batch.number, batch.count) for batch in branch.batches] == [(1, 5), (2, 2)]
    assert (rows[tree.direct_branch.name].issued, rows[tree.direct_branch.name].standing.cast) == (0, 0)
    assert response.context["totals"] == {"issued": 7, "cast": 2}
    page = response.content.decode()
    assert sheet_url(open_cycle, tree.branch, 2) in page
    assert "测评进行中，结束后公布" in page
    # Counts only: the page never lists the codes themselves, nor which batch they were spent from.
    assert codes[0] not in page
    assert "已用" not in page


def test_committee_generates_codes_up_to_the_members_on_record(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    response = signed_in(people.committee_deputy, client).post(
        codes_url(open_cycle), {"organization": tree.branch.pk, "count": "5"}, follow=True
    )

    assert response.redirect_chain == [(codes_url(open_cycle), 302)]
    assert BallotCode.objects.filter(cycle=open_cycle, organization=tree.branch, batch=1).count() == 5
    assert "已为一村党支部生成 5 个测评码（第 1 批）" in response.content.decode()
    batch = BallotBatch.objects.get()
    assert (batch.count, batch.reason, batch.created_by) == (5, "", people.committee_deputy)


def test_more_codes_than_members_need_a_reason_which_is_kept(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    client = signed_in(people.committee_secretary, client)

    refused = client.post(codes_url(open_cycle), {"organization": tree.branch.pk, "count": "500"})
    assert refused.status_code == 200
    assert "一村党支部 在册党员 5 人，已发放有效测评码 0 个，再生成 500 个将超过在册人数" in refused.content.decode()
    assert not BallotCode.objects.exists()

    accepted = client.post(
        codes_url(open_cycle),
        {"organization": tree.branch.pk, "count": "12", "reason": "邀请村民代表列席测评"},
        follow=True,
    )
    assert BallotCode.objects.count() == 12
    assert BallotBatch.objects.get().reason == "邀请村民代表列席测评"
    assert "邀请村民代表列席测评" in accepted.content.decode()


@pytest.mark.parametrize("count", ["0", "501", "-3", "abc", ""])
def test_bad_number_of_codes_is_refused_with_a_clear_message(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, count: str
) -> None:
    response = signed_in(people.committee_secretary, client).post(
        codes_url(open_cycle), {"organization": tree.branch.pk, "count": count, "reason": "列席"}
    )

    assert response.status_code == 200
    assert "测评码数量须在 1 到 500 之间。" in response.content.decode()
    assert not BallotCode.objects.exists()


def test_codes_cannot_be_made_for_an_organization_outside_the_cycle(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    response = signed_in(people.committee_secretary, client).post(
        codes_url(open_cycle), {"organization": tree.general.pk, "count": "3"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["organization"]
    assert not BallotCode.objects.exists()


def test_a_code_is_voided_with_a_reason_and_can_no_longer_vote(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    [code, other] = make_codes(open_cycle, tree.branch, 2, people)
    client = signed_in(people.committee_secretary, client)

    missing_reason = client.post(codes_url(open_cycle), {"action": "void", "code": code, "reason": ""})
    assert missing_reason.status_code == 200
    assert BallotCode.objects.get(code=code).voided_at is None

    client.post(codes_url(open_cycle), {"action": "void", "code": code.lower(), "reason": "测评票遗失"})
    voided = BallotCode.objects.get(code=code)
    assert (voided.void_reason, voided.voided_by) == ("测评票遗失", people.committee_secretary)
    assert voided.history.filter(history_type="~").get().history_user == people.committee_secretary

    refused = cast(Client(), code, Rating.GOOD)
    assert "该测评码已作废" in refused.content.decode()
    assert spent(open_cycle) == 0
    assert cast(Client(), other, Rating.GOOD).status_code == 302

    page = client.get(sheet_url(open_cycle, tree.branch)).content.decode()
    assert page.count('class="slip-used"') == 1
    assert "已作废" in page


def test_closed_cycle_shows_counts_but_makes_no_more_codes(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    make_codes(open_cycle, tree.branch, 3, people)
    services.cycle_close(cycle=open_cycle, by=people.committee_secretary, reasons=close_reasons(open_cycle))
    client = signed_in(people.committee_secretary, client)

    page = client.get(codes_url(open_cycle)).content.decode()
    response = client.post(codes_url(open_cycle), {"organization": tree.branch.pk, "count": "3"})

    assert "考核已结束，不能再生成或作废测评码。" in page
    assert 'name="count"' not in page
    assert "考核已结束。" in response.content.decode()
    assert BallotCode.objects.count() == 3


def close_reasons(cycle: Cycle) -> dict[str, str]:
    return {gap.key: "测试：提前结束" for gap in services.closing_gaps(cycle) if gap.needs_reason}


@pytest.mark.parametrize(
    "who", ["committee_secretary", "committee_deputy", "committee_member", "committee_staff", "admin"]
)
def test_committee_leaders_and_administrators_may_manage_ballots(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, who: str
) -> None:
    make_codes(open_cycle, tree.branch, 1, people)
    client = signed_in(getattr(people, who), client)

    assert client.get(codes_url(open_cycle)).status_code == 200
    assert client.get(sheet_url(open_cycle, tree.branch)).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [
        # They see the committee but do not keep its work.
        ("grantee", 403),
        ("committee_party_member", 403),
        # The committee is outside their sight.
        ("branch_secretary", 404),
        ("branch_member", 404),
        ("outsider", 404),
    ],
)
def test_others_may_not_see_codes_or_sheets(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, who: str, status: int
) -> None:
    make_codes(open_cycle, tree.branch, 1, people)
    client = signed_in(getattr(people, who), client)

    assert client.get(codes_url(open_cycle)).status_code == status
    assert client.post(codes_url(open_cycle), {"organization": tree.branch.pk, "count": "5"}).status_code == status
    assert client.get(sheet_url(open_cycle, tree.branch)).status_code == status
    assert BallotCode.objects.count() == 1
    assert BallotBatch.objects.get().printed_count == 0


def test_the_ballot_services_refuse_anyone_but_the_cycles_committee(
    people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    [code] = make_codes(open_cycle, tree.branch, 1, people)
    for outsider in (people.grantee, people.branch_secretary, people.outsider):
        with pytest.raises(services.DomainError, match="只有组织本次考核的党组织可以办理测评码"):
            services.ballot_codes_generate(cycle=open_cycle, organization=tree.branch, count=1, by=outsider)
        with pytest.raises(services.DomainError, match="只有组织本次考核的党组织可以办理测评码"):
            services.ballot_code_void(cycle=open_cycle, code=code, reason="x", by=outsider)
    assert BallotCode.objects.count() == 1


def test_sibling_committee_cannot_see_the_cycle_ballots(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    from accounts import services as account_services
    from tests.factories import UserFactory

    sibling_secretary = UserFactory(username="sibling_secretary")
    account_services.position_assign(person=sibling_secretary, organization=tree.sibling_township, role="secretary")

    assert signed_in(sibling_secretary, client).get(codes_url(open_cycle)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, tree: Tree, open_cycle: Cycle) -> None:
    response = client.get(codes_url(open_cycle))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def _add_participant(cycle: Cycle, index: int) -> Organization:
    branch = OrganizationFactory(parent=cycle.organization, code=f"{cycle.organization.code}-N{index}")
    DutyReport.objects.create(cycle=cycle, organization=branch)
    return branch


def test_codes_page_query_count_does_not_grow_with_organizations_codes_or_ballots(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, django_assert_num_queries: Any
) -> None:
    client = signed_in(people.committee_secretary, client)
    make_codes(open_cycle, tree.branch, 1, people)
    client.get(codes_url(open_cycle))  # warm the session
    # Members on record are two of them: positions, and the roll (党员名册) where a branch keeps one.
    with django_assert_num_queries(13):
        small = client.get(codes_url(open_cycle))

    for index in range(6):
        organization = _add_participant(open_cycle, index)
        make_codes(open_cycle, organization, 4, people)
        make_codes(open_cycle, organization, 2, people)
    for code in make_codes(open_cycle, tree.branch, 5, people):
        services.ballot_cast(code=code, rating=Rating.FAIR)
    with django_assert_num_queries(13):
        large = client.get(codes_url(open_cycle))

    assert len(large.context["rows"]) == len(small.context["rows"]) + 6


# 打印测评票 -------------------------------------------------------------------


def test_sheet_shows_a_slip_per_code_with_the_code_and_a_qr_code_that_keeps_it_out_of_the_url(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    codes = make_codes(open_cycle, tree.branch, 3, people)

    response = signed_in(people.committee_secretary, client).get(sheet_url(open_cycle, tree.branch))

    assert response.status_code == 200
    page = response.content.decode()
    assert open_cycle.title in page
    assert tree.branch.name in page
    assert "http://testserver/vote/" in page
    for code in codes:
        # The QR code opens the voting page with the code after "#": browsers never send that part.
        url = f"http://testserver{VOTE}#{code}"
        assert f"{code[:5]} {code[5:]}" in page
        # The QR code is drawn here, as SVG in the page: no image service, no script.
        assert str(qr_svg(url)) in page
        assert f"/vote/{code}" not in page
    assert page.count("<svg") == 3
    assert "<script" not in page.split("</header>", 1)[1]
    assert 'class="slips"' in page


def test_sheet_reads_the_same_before_and_after_members_vote_and_each_printing_is_recorded(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    codes = make_codes(open_cycle, tree.branch, 3, people)
    client = signed_in(people.committee_secretary, client)

    before = client.get(sheet_url(open_cycle, tree.branch)).content.decode()
    services.ballot_cast(code=codes[1], rating=Rating.GOOD)
    after = client.get(sheet_url(open_cycle, tree.branch)).content.decode()

    def slips(page: str) -> str:
        return page.split('<ol class="slips"', 1)[1].split("</ol>", 1)[0]

    assert slips(before) == slips(after)
    assert "已使用" not in after
    batch = BallotBatch.objects.get()
    assert batch.printed_count == 2
    printings = batch.history.filter(history_type="~")
    assert [row.history_user for row in printings] == [people.committee_secretary] * 2


def test_sheet_of_an_unknown_batch_or_another_cycles_organization_is_not_found(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    make_codes(open_cycle, tree.branch, 2, people)
    client = signed_in(people.committee_secretary, client)

    assert client.get(sheet_url(open_cycle, tree.branch, 2)).status_code == 404
    assert client.get(sheet_url(open_cycle, tree.branch_sibling, 1)).status_code == 404
    assert client.get(sheet_url(open_cycle, tree.unrelated_branch, 1)).status_code == 404


def test_sheet_query_count_does_not_grow_with_the_batch(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, django_assert_num_queries: Any
) -> None:
    client = signed_in(people.committee_secretary, client)
    make_codes(open_cycle, tree.branch, 2, people)
    make_codes(open_cycle, tree.branch_sibling, 30, people)
    client.get(sheet_url(open_cycle, tree.branch))
    with django_assert_num_queries(12):
        client.get(sheet_url(open_cycle, tree.branch))
    with django_assert_num_queries(12):
        response = client.get(sheet_url(open_cycle, tree.branch_sibling))
    assert len(response.context["slips"]) == 30


# 投票 ------------------------------------------------------------------------


@pytest.fixture
def code(people: SimpleNamespace, tree: Tree, open_cycle: Cycle) -> str:
    return make_codes(open_cycle, tree.branch, 1, people)[0]


def test_voter_types_the_code_with_spaces_and_lower_case_and_gets_the_ballot(client: Client, code: str) -> None:
    typed = f" {code[:5].lower()} {code[5:]} "

    response = open_ballot(client, typed)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="code" value="{code}"' in page
    assert 'name="rating"' in page


def test_the_voting_page_has_no_code_in_its_address_and_reads_it_from_the_fragment(client: Client) -> None:
    page = client.get(VOTE).content.decode()

    assert 'id="vote-code-form"' in page
    assert 'action="/vote/"' in page
    assert "/static/js/app" in page
    script = (ROOT / "static" / "js" / "app.js").read_text()
    assert "window.location.hash" in script
    assert "history.replaceState" in script


def test_a_mistyped_code_is_refused_on_the_code_page(client: Client, code: str) -> None:
    response = open_ballot(client, "ZZZZZZZZZZ")

    assert response.status_code == 200
    assert "测评码无效，请核对后重新输入。" in response.content.decode()


def test_ballot_shows_the_cycle_the_organization_and_its_secretary(
    client: Client, code: str, tree: Tree, open_cycle: Cycle
) -> None:
    response = open_ballot(client, code)

    assert response.status_code == 200
    page = response.content.decode()
    assert open_cycle.title in page
    assert tree.branch.name in page
    assert "branch_secretary" in page
    for label in ("好", "较好", "一般", "差", "政治建设", "履职尽责", "作风形象", "联系群众"):
        assert label in page
    assert page.count('type="radio"') == 4 * 5
    assert "csrfmiddlewaretoken" in page


def test_voter_casts_once_and_sees_thanks_that_reveal_nothing(
    client: Client, code: str, tree: Tree, open_cycle: Cycle
) -> None:
    response = cast(client, code.lower(), Rating.FAIR, aspect_political=Rating.GOOD, aspect_masses="")

    assert response.status_code == 302
    assert response["Location"] == reverse("vote_done")
    assert spent(open_cycle) == 1
    done = client.get(reverse("vote_done")).content.decode()
    assert "谢谢" in done
    for revealing in (code, tree.branch.name, open_cycle.title, "较好"):
        assert revealing not in done
    with pytest.raises(services.DomainError):
        services.ballot_counts(open_cycle)  # the window is open: nobody may read the ratings yet
    assert counted_after_window(open_cycle) == {tree.branch.pk: {Rating.FAIR: 1}}


def test_voting_needs_no_sign_in_and_leaves_no_session(client: Client, code: str, open_cycle: Cycle) -> None:
    client.get(VOTE)
    open_ballot(client, code)
    cast(client, code, Rating.GOOD)
    client.get(reverse("vote_done"))

    assert spent(open_cycle) == 1
    assert "sessionid" not in client.cookies
    assert not Session.objects.exists()


def test_a_ballot_without_a_rating_is_refused_and_the_code_kept(client: Client, code: str, open_cycle: Cycle) -> None:
    response = cast(client, code, aspect_duty=Rating.GOOD)

    assert response.status_code == 200
    assert "请选择评价：好、较好、一般或差。" in response.content.decode()
    assert spent(open_cycle) == 0
    assert not PendingBallot.objects.exists()


def test_a_used_code_cannot_vote_again_and_only_casting_tells(
    client: Client, code: str, tree: Tree, open_cycle: Cycle
) -> None:
    cast(client, code, Rating.GOOD)

    shown = open_ballot(client, code)
    posted = cast(client, code, Rating.POOR)

    # Opening the ballot looks the same for a used code: whoever holds the printed sheet cannot probe it.
    assert 'name="rating"' in shown.content.decode()
    assert "该测评码已使用过，每个测评码只能投票一次。" in posted.content.decode()
    assert counted_after_window(open_cycle) == {tree.branch.pk: {Rating.GOOD: 1}}


def test_a_forged_code_is_refused_and_nothing_is_counted(client: Client, code: str, open_cycle: Cycle) -> None:
    shown = open_ballot(client, "ABCDEFGHJK")
    posted = cast(client, "ABCDEFGHJK", Rating.POOR)

    assert "测评码无效，请核对后重新输入。" in shown.content.decode()
    assert "测评码无效，请核对后重新输入。" in posted.content.decode()
    assert spent(open_cycle) == 0


def test_a_code_before_the_ballot_window_is_refused_saying_when_it_opens(
    client: Client, code: str, open_cycle: Cycle
) -> None:
    opens = timezone.localdate() + timedelta(days=1)
    Cycle.objects.filter(pk=open_cycle.pk).update(ballot_opens=opens)

    shown = open_ballot(client, code)
    posted = cast(client, code, Rating.GOOD)

    for response in (shown, posted):
        assert f"民主测评尚未开始，开始日期为 {opens.isoformat()}。" in response.content.decode()
    assert spent(open_cycle) == 0


def test_a_code_after_the_ballot_window_is_refused_saying_plainly_that_it_has_closed(
    client: Client, code: str, open_cycle: Cycle
) -> None:
    closed = timezone.localdate() - timedelta(days=1)
    Cycle.objects.filter(pk=open_cycle.pk).update(ballot_closes=closed)

    shown = open_ballot(client, code)
    posted = cast(client, code, Rating.GOOD)

    for response in (shown, posted):
        assert f"民主测评已于 {closed.isoformat()} 结束，不能再投票。" in response.content.decode()
    assert spent(open_cycle) == 0


def test_a_code_of_a_closed_cycle_is_refused(
    client: Client, code: str, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    services.cycle_close(cycle=open_cycle, by=people.committee_secretary, reasons=close_reasons(open_cycle))

    shown = open_ballot(client, code)
    posted = cast(client, code, Rating.GOOD)

    assert "本次考核已结束，民主测评已关闭，不能再投票。" in shown.content.decode()
    assert "本次考核已结束，民主测评已关闭，不能再投票。" in posted.content.decode()
    assert spent(open_cycle) == 0


def test_voting_is_csrf_protected_and_works_for_anonymous_voters(code: str, open_cycle: Cycle) -> None:
    client = Client(enforce_csrf_checks=True)

    refused = client.post(VOTE, {"step": "cast", "code": code, "rating": Rating.GOOD})
    page = client.get(VOTE).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match is not None
    accepted = client.post(
        VOTE, {"step": "cast", "code": code, "rating": Rating.GOOD, "csrfmiddlewaretoken": match.group(1)}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert spent(open_cycle) == 1


def test_a_signed_in_person_votes_like_anyone_else(
    client: Client, code: str, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    response = cast(signed_in(people.branch_member, client), code, Rating.AVERAGE)

    assert response.status_code == 302
    assert counted_after_window(open_cycle) == {tree.branch.pk: {Rating.AVERAGE: 1}}


# 防猜码 ----------------------------------------------------------------------


def test_too_many_wrong_codes_from_one_address_are_stopped(client: Client, code: str, open_cycle: Cycle) -> None:
    for attempt in range(FAILED_ATTEMPTS_LIMIT):
        forged = f"WRONG{attempt:05d}"
        assert open_ballot(client, forged).status_code == 200

    typed = open_ballot(client, code)
    posted = cast(client, code, Rating.GOOD)

    for response in (typed, posted):
        assert response.status_code == 429
        assert "输入错误的测评码次数过多，请 10 分钟后再试。" in response.content.decode()
    assert spent(open_cycle) == 0


def test_wrong_codes_on_the_ballot_count_toward_the_limit(client: Client, code: str, open_cycle: Cycle) -> None:
    for attempt in range(FAILED_ATTEMPTS_LIMIT):
        cast(client, f"WRONG{attempt:05d}", Rating.GOOD)

    assert cast(client, code, Rating.GOOD).status_code == 429
    assert spent(open_cycle) == 0


def test_the_limit_is_per_client_address_behind_a_trusted_proxy(client: Client, code: str, settings: Any) -> None:
    settings.TRUST_X_FORWARDED_FOR = True
    behind_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for attempt in range(FAILED_ATTEMPTS_LIMIT):
        open_ballot(client, f"WRONG{attempt:05d}", HTTP_X_FORWARDED_FOR="203.0.113.7", **behind_proxy)

    blocked = open_ballot(client, code, HTTP_X_FORWARDED_FOR="203.0.113.7", **behind_proxy)
    # A client cannot escape by sending its own X-Forwarded-For: the proxy appends the address it saw.
    spoofed = open_ballot(client, code, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7", **behind_proxy)
    other = open_ballot(client, code, HTTP_X_FORWARDED_FOR="203.0.113.8", **behind_proxy)

    assert blocked.status_code == spoofed.status_code == 429
    assert other.status_code == 200


def test_without_a_trusted_proxy_a_forged_forwarded_header_does_not_escape_the_limit(
    client: Client, code: str, settings: Any
) -> None:
    settings.TRUST_X_FORWARDED_FOR = False
    for attempt in range(FAILED_ATTEMPTS_LIMIT):
        open_ballot(client, f"WRONG{attempt:05d}", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")

    assert open_ballot(client, code, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_mistakes_below_the_limit_and_a_rating_left_out_do_not_block(client: Client, code: str) -> None:
    for attempt in range(FAILED_ATTEMPTS_LIMIT - 1):
        open_ballot(client, f"WRONG{attempt:05d}")
    for _attempt in range(5):
        cast(client, code)

    assert cast(client, code, Rating.GOOD).status_code == 302


def test_the_limit_lifts_after_ten_minutes(client: Client, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for attempt in range(FAILED_ATTEMPTS_LIMIT):
        open_ballot(client, f"WRONG{attempt:05d}")
    assert open_ballot(client, code).status_code == 429

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + FAILED_ATTEMPTS_WINDOW + 1)

    assert open_ballot(client, code).status_code == 200


hostile = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "好" * 10_001, "good", "GOOD", "poor ", "excellent", "1", "<script>"]),
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    step=st.sampled_from(["code", "cast", "", "other"]),
    rating=hostile,
    aspect=hostile,
    mangle=st.sampled_from(["keep", "lower", "drop", "hostile"]),
    junk=hostile,
)
def test_the_vote_survives_hostile_input_and_counts_only_a_valid_ballot(
    code: str, open_cycle: Cycle, step: str, rating: str, aspect: str, mangle: str, junk: str
) -> None:
    cache.clear()
    sent = {"keep": code, "lower": code.lower(), "drop": None, "hostile": junk}[mangle]
    data = {"step": step, "rating": rating, "aspect_duty": aspect}
    if sent is not None:
        data["code"] = sent
    with transaction.atomic():
        response = Client().post(VOTE, data)
        assert response.status_code < 500
        valid = (
            step == "cast"
            and mangle in ("keep", "lower")
            and rating in Rating.values
            and aspect in ("", *Rating.values)
        )
        assert spent(open_cycle) == (1 if valid else 0)
        transaction.set_rollback(True)
