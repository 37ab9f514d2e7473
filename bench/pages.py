"""The measured pages, found in the bench database, and their SQL query counts.

The pages are found rather than hard-coded because their ids differ between databases (the
10 % and the 100 % province): the province committee's dashboard, its rectification board
filtered at its root, its organizational life (组织生活统计) at its root and its page of the year's
near-copied texts (相似内容, sorted by how much is shared, over the whole province), the county
committee's ranking of its latest review cycle, the secretary's home page and the reviewer's
scoring page of their first assignment. The floor is the password
change page of the province user: signed in, through every middleware and the base layout (the
navigation and its unread count), and no domain data at all.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organization, Position, User
from accounts.permissions import scope_for
from accounts.security import TWO_FACTOR_STEP
from accounts.two_factor import AUTHENTICATOR_NAME, Step, authenticator_for
from reviews.models import Cycle, ReviewerAssignment


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    """Who requests it: province, county, secretary or reviewer (the keys of the preset's logins)."""
    path: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _user(logins: dict[str, str], role: str) -> User:
    try:
        return User.objects.get(username=logins[role])
    except User.DoesNotExist:
        raise LookupError(f"login {logins[role]!r} ({role}) is not in this database; seed it first") from None


def committee_of(user: User) -> Organization:
    """The outermost organization whose subtree the user sees (their committee)."""
    roots = scope_for(user).subtree_roots
    if not roots:
        raise LookupError(f"{user.username} sees no subtree: not a committee role")
    return Organization.objects.get(path=roots[0])


def branch_of(user: User) -> Organization:
    position = (
        Position.objects.current()
        .filter(person=user, organization__kind=Organization.Kind.BRANCH)
        .exclude(role=Position.Role.MEMBER)
        .select_related("organization")
        .order_by("id")
        .first()
    )
    if position is None:
        raise LookupError(f"{user.username} keeps no branch")
    return position.organization


def ranking_cycle(user: User) -> Cycle:
    county = committee_of(user)
    cycle = (
        Cycle.objects.filter(organization=county).exclude(status=Cycle.Status.DRAFT).order_by("-year", "-id").first()
    )
    if cycle is None:
        raise LookupError(f"no review cycle run by {county}")
    return cycle


def discover(logins: dict[str, str]) -> list[Page]:
    """The floor first, then the measured pages, for this database."""
    province = committee_of(_user(logins, "province"))
    # One still to score, so the page is the scoring form; a scored one only if none is left.
    assignment = (
        ReviewerAssignment.objects.filter(reviewer=_user(logins, "reviewer"))
        .order_by(F("submitted_at").asc(nulls_first=True), "id")
        .first()
    )
    if assignment is None:
        raise LookupError(f"{logins['reviewer']} has no report to score")
    _user(logins, "secretary")
    return [
        Page("floor", "province", reverse("password_change")),
        Page("province_dashboard", "province", reverse("dashboard")),
        Page("county_ranking", "county", reverse("cycle_ranking", args=[ranking_cycle(_user(logins, "county")).pk])),
        Page("secretary_home", "secretary", reverse("home")),
        Page("reviewer_scoring", "reviewer", reverse("report_score", args=[assignment.pk])),
        Page("province_rectification_board", "province", f"{reverse('rectification_board')}?org={province.pk}"),
        Page("province_life_overview", "province", reverse("life_overview_org", args=[province.pk])),
        Page("province_similar_pairs", "province", f"{reverse('similar_pairs')}?year={_tree_year()}"),
    ]


def _tree_year() -> int:
    """The generated province's year (seed_scale --year): the year of its review cycles."""
    return Cycle.objects.order_by("-year").values_list("year", flat=True).first() or 0


def _client() -> Client:
    host = (settings.ALLOWED_HOSTS or ["testserver"])[0]
    # As behind the front proxy: HTTPS by its header, so production settings' redirect stays on.
    return Client(HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https")


def query_counts(logins: dict[str, str]) -> dict[str, Any]:
    """Each page's queries on its second request (the first fills the session's activity stamp)."""
    counts: dict[str, Any] = {}
    clients: dict[str, Client] = {}
    for page in discover(logins):
        client = clients.get(page.role)
        if client is None:
            client = clients[page.role] = _client()
            user = _user(logins, page.role)
            client.force_login(user)
            _verified_session(client, user)
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as first:
            client.get(page.path)
        first_ms = (time.perf_counter() - began) * 1000
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.path)
        if response.status_code != 200:
            raise RuntimeError(f"{page.path} answered {response.status_code}")
        counts[page.name] = {
            "path": page.path,
            "queries": len(captured.captured_queries),
            # The first request of the process: cold caches (the dashboard's figures are cached).
            "first_request_queries": len(first.captured_queries),
            "first_request_ms": round(first_ms, 1),
        }
    return {"organizations": Organization.objects.count(), "pages": counts}


def prepare_logins(logins: dict[str, str]) -> dict[str, str]:
    """Readies the bench logins to sign in as their people do; returns each login's authenticator key.

    They owe no password change (a forced change would hold every page on the password form),
    and each gets a confirmed authenticator (committee roles must sign in with two factors under
    production settings) whose last used code is forgotten, so a rerun within 30 seconds can sign in.
    """
    users = User.objects.filter(username__in=set(logins.values()))
    users.filter(must_change_password=True).update(must_change_password=False)
    keys = {}
    for user in users:
        device = authenticator_for(user) or TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR_NAME, confirmed=True
        )
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
        keys[user.username] = device.key
    return keys


def _verified_session(client: Client, user: User) -> None:
    """What the code page leaves in the session: the second factor given, nothing more owed."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id  # type: ignore[union-attr]
    session[TWO_FACTOR_STEP] = str(Step.NONE)
    session.save()
