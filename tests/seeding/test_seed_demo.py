"""`manage.py seed_demo`: the demo tree, its people and the five demo logins."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.core.management import call_command
from django.db.models import Count, Q
from django.test import RequestFactory

from accounts import permissions
from accounts.models import Organization, Position, User
from members.models import Member
from seeding.demo.people import DEMO_LOGINS, DEMO_PASSWORD, demo_build
from tests.factories import OrganizationFactory

Kind = Organization.Kind
Sector = Organization.Sector
Role = Position.Role
LOGINS = [login for login, _ in DEMO_LOGINS]


def authenticate(*, username: str, password: str) -> User | None:
    """As the sign-in page does: django-axes needs the request to count failures per address."""
    request = RequestFactory().post("/login/")
    return django_authenticate(request, username=username, password=password)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "positions": Position.objects.count(),
        "members": Member.objects.count(),
    }


def current(login: str, role: str) -> Position:
    return Position.objects.current().select_related("organization").get(person__username=login, role=role)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """The demo's evidence files go to a temporary MEDIA_ROOT, not var/media."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def seeded(db: None) -> str:
    return seed()


def test_builds_every_kind_and_sector(seeded: str) -> None:
    kinds = set(Organization.objects.values_list("kind", flat=True))
    sectors = set(Organization.objects.values_list("sector", flat=True))
    assert {Kind.COMMITTEE, Kind.WORKING_COMMITTEE, Kind.GENERAL_BRANCH, Kind.BRANCH} <= kinds
    assert {Sector.RURAL, Sector.COMMUNITY, Sector.ORGAN, Sector.STATE_ENTERPRISE} <= sectors
    county = Organization.objects.get(code="QS")
    assert county.name == "中共青山县委员会"
    assert county.is_root()
    assert Organization.objects.filter(code__startswith="QS-").count() == Organization.objects.count() - 1
    general = Organization.objects.get(kind=Kind.GENERAL_BRANCH)
    assert Organization.objects.get_children(general).filter(kind=Kind.BRANCH).exists()


def test_every_organization_has_one_secretary_and_members(seeded: str) -> None:
    organizations = Organization.objects.annotate(
        secretaries=Count("positions", filter=Q(positions__role=Role.SECRETARY, positions__is_current=True)),
        members=Count("positions", filter=Q(positions__role=Role.MEMBER, positions__is_current=True)),
    )
    assert organizations.exists()
    for organization in organizations:
        assert organization.secretaries == 1, organization.name
        assert organization.members >= 2, organization.name


def test_committees_have_every_leading_role(seeded: str) -> None:
    for committee in Organization.objects.exclude(kind=Kind.BRANCH):
        positions = Position.objects.current().filter(organization=committee)
        roles = set(positions.values_list("role", flat=True))
        assert roles == set(Role.values), committee.name
        portfolios = set(positions.filter(role=Role.COMMITTEE_MEMBER).values_list("portfolio", flat=True))
        assert {"组织委员", "宣传委员", "纪检委员"} <= portfolios, committee.name


def test_people_have_chinese_names_and_generated_ones_cannot_sign_in(seeded: str) -> None:
    generated = User.objects.exclude(username__in=LOGINS)
    assert generated.exists()
    assert not generated.filter(full_name="").exists()
    assert all(not person.has_usable_password() for person in generated)
    assert authenticate(username=generated.first().username, password=DEMO_PASSWORD) is None
    assert User.objects.get(username="demo-secretary").full_name == "李建国"


