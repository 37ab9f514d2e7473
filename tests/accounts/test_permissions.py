"""The permission matrix: every role × action × relation, and the visibility filter's cost."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import Organization, Position, User
from accounts.permissions import (
    Action,
    can,
    forget_scope,
    get_organization_for,
    supervised_q,
    supervises_q,
    visible_organizations,
)
from responsibility.models import ContactPoint
from tests.conftest import Tree
from tests.factories import OrganizationFactory, UserFactory

V, M, S, A = Action.VIEW, Action.MANAGE, Action.SUPERVISE, Action.ADMINISTER
RELATIONS = ("own", "child", "grandchild", "sibling", "parent", "unrelated")

# Relations as seen from the committee actors' organization (the township) and
# from the branch actors' organization (a branch: it has no children).
COMMITTEE_RELATIVES = {
    "own": "township",
    "child": "general",
    "grandchild": "branch",
    "sibling": "sibling_township",
    "parent": "county",
    "unrelated": "unrelated_branch",
}
BRANCH_RELATIVES = {
    "own": "branch",
    "sibling": "branch_sibling",
    "parent": "general",
    "unrelated": "unrelated_branch",
}

COMMITTEE_LEADER = {
    "own": {V, M},
    "child": {V, S},
    "grandchild": {V, S},
    "sibling": set(),
    "parent": set(),
    "unrelated": set(),
}
BRANCH_LEADER = {"own": {V, M}, "sibling": set(), "parent": set(), "unrelated": set()}
MEMBER_OF_COMMITTEE = {"own": {V}, **{relation: set() for relation in RELATIONS[1:]}}
MEMBER_OF_BRANCH = {"own": {V}, "sibling": set(), "parent": set(), "unrelated": set()}
GRANTEE = {
    "own": {V, S},
    "child": {V, S},
    "grandchild": {V, S},
    "sibling": set(),
    "parent": set(),
    "unrelated": set(),
}
EVERYTHING = {relation: {V, M, S, A} for relation in RELATIONS}
NOTHING = {relation: set() for relation in RELATIONS}

# (person, relatives, expected allowed actions per relation)
MATRIX = [
    ("committee_secretary", COMMITTEE_RELATIVES, COMMITTEE_LEADER),
    ("committee_deputy", COMMITTEE_RELATIVES, COMMITTEE_LEADER),
    ("committee_member", COMMITTEE_RELATIVES, COMMITTEE_LEADER),
    ("committee_staff", COMMITTEE_RELATIVES, COMMITTEE_LEADER),
    ("committee_party_member", COMMITTEE_RELATIVES, MEMBER_OF_COMMITTEE),
    ("branch_secretary", BRANCH_RELATIVES, BRANCH_LEADER),
    ("branch_deputy", BRANCH_RELATIVES, BRANCH_LEADER),
    ("branch_member_of_committee", BRANCH_RELATIVES, BRANCH_LEADER),
    ("branch_staff", BRANCH_RELATIVES, BRANCH_LEADER),
    ("branch_member", BRANCH_RELATIVES, MEMBER_OF_BRANCH),
    ("grantee", COMMITTEE_RELATIVES, GRANTEE),
    ("admin", COMMITTEE_RELATIVES, EVERYTHING),
    ("outsider", COMMITTEE_RELATIVES, NOTHING),
]


@pytest.mark.parametrize(("person", "relatives", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_permission_matrix(
    people: SimpleNamespace,
    tree: Tree,
    person: str,
    relatives: dict[str, str],
    expected: dict[str, set[Action]],
) -> None:
    """Every action on every relation answers as the matrix says, and visibility agrees with VIEW."""
    user = getattr(people, person)
    visible = set(visible_organizations(user).values_list("pk", flat=True))
    wrong = []
    for relation, allowed_actions in expected.items():
        target = getattr(tree, relatives[relation])
        for action in Action:
            if can(user, action, target) is not (action in allowed_actions):
                wrong.append(f"{relation}:{action}")
        if (target.pk in visible) is not can(user, Action.VIEW, target):
            wrong.append(f"{relation}:visible-filter")
    assert wrong == []


def test_views_answer_404_outside_sight_and_403_when_seen_but_not_allowed(people: SimpleNamespace, tree: Tree) -> None:
    with pytest.raises(Http404):
        get_organization_for(people.branch_secretary, tree.branch_sibling.pk, Action.VIEW)
    with pytest.raises(PermissionDenied):
        get_organization_for(people.committee_secretary, tree.township.pk, Action.SUPERVISE)
    assert get_organization_for(people.committee_secretary, tree.branch.pk, Action.SUPERVISE) == tree.branch
    with pytest.raises(Http404):
        get_organization_for(people.committee_secretary, "not-a-number", Action.VIEW)


def test_anonymous_visitor_sees_nothing(tree: Tree) -> None:
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not visible_organizations(anonymous).exists()
    assert not can(anonymous, Action.VIEW, tree.county)


def test_ended_position_no_longer_grants_anything(people: SimpleNamespace, tree: Tree) -> None:
    position = people.committee_secretary.positions.get()
    services.position_end(position=position)
    forget_scope(people.committee_secretary)
    assert not can(people.committee_secretary, Action.VIEW, tree.branch)


def test_inactive_organization_grants_nothing(people: SimpleNamespace, tree: Tree) -> None:
    Organization.objects.filter(pk=tree.township.pk).update(is_active=False)
    forget_scope(people.committee_secretary)
    assert not can(people.committee_secretary, Action.VIEW, tree.general)


def test_group_grant_covers_the_subtree(people: SimpleNamespace, tree: Tree) -> None:
    from django.contrib.auth.models import Group, Permission

    from accounts.models import OrganizationGroupObjectPermission

    group = Group.objects.create(name="组织部考核组")
    group.user_set.add(people.outsider)
    OrganizationGroupObjectPermission.objects.create(
        group=group,
        permission=Permission.objects.get(codename="supervise_organization"),
        content_object=tree.sibling_township,
    )
    assert can(people.outsider, Action.SUPERVISE, tree.sibling_branch)
    assert not can(people.outsider, Action.VIEW, tree.branch)


def test_supervised_filter_matches_can(people: SimpleNamespace, tree: Tree) -> None:
    for person in ("committee_secretary", "grantee", "branch_secretary", "outsider"):
        user = getattr(people, person)
        supervised = set(Organization.objects.filter(supervised_q(user)).values_list("pk", flat=True))
        expected = {org.pk for org in Organization.objects.all() if can(user, Action.SUPERVISE, org)}
        assert supervised == expected, person


def test_the_row_filter_of_supervision_agrees_with_can(people: SimpleNamespace, tree: Tree) -> None:
    """`supervises_q` (other people's grants in a list: reviewers, contact points, reminders) answers as `can` does
    for every person and organization: ended positions, inactive people and organizations, user and group grants."""
    from django.contrib.auth.models import Group, Permission

    from accounts.models import OrganizationGroupObjectPermission

    group = Group.objects.create(name="组织部考核组")
    group.user_set.add(people.outsider)
    OrganizationGroupObjectPermission.objects.create(
        group=group,
        permission=Permission.objects.get(codename="supervise_organization"),
        content_object=tree.sibling_township,
    )
    former = UserFactory(username="former")
    services.position_end(
        position=services.position_assign(person=former, organization=tree.county, role=Position.Role.DEPUTY)
    )
    services.position_end(position=people.committee_deputy.positions.get())
    inactive = UserFactory(username="inactive", is_active=False)
    services.position_assign(person=inactive, organization=tree.township, role=Position.Role.DEPUTY)
    Organization.objects.filter(pk=tree.sibling_township.pk).update(is_active=False)
    users = list(User.objects.all())
    organizations = list(Organization.objects.all())
    # Contact points stand for any row naming a person and an organization.
    ContactPoint.objects.bulk_create(
        ContactPoint(member=user, organization=organization, year=2024, reason="矩阵")
        for user in users
        for organization in organizations
    )
    filtered = set(
        ContactPoint.objects.filter(supervises_q("member", "organization__path")).values_list(
            "member_id", "organization_id"
        )
    )
    expected = {
        (user.pk, organization.pk)
        for user in users
        for organization in organizations
        if can(user, Action.SUPERVISE, organization)
    }
    assert filtered == expected
    assert (people.committee_secretary.pk, tree.branch.pk) in filtered
    assert not any(person in (former.pk, inactive.pk, people.committee_deputy.pk) for person, _org in filtered)


def _grow(parent: Organization, breadth: int, depth: int) -> None:
    if depth == 0:
        return
    for index in range(breadth):
        kind = Organization.Kind.BRANCH if depth == 1 else Organization.Kind.COMMITTEE
        child = OrganizationFactory(parent=parent, kind=kind, code=f"{parent.code}.{index}")
        _grow(child, breadth, depth - 1)


@pytest.mark.parametrize("extra_levels", [1, 3])
def test_visibility_costs_the_same_queries_whatever_the_tree_size(
    people: SimpleNamespace, tree: Tree, extra_levels: int
) -> None:
    _grow(tree.township, breadth=3, depth=extra_levels)
    user = people.committee_secretary
    forget_scope(user)
    with CaptureQueriesContext(connection) as queries:
        visible = list(visible_organizations(user))
        for organization in visible:
            can(user, Action.SUPERVISE, organization)
    # Two for the scope (positions, then grants), one for the list.
    assert len(queries) == 3
    expected_size = 5 + sum(3**level for level in range(1, extra_levels + 1))
    assert len(visible) == expected_size
