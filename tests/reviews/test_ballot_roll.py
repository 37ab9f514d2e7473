"""The ballot's "members on record" is the branch's roll (党员名册) once it keeps one: entered once, used by the
cap on codes and by the codes page; a branch without a roll counts the people holding its positions."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from foundation.errors import DomainError
from members import services as member_services
from members.fields import MemberFields
from members.models import Member
from reviews import selectors, services
from reviews.models import Cycle
from tests.conftest import Tree

pytestmark = pytest.mark.django_db


def put_on_roll(tree: Tree, people: SimpleNamespace, names: list[str]) -> list[Member]:
    return [
        member_services.member_add(
            organization=tree.branch,
            by=people.branch_secretary,
            fields=MemberFields(name=name, gender=Member.Gender.MALE, joined_on=date(2010, 7, 1)),
        )
        for name in names
    ]


def test_a_branch_with_a_roll_caps_codes_at_its_members_not_its_positions(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    members = put_on_roll(tree, people, [f"党员{number}" for number in range(8)])
    member_services.member_status_change(
        member=members[0], by=people.branch_secretary, status=Member.Status.SUSPENDED, on=date(2026, 1, 5)
    )
    assert services.members_on_record(tree.branch) == 7  # eight on the roll, one suspended; five positions

    services.ballot_codes_generate(cycle=open_cycle, organization=tree.branch, count=7, by=people.committee_secretary)
    with pytest.raises(DomainError, match="在册党员 7 人，已发放有效测评码 7 个"):
        services.ballot_codes_generate(
            cycle=open_cycle, organization=tree.branch, count=1, by=people.committee_secretary
        )
    figures = {row.organization.pk: row for row in selectors.ballot_overview(open_cycle)}
    assert (figures[tree.branch.pk].members, figures[tree.branch.pk].issued) == (7, 7)


def test_a_branch_without_a_roll_counts_the_people_in_its_positions(
    tree: Tree, people: SimpleNamespace, open_cycle: Cycle
) -> None:
    assert not Member.objects.filter(organization=tree.branch).exists()
    assert services.members_on_record(tree.branch) == 5
    figures = {row.organization.pk: row for row in selectors.ballot_overview(open_cycle)}
    assert figures[tree.branch.pk].members == 5


def test_members_who_left_the_roll_are_not_on_record(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> None:
    members = put_on_roll(tree, people, ["甲", "乙", "丙"])
    member_services.member_transfer_out(
        member=members[0], by=people.branch_secretary, on=date(2026, 2, 1), to_text="外县某党支部"
    )
    assert services.members_on_record(tree.branch) == 2
