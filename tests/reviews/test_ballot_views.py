"""民主测评 pages: the committee's codes and printable sheets, and public voting without signing in."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from reviews import services
from reviews.models import Ballot, BallotCode, Cycle, DutyReport, Rating
from reviews.views.ballots import FAILED_ATTEMPTS_LIMIT, FAILED_ATTEMPTS_WINDOW, qr_svg
from tests.conftest import Tree
from tests.factories import OrganizationFactory


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The guessing limit counts in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def codes_url(cycle: Cycle) -> str:
    return reverse("ballot_codes", args=[cycle.pk])


def sheet_url(cycle: Cycle, organization: Organization, batch: int = 1) -> str:
    return reverse("ballot_sheet", args=[cycle.pk, organization.pk, batch])


def vote_url(code: str) -> str:
    return reverse("vote_with_code", args=[code])


def make_codes(cycle: Cycle, organization: Organization, count: int, people: SimpleNamespace) -> list[str]:
    created = services.ballot_codes_generate(
        cycle=cycle, organization=organization, count=count, by=people.committee_secretary
    )
    return [ballot_code.code for ballot_code in created]


# 测评码 ----------------------------------------------------------------------


def test_committee_sees_codes_issued_used_and_ballots_cast_per_organization(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    codes = make_codes(open_cycle, tree.branch, 5, people)
    make_codes(open_cycle, tree.branch, 2, people)
    services.ballot_cast(code=codes[0], rating=Rating.GOOD)
    services.ballot_cast(code=codes[1], rating=Rating.POOR)

    response = signed_in(client, people.committee_secretary).get(codes_url(open_cycle))

    assert response.status_code == 200
    rows = {row.organization.name: row for row in response.context["rows"]}
    assert set(rows) == {tree.branch.name, tree.branch_sibling.name, tree.direct_branch.name}
    branch = rows[tree.branch.name]
    assert (branch.issued, branch.used, branch.cast) == (7, 2, 2)
    assert [(batch.number, batch.issued, batch.used) for batch in branch.batches] == [(1, 5, 2), (2, 2, 0)]
    assert (rows[tree.direct_branch.name].issued, rows[tree.direct_branch.name].cast) == (0, 0)
    assert response.context["totals"] == {"issued": 7, "used": 2, "cast": 2}
    page = response.content.decode()
    assert sheet_url(open_cycle, tree.branch, 2) in page
    # Counts only: the page never lists the codes themselves.
    assert codes[0] not in page


def test_committee_generates_codes_for_a_participating_organization(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    response = signed_in(client, people.committee_deputy).post(
        codes_url(open_cycle), {"organization": tree.direct_branch.pk, "count": "12"}, follow=True
    )

    assert response.redirect_chain == [(codes_url(open_cycle), 302)]
    assert BallotCode.objects.filter(cycle=open_cycle, organization=tree.direct_branch, batch=1).count() == 12
    assert "已为三村党支部生成 12 个测评码（第 1 批）" in response.content.decode()


@pytest.mark.parametrize("count", ["0", "501", "-3", "abc", ""])
def test_bad_number_of_codes_is_refused_with_a_clear_message(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, count: str
) -> None:
    response = signed_in(client, people.committee_secretary).post(
        codes_url(open_cycle), {"organization": tree.branch.pk, "count": count}
    )

    assert response.status_code == 200
    assert "测评码数量须在 1 到 500 之间。" in response.content.decode()
    assert not BallotCode.objects.exists()


def test_codes_cannot_be_made_for_an_organization_outside_the_cycle(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    response = signed_in(client, people.committee_secretary).post(
        codes_url(open_cycle), {"organization": tree.general.pk, "count": "3"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["organization"]
    assert not BallotCode.objects.exists()


def test_closed_cycle_shows_counts_but_makes_no_more_codes(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    make_codes(open_cycle, tree.branch, 3, people)
    services.cycle_close(cycle=open_cycle, by=people.committee_secretary)
    client = signed_in(client, people.committee_secretary)

    page = client.get(codes_url(open_cycle)).content.decode()
    response = client.post(codes_url(open_cycle), {"organization": tree.branch.pk, "count": "3"})

    assert "考核已结束，不能再生成测评码。" in page
    assert 'name="count"' not in page
    assert "考核已结束。" in response.content.decode()
    assert BallotCode.objects.count() == 3


@pytest.mark.parametrize(
    "who", ["committee_secretary", "committee_deputy", "committee_member", "committee_staff", "admin"]
)
def test_committee_leaders_and_administrators_may_manage_ballots(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, who: str
) -> None:
    make_codes(open_cycle, tree.branch, 1, people)
    client = signed_in(client, getattr(people, who))

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
    client = signed_in(client, getattr(people, who))

    assert client.get(codes_url(open_cycle)).status_code == status
    assert client.post(codes_url(open_cycle), {"organization": tree.branch.pk, "count": "5"}).status_code == status
    assert client.get(sheet_url(open_cycle, tree.branch)).status_code == status
    assert BallotCode.objects.count() == 1


def test_sibling_committee_cannot_see_the_cycle_ballots(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    from accounts import services as account_services
    from tests.factories import UserFactory

    sibling_secretary = UserFactory(username="sibling_secretary")
    account_services.position_assign(person=sibling_secretary, organization=tree.sibling_township, role="secretary")

    assert signed_in(client, sibling_secretary).get(codes_url(open_cycle)).status_code == 404


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
    client = signed_in(client, people.committee_secretary)
    make_codes(open_cycle, tree.branch, 1, people)
    client.get(codes_url(open_cycle))  # warm the session
    with django_assert_num_queries(9):
        small = client.get(codes_url(open_cycle))

    for index in range(6):
        organization = _add_participant(open_cycle, index)
        make_codes(open_cycle, organization, 4, people)
        make_codes(open_cycle, organization, 2, people)
    for code in make_codes(open_cycle, tree.branch, 5, people):
        services.ballot_cast(code=code, rating=Rating.FAIR)
    with django_assert_num_queries(9):
        large = client.get(codes_url(open_cycle))

    assert len(large.context["rows"]) == len(small.context["rows"]) + 6


# 打印测评票 -------------------------------------------------------------------


def test_sheet_shows_a_slip_per_code_with_link_code_and_inline_qr(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    codes = make_codes(open_cycle, tree.branch, 3, people)

    response = signed_in(client, people.committee_secretary).get(sheet_url(open_cycle, tree.branch))

    assert response.status_code == 200
    page = response.content.decode()
    assert open_cycle.title in page
    assert tree.branch.name in page
    for code in codes:
        url = f"http://testserver{vote_url(code)}"
        assert url in page
        assert f"{code[:5]} {code[5:]}" in page
        # The QR code is drawn here, as SVG in the page: no image service, no script.
        assert str(qr_svg(url)) in page
    assert page.count("<svg") == 3
    assert "<script" not in page.split("</header>", 1)[1]
    assert 'class="slips"' in page


def test_sheet_marks_used_codes_and_draws_no_qr_for_them(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    codes = make_codes(open_cycle, tree.branch, 3, people)
    services.ballot_cast(code=codes[1], rating=Rating.GOOD)

    response = signed_in(client, people.committee_secretary).get(sheet_url(open_cycle, tree.branch))

    page = response.content.decode()
    slips = response.context["slips"]
    assert [slip.is_used for slip in slips] == [code == codes[1] for code in sorted(codes)]
    assert page.count('class="slip-used"') == 1
    assert "已使用" in page
    assert page.count("<svg") == 2


def test_sheet_of_an_unknown_batch_or_another_cycles_organization_is_not_found(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle
) -> None:
    make_codes(open_cycle, tree.branch, 2, people)
    client = signed_in(client, people.committee_secretary)

    assert client.get(sheet_url(open_cycle, tree.branch, 2)).status_code == 404
    assert client.get(sheet_url(open_cycle, tree.branch_sibling, 1)).status_code == 404
    assert client.get(sheet_url(open_cycle, tree.unrelated_branch, 1)).status_code == 404


def test_sheet_query_count_does_not_grow_with_the_batch(
    client: Client, people: SimpleNamespace, tree: Tree, open_cycle: Cycle, django_assert_num_queries: Any
) -> None:
    client = signed_in(client, people.committee_secretary)
    make_codes(open_cycle, tree.branch, 2, people)
    make_codes(open_cycle, tree.branch_sibling, 30, people)
    client.get(sheet_url(open_cycle, tree.branch))
    with django_assert_num_queries(7):
        client.get(sheet_url(open_cycle, tree.branch))
    with django_assert_num_queries(7):
        response = client.get(sheet_url(open_cycle, tree.branch_sibling))
    assert len(response.context["slips"]) == 30


# 投票 ------------------------------------------------------------------------


@pytest.fixture
def code(people: SimpleNamespace, tree: Tree, open_cycle: Cycle) -> str:
    return make_codes(open_cycle, tree.branch, 1, people)[0]


def test_voter_types_the_code_with_spaces_and_lower_case(client: Client, code: str) -> None:
    typed = f" {code[:5].lower()} {code[5:]} "

    response = client.post(reverse("vote"), {"code": typed})

    assert response.status_code == 302
    assert response["Location"] == vote_url(code)


def test_a_mistyped_code_is_refused_on_the_code_page(client: Client, code: str) -> None:
    response = client.post(reverse("vote"), {"code": "ZZZZZZZZZZ"})

    assert response.status_code == 200
    assert "测评码无效，请核对后重新输入。" in response.content.decode()


def test_ballot_shows_the_cycle_the_organization_and_its_secretary(
    client: Client, code: str, tree: Tree, open_cycle: Cycle
) -> None:
    response = client.get(vote_url(code))

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
    response = client.post(
        vote_url(code.lower()), {"rating": Rating.FAIR, "aspect_political": Rating.GOOD, "aspect_masses": ""}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("vote_done")
    ballot = Ballot.objects.get()
    assert (ballot.cycle, ballot.organization, ballot.rating) == (open_cycle, tree.branch, Rating.FAIR)
    assert ballot.item_ratings == {"政治建设": Rating.GOOD}
    assert BallotCode.objects.get(code=code).is_used
    done = client.get(reverse("vote_done")).content.decode()
    assert "谢谢" in done
    for revealing in (code, tree.branch.name, open_cycle.title, "较好"):
        assert revealing not in done


def test_voting_needs_no_sign_in_and_leaves_no_session(client: Client, code: str) -> None:
    client.get(reverse("vote"))
    client.get(vote_url(code))
    client.post(vote_url(code), {"rating": Rating.GOOD})
    client.get(reverse("vote_done"))

    assert Ballot.objects.count() == 1
    assert "sessionid" not in client.cookies
    assert not Session.objects.exists()


def test_a_ballot_without_a_rating_is_refused_and_the_code_kept(client: Client, code: str) -> None:
    response = client.post(vote_url(code), {"aspect_duty": Rating.GOOD})

    assert response.status_code == 200
    assert "请选择评价：好、较好、一般或差。" in response.content.decode()
    assert not Ballot.objects.exists()
    assert not BallotCode.objects.get(code=code).is_used


def test_a_used_code_cannot_vote_again(client: Client, code: str) -> None:
    client.post(vote_url(code), {"rating": Rating.GOOD})

    shown = client.get(vote_url(code))
    posted = client.post(vote_url(code), {"rating": Rating.POOR})

    assert "该测评码已使用过，每个测评码只能投票一次。" in shown.content.decode()
    assert 'name="rating"' not in shown.content.decode()
    assert "该测评码已使用过，每个测评码只能投票一次。" in posted.content.decode()
    assert list(Ballot.objects.values_list("rating", flat=True)) == [Rating.GOOD]


def test_a_forged_code_is_not_found_and_nothing_is_counted(client: Client, code: str) -> None:
    shown = client.get(vote_url("ABCDEFGHJK"))
    posted = client.post(vote_url("ABCDEFGHJK"), {"rating": Rating.POOR})

    assert shown.status_code == posted.status_code == 404
    assert "测评码无效，请核对后重新输入。" in posted.content.decode()
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("window", ["not_yet", "over"])
def test_a_code_outside_the_ballot_window_is_refused(client: Client, code: str, open_cycle: Cycle, window: str) -> None:
    today = timezone.localdate()
    if window == "not_yet":
        Cycle.objects.filter(pk=open_cycle.pk).update(ballot_opens=today + timedelta(days=1))
    else:
        Cycle.objects.filter(pk=open_cycle.pk).update(ballot_closes=today - timedelta(days=1))

    shown = client.get(vote_url(code))
    posted = client.post(vote_url(code), {"rating": Rating.GOOD})

    assert "不在民主测评时间内" in shown.content.decode()
    assert "不在民主测评时间内" in posted.content.decode()
    assert not Ballot.objects.exists()
    assert not BallotCode.objects.get(code=code).is_used


def test_a_code_of_a_closed_cycle_is_refused(
    client: Client, code: str, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    services.cycle_close(cycle=open_cycle, by=people.committee_secretary)

    shown = client.get(vote_url(code))
    posted = client.post(vote_url(code), {"rating": Rating.GOOD})

    assert "不在民主测评时间内" in shown.content.decode()
    assert "不在民主测评时间内" in posted.content.decode()
    assert not Ballot.objects.exists()


def test_voting_is_csrf_protected_and_works_for_anonymous_voters(code: str) -> None:
    client = Client(enforce_csrf_checks=True)

    refused = client.post(vote_url(code), {"rating": Rating.GOOD})
    page = client.get(vote_url(code)).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match is not None
    accepted = client.post(vote_url(code), {"rating": Rating.GOOD, "csrfmiddlewaretoken": match.group(1)})

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert Ballot.objects.count() == 1


def test_a_signed_in_person_votes_like_anyone_else(client: Client, code: str, people: SimpleNamespace) -> None:
    response = signed_in(client, people.branch_member).post(vote_url(code), {"rating": Rating.AVERAGE})

    assert response.status_code == 302
    assert Ballot.objects.get().rating == Rating.AVERAGE


# 防猜码 ----------------------------------------------------------------------


def test_too_many_wrong_codes_from_one_address_are_stopped(client: Client, code: str) -> None:
    for attempt in range(FAILED_ATTEMPTS_LIMIT):
        forged = f"WRONG{attempt:05d}"
        assert client.post(reverse("vote"), {"code": forged}).status_code == 200

    typed = client.post(reverse("vote"), {"code": code})
    opened = client.get(vote_url(code))
    cast = client.post(vote_url(code), {"rating": Rating.GOOD})

    for response in (typed, opened, cast):
        assert response.status_code == 429
        assert "输入错误的测评码次数过多，请 10 分钟后再试。" in response.content.decode()
    assert not Ballot.objects.exists()
    assert not BallotCode.objects.get(code=code).is_used


def test_wrong_codes_on_the_ballot_page_count_toward_the_limit(client: Client, code: str) -> None:
    for attempt in range(FAILED_ATTEMPTS_LIMIT):
        client.post(vote_url(f"WRONG{attempt:05d}"), {"rating": Rating.GOOD})

    assert client.post(vote_url(code), {"rating": Rating.GOOD}).status_code == 429
    assert not Ballot.objects.exists()


def test_the_limit_is_per_client_address(client: Client, code: str) -> None:
    behind_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for attempt in range(FAILED_ATTEMPTS_LIMIT):
        client.post(
            reverse("vote"), {"code": f"WRONG{attempt:05d}"}, HTTP_X_FORWARDED_FOR="203.0.113.7", **behind_proxy
        )

    blocked = client.post(reverse("vote"), {"code": code}, HTTP_X_FORWARDED_FOR="203.0.113.7", **behind_proxy)
    # A client cannot escape by sending its own X-Forwarded-For: the proxy appends the address it saw.
    spoofed = client.post(
        reverse("vote"), {"code": code}, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7", **behind_proxy
    )
    other = client.post(reverse("vote"), {"code": code}, HTTP_X_FORWARDED_FOR="203.0.113.8", **behind_proxy)

    assert blocked.status_code == spoofed.status_code == 429
    assert other.status_code == 302


def test_mistakes_below_the_limit_and_a_rating_left_out_do_not_block(client: Client, code: str) -> None:
    for attempt in range(FAILED_ATTEMPTS_LIMIT - 1):
        client.post(reverse("vote"), {"code": f"WRONG{attempt:05d}"})
    for _attempt in range(5):
        client.post(vote_url(code), {})

    assert client.post(vote_url(code), {"rating": Rating.GOOD}).status_code == 302


def test_the_limit_lifts_after_ten_minutes(client: Client, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for attempt in range(FAILED_ATTEMPTS_LIMIT):
        client.post(reverse("vote"), {"code": f"WRONG{attempt:05d}"})
    assert client.post(reverse("vote"), {"code": code}).status_code == 429

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + FAILED_ATTEMPTS_WINDOW + 1)

    assert client.post(reverse("vote"), {"code": code}).status_code == 302
