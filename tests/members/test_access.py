"""Who reaches the roll, over the role tree: the branch keeps it, committees above read it, a member reads
their own entry only, a sibling branch sees nothing (404), an ended position leaves nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from accounts.permissions import Action
from accounts.services import position_assign, position_end
from members import access

pytestmark = pytest.mark.django_db

KEEPERS = ("branch_secretary", "branch_deputy", "branch_member_of_committee", "branch_staff", "admin")
READERS = ("committee_secretary", "committee_deputy", "committee_member", "committee_staff", "grantee")
SEE_BUT_NOT_READ = ("branch_member", "committee_party_member")
UNSEEN = ("outsider",)


def _outcome(call: Any) -> str:
    try:
        call()
    except Http404:
        return "404"
    except PermissionDenied:
        return "403"
    return "ok"


@pytest.mark.parametrize(
    ("actor", "view", "manage"),
    [
        *((actor, "ok", "ok") for actor in KEEPERS),
        *((actor, "ok", "403") for actor in READERS),
        ("branch_member", "403", "403"),
        ("committee_party_member", "404", "404"),
        ("outsider", "404", "404"),
    ],
)
def test_the_branch_roll_by_role(
    roll: SimpleNamespace, tree: Any, people: SimpleNamespace, actor: str, view: str, manage: str
) -> None:
    user = getattr(people, actor)
    assert _outcome(lambda: access.roll_organization_for(user, tree.branch.pk, Action.VIEW)) == view
    assert _outcome(lambda: access.roll_organization_for(user, tree.branch.pk, Action.MANAGE)) == manage
    assert _outcome(lambda: access.member_for(user, roll.probationary.pk, Action.VIEW)) == view
    assert _outcome(lambda: access.member_for(user, roll.probationary.pk, Action.MANAGE)) == manage
    assert _outcome(lambda: access.group_for(user, roll.group.pk, Action.VIEW)) == view


@pytest.mark.parametrize("actor", [*KEEPERS[:-1], "branch_member", "committee_party_member", "outsider"])
def test_a_sibling_branchs_member_is_not_found(roll: SimpleNamespace, people: SimpleNamespace, actor: str) -> None:
    user = getattr(people, actor)
    with pytest.raises(Http404):
        access.member_for(user, roll.sibling.pk)


def test_a_committee_reads_the_roll_of_its_subtree_only(roll: SimpleNamespace, tree: Any, people: Any) -> None:
    sibling_secretary = User.objects.create(username="sibling_committee")
    position_assign(person=sibling_secretary, organization=tree.sibling_township, role="secretary")
    with pytest.raises(Http404):
        access.member_for(sibling_secretary, roll.full.pk)
    with pytest.raises(Http404):
        access.roll_organization_for(sibling_secretary, tree.branch.pk)


def test_a_member_reads_their_own_entry_only(roll: SimpleNamespace, people: SimpleNamespace) -> None:
    member = people.branch_member
    assert access.member_for(member, roll.full.pk) == roll.full
    with pytest.raises(PermissionDenied):
        access.member_for(member, roll.full.pk, Action.MANAGE)
    with pytest.raises(PermissionDenied):
        access.member_for(member, roll.probationary.pk)
    assert not access.shows_id_number(member, roll.full)
    assert access.shows_id_number(people.committee_secretary, roll.full)


def test_an_ended_position_has_no_access_left(roll: SimpleNamespace, tree: Any, people: SimpleNamespace) -> None:
    for name in ("branch_secretary", "committee_secretary"):
        position_end(position=getattr(people, name).positions.get())
        user = User.objects.get(pk=getattr(people, name).pk)
        with pytest.raises(Http404):
            access.member_for(user, roll.probationary.pk)
        with pytest.raises(Http404):
            access.roll_organization_for(user, tree.branch.pk)


def test_an_id_naming_nothing_is_not_found(people: SimpleNamespace) -> None:
    for lookup in (access.member_for, access.group_for, access.roll_organization_for):
        with pytest.raises(Http404):
            lookup(people.admin, 987654321)
        with pytest.raises(Http404):
            lookup(people.admin, "x")