def test_demo_logins_authenticate(seeded: str) -> None:
    for login in LOGINS:
        user = authenticate(username=login, password=DEMO_PASSWORD)
        assert user is not None, login
        # The shared demo logins never owe a password change: one would lock every other visitor out.
        assert not user.must_change_password, login
        assert user.is_active
    admin = User.objects.get(username="demo-admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert not User.objects.filter(username__in=LOGINS[1:], is_superuser=True).exists()


def test_demo_logins_form_one_chain_of_command(seeded: str) -> None:
    county_position = current("demo-county", Role.COMMITTEE_MEMBER)
    county = county_position.organization
    assert county_position.portfolio == "组织委员"
    assert county.code == "QS"

    township = current("demo-township", Role.SECRETARY).organization
    assert township.kind == Kind.COMMITTEE
    assert Organization.objects.get_parent(township) == county

    branch = current("demo-secretary", Role.SECRETARY).organization
    assert branch.kind == Kind.BRANCH
    assert branch.sector == Sector.RURAL
    assert branch.name == "东湖镇柳塘村党支部"
    assert Organization.objects.get_parent(branch) == township

    assert current("demo-member", Role.MEMBER).organization == branch

    # The permission module agrees: the county reviewer and the township secretary supervise the branch.
    users = {login: User.objects.get(username=login) for login in LOGINS}
    assert permissions.can(users["demo-county"], permissions.Action.SUPERVISE, branch)
    assert permissions.can(users["demo-township"], permissions.Action.SUPERVISE, branch)
    assert permissions.can(users["demo-secretary"], permissions.Action.MANAGE, branch)
    assert not permissions.can(users["demo-member"], permissions.Action.MANAGE, branch)


def test_tree_passes_treebeard_checks(seeded: str) -> None:
    assert all(problems == [] for problems in Organization.objects.find_problems())


def test_output_lists_logins_and_password(seeded: str) -> None:
    assert f"演示账号（密码均为 {DEMO_PASSWORD}）：" in seeded
    for login in LOGINS:
        assert login in seeded


def test_running_twice_creates_nothing(seeded: str) -> None:
    before = counts()
    seed()
    assert counts() == before
    summary = demo_build()
    assert (summary.organizations_created, summary.people_created, summary.positions_created) == (0, 0, 0)
    assert counts() == before


def test_rerun_resets_demo_passwords_and_reactivates(seeded: str) -> None:
    secretary = User.objects.get(username="demo-secretary")
    secretary.set_password("changed-by-someone")
    secretary.is_active = False
    secretary.must_change_password = True
    secretary.save()
    admin = User.objects.get(username="demo-admin")
    admin.is_superuser = False
    admin.save()

    seed()

    assert authenticate(username="demo-secretary", password=DEMO_PASSWORD) is not None
    assert not User.objects.get(username="demo-secretary").must_change_password
    assert User.objects.get(username="demo-admin").is_superuser


def test_rerun_completes_a_partial_tree(seeded: str) -> None:
    before = counts()
    Organization.objects.get(code="QS-NH-06").delete()
    User.objects.filter(username="demo-member").delete()

    seed()

    assert counts() == before
    assert current("demo-member", Role.MEMBER).organization.code == "QS-DH-01"
    assert all(problems == [] for problems in Organization.objects.find_problems())


def test_if_empty_on_an_empty_database_builds(db: None) -> None:
    output = seed("--if-empty")
    assert Organization.objects.filter(code="QS").exists()
    assert authenticate(username="demo-member", password=DEMO_PASSWORD) is not None
    assert "demo-member" in output


def test_if_empty_leaves_a_seeded_database_untouched(seeded: str) -> None:
    secretary = User.objects.get(username="demo-secretary")
    secretary.set_password("changed-by-someone")
    secretary.save()
    before = counts()

    output = seed("--if-empty")

    assert counts() == before
    assert User.objects.get(username="demo-secretary").password == secretary.password
    assert "已有党组织数据" in output
    assert "demo-secretary" in output


def test_if_empty_leaves_other_data_untouched(db: None) -> None:
    OrganizationFactory(name="另一县委", code="OTHER", kind=Kind.COMMITTEE)
    before = counts()

    output = seed("--if-empty")

    assert counts() == before
    assert not Organization.objects.filter(code="QS").exists()
    assert not User.objects.filter(username__in=LOGINS).exists()
    assert "已有党组织数据" in output
