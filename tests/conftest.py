"""The shared fixture tree: organizations at every relation and people in every role.

county 县委 (党委)
├── township 甲镇党委 (党委)            <- the committee actors sit here
│   ├── general 甲镇机关党总支 (党总支)   child
│   │   ├── branch 一村党支部 (党支部)    grandchild; the branch actors sit here
│   │   └── branch_sibling 二村党支部    the branch's sibling
│   └── direct_branch 三村党支部 (党支部) child
└── sibling_township 乙镇党委 (党委)     the committee's sibling
    └── sibling_branch 乙镇一村党支部
unrelated 另一县委 (党委)
└── unrelated_branch 另一县一村党支部
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from celery.result import allow_join_result
from django.utils import translation

from accounts import services
from accounts.models import Organization, Position, User
from tests.factories import OrganizationFactory, UserFactory

Kind = Organization.Kind
Role = Position.Role

# Playwright's sync API runs an event loop in the test thread; Django would then
# refuse database access from the live server fixture's setup.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Real hashing costs a third of a second a person; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The cache outlives a test's rolled-back data; tests of the cached dashboard switch it on.
    settings.DASHBOARD_CACHE_SECONDS = 0
    settings.BOARD_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _celery_may_wait_for_results() -> Iterator[None]:
    """Each test starts outside any task. Celery marks "inside a task" in a process-wide flag while it
    runs one eagerly; two threads doing so at once (the two-sweeps race test) can leave it set, and a
    later test in the process that waits on a real worker's result would be refused."""
    with allow_join_result():
        yield


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    """Each test ends in the site's language: a request in English (the language switch, an English cookie)
    activates English for the thread, and nothing turns it back, so a later test in the same worker that
    writes a mail or a message outside a request would write it in English."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Evidence written by any test lands in a temporary folder, never in var/media."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@dataclass
class Tree:
    county: Organization
    township: Organization
    general: Organization
    branch: Organization
    branch_sibling: Organization
    direct_branch: Organization
    sibling_township: Organization
    sibling_branch: Organization
    unrelated: Organization
    unrelated_branch: Organization


@pytest.fixture
def tree(db: None) -> Tree:
    county = OrganizationFactory(name="县委", code="C", kind=Kind.COMMITTEE, sector="")
    township = OrganizationFactory(name="甲镇党委", code="C-T1", kind=Kind.COMMITTEE, parent=county)
    general = OrganizationFactory(
        name="甲镇机关党总支", code="C-T1-G", kind=Kind.GENERAL_BRANCH, parent=township, sector="organ"
    )
    branch = OrganizationFactory(name="一村党支部", code="C-T1-G-B1", kind=Kind.BRANCH, parent=general)
    branch_sibling = OrganizationFactory(name="二村党支部", code="C-T1-G-B2", kind=Kind.BRANCH, parent=general)
    direct_branch = OrganizationFactory(name="三村党支部", code="C-T1-B3", kind=Kind.BRANCH, parent=township)
    sibling_township = OrganizationFactory(name="乙镇党委", code="C-T2", kind=Kind.COMMITTEE, parent=county)
    sibling_branch = OrganizationFactory(
        name="乙镇一村党支部", code="C-T2-B1", kind=Kind.BRANCH, parent=sibling_township
    )
    unrelated = OrganizationFactory(name="另一县委", code="U", kind=Kind.COMMITTEE, sector="")
    unrelated_branch = OrganizationFactory(name="另一县一村党支部", code="U-B1", kind=Kind.BRANCH, parent=unrelated)
    return Tree(
        county=county,
        township=township,
        general=general,
        branch=branch,
        branch_sibling=branch_sibling,
        direct_branch=direct_branch,
        sibling_township=sibling_township,
        sibling_branch=sibling_branch,
        unrelated=unrelated,
        unrelated_branch=unrelated_branch,
    )


def _person(username: str, organization: Organization | None = None, role: str | None = None) -> User:
    person = UserFactory(username=username, full_name=username)
    if organization is not None and role is not None:
        services.position_assign(person=person, organization=organization, role=role)
    return person


@pytest.fixture
def people(tree: Tree) -> SimpleNamespace:
    """One person per role at the township committee and at the branch, plus a grantee, an admin, an outsider."""
    grantee = _person("grantee")
    services.supervision_grant(user=grantee, organization=tree.township)
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    return SimpleNamespace(
        committee_secretary=_person("committee_secretary", tree.township, Role.SECRETARY),
        committee_deputy=_person("committee_deputy", tree.township, Role.DEPUTY),
        committee_member=_person("committee_member", tree.township, Role.COMMITTEE_MEMBER),
        committee_staff=_person("committee_staff", tree.township, Role.STAFF),
        committee_party_member=_person("committee_party_member", tree.township, Role.MEMBER),
        branch_secretary=_person("branch_secretary", tree.branch, Role.SECRETARY),
        branch_deputy=_person("branch_deputy", tree.branch, Role.DEPUTY),
        branch_member_of_committee=_person("branch_committee_member", tree.branch, Role.COMMITTEE_MEMBER),
        branch_staff=_person("branch_staff", tree.branch, Role.STAFF),
        branch_member=_person("branch_member", tree.branch, Role.MEMBER),
        grantee=grantee,
        admin=admin,
        outsider=_person("outsider"),
    )


IN_CI = os.environ.get("CI") == "true"
CHROMIUM = "/usr/bin/chromium"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def unavailable(reason: str) -> None:
    """Skips locally; under CI=true a missing service is a failure, never a skip."""
    if IN_CI:
        pytest.fail(f"CI=true needs this: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {TEST_REDIS_URL}: {error}")
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def chromium():  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright (no downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        unavailable(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium):  # type: ignore[no-untyped-def]
    """A fresh browser context the size of a 375-pixel-wide phone, in Chinese."""
    context = chromium.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
