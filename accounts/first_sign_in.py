"""首次登录: one-time codes printed on slips, with which people set their own first password.

An administrator (for anyone) or a committee (for the people of its subtree) issues codes and prints
one slip per person; the person types their login, the code and a new password on the public page
(`first_sign_in`). The database keeps only a digest of each code keyed with SECRET_KEY, so a copy of
it gives no code away; a code is good for CODE_VALID_DAYS, once, and a new one voids the older.

Guessing is limited with the cache, not django-axes: axes counts failed passwords of the sign-in
form, and a person fumbling a code must not lock their own sign-in nor a colleague's. Failures are
counted per login and per address over LOGIN_LOCKOUT_MINUTES; a code has about 59 bits anyway.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts import services
from accounts.models import (
    FirstSignInCode,
    Organization,
    OrganizationGroupObjectPermission,
    OrganizationUserObjectPermission,
    Position,
    User,
)
from accounts.permissions import SUPERVISE_CODENAME, scope_for
from foundation.client import client_address
from foundation.errors import DomainError

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off paper
CODE_LENGTH = 12
CODE_VALID_DAYS = 14
DIGEST_SALT = "accounts.first_sign_in.code"
# One printing: enough for a township's import, small enough to render and print at once.
MAX_SLIPS = 500
# People behind one office address share it; a single login gets the sign-in form's limit.
ADDRESS_FAILURE_FACTOR = 4


class CodeRefused(DomainError):
    """A wrong, expired, used or voided code, an unknown login, or too many tries: one message for all."""

    def __init__(self) -> None:
        super().__init__(
            _("登录名或首次登录码不正确，或登录码已使用、已过期，或尝试次数过多。请核对登录单，稍后再试。")
        )


@dataclass(frozen=True)
class Slip:
    """What one printed slip says; the code exists only here, for the one response that prints it."""

    person: User
    organization: Organization | None
    code: str
    expires_at: datetime


# ---------------------------------------------------------------- codes


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_for_reading(code: str) -> str:
    """In groups of four, as printed: XXXX-XXXX-XXXX."""
    return "-".join(code[start : start + 4] for start in range(0, len(code), 4))


def normalized(typed: str) -> str:
    """The code as typed, without spaces or dashes, in capitals."""
    return "".join(char for char in typed.upper() if char.isalnum())


def stored_code(person_id: int, code: str, secret: str | bytes | None = None) -> str:
    """What the database keeps of a code: a digest keyed with SECRET_KEY and bound to the person."""
    return salted_hmac(DIGEST_SALT, f"{person_id}:{code}", secret=secret, algorithm="sha256").hexdigest()


def _matches(person_id: int, code: str, digest: str) -> bool:
    # A code issued under a key now in SECRET_KEY_FALLBACKS still works.
    secrets_in_use = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(constant_time_compare(stored_code(person_id, code, secret), digest) for secret in secrets_in_use)


# ---------------------------------------------------------------- who may issue for whom


def reach_of(actor: Any) -> tuple[bool, tuple[str, ...]]:
    """(is administrator, the committee subtrees whose people the actor may issue codes for)."""
    scope = scope_for(actor)
    return scope.is_admin, scope.supervise_roots


def may_issue_in(actor: Any, organization: Organization) -> bool:
    """May the actor print slips for the people of this organization: an administrator, or a committee
    whose subtree holds it (its own organization included). A 组织部 grant supervises but keeps no one."""
    is_admin, roots = reach_of(actor)
    return is_admin or organization.path.startswith(roots)


def code_history_fields(user: Any, row: Any) -> frozenset[str] | None:
    """The audit log's rule for codes: all of a code's record (never the code, the history has no digest) for
    those who may print slips where it placed the person, nothing for the rest (a 组织部 grantee included)."""
    if reach_of(user)[0] or (row.organization is not None and may_issue_in(user, row.organization)):
        return frozenset(field.name for field in row.tracked_fields)
    return None


def people_out_of_reach(actor: Any, people: Sequence[User]) -> list[User]:
    """The people the actor may not issue codes for.

    A committee reaches a person only when every current position and every supervision grant of the
    person lies within its subtree, and never an administrator: a code sets the password, so it must
    not open an account that reaches further than the committee itself.
    """
    is_admin, roots = reach_of(actor)
    if is_admin:
        return [person for person in people if not person.is_active]
    if not roots:
        return list(people)
    ids = [person.pk for person in people]
    paths: dict[int, list[str]] = defaultdict(list)
    held = Position.objects.current().filter(person__in=ids).values_list("person", "organization__path")
    for person_id, path in held:
        paths[person_id].append(path)
    grants = OrganizationUserObjectPermission.objects.filter(
        user__in=ids, permission__codename=SUPERVISE_CODENAME
    ).values_list("user", "content_object__path")
    group_grants = OrganizationGroupObjectPermission.objects.filter(
        group__user__in=ids, permission__codename=SUPERVISE_CODENAME
    ).values_list("group__user", "content_object__path")
    for person_id, path in [*grants, *group_grants]:
        paths[person_id].append(path)
    return [
        person
        for person in people
        if not person.is_active
        or person.is_superuser
        or person.is_staff
        or not paths[person.pk]
        or not all(path.startswith(roots) for path in paths[person.pk])
    ]


def _slip_organizations(actor: Any, people: Sequence[User]) -> dict[int, Organization]:
    """Where each slip places its person: their first current position within the actor's reach, leading
    roles before plain membership (one query)."""
    is_admin, roots = reach_of(actor)
    positions = (
        Position.objects.current()
        .filter(person__in=[person.pk for person in people])
        .select_related("organization")
        .order_by("organization__path", "id")
    )
    found: dict[int, Organization] = {}
    for position in sorted(positions, key=lambda position: not position.is_leading_role):
        if is_admin or position.organization.path.startswith(roots):
            found.setdefault(position.person_id, position.organization)
    return found


# ---------------------------------------------------------------- services


@transaction.atomic
def sign_in_codes_issue(*, people: Iterable[User], by: Any) -> list[Slip]:
    """Issues a new one-time code for each person (voiding their older unused one) and returns the slips
    to print; refuses the lot, writing nothing, when the actor may not issue for any of them."""
    chosen = list({person.pk: person for person in people}.values())
    if not chosen:
        raise DomainError(_("请至少选择一人。"))
    if len(chosen) > MAX_SLIPS:
        raise DomainError(_("一次最多打印 %(max)d 人的登录单，请分批打印。") % {"max": MAX_SLIPS})
    refused = people_out_of_reach(by, chosen)
    if refused:
        names = "、".join(person.get_full_name() for person in refused[:10])
        raise DomainError(_("您无权为以下 %(n)d 人发放首次登录码：%(names)s。") % {"n": len(refused), "names": names})
    now = timezone.now()
    expires_at = now + timedelta(days=CODE_VALID_DAYS)
    request = getattr(HistoricalRecords.context, "request", None)
    recorded = {"default_user": by, "custom_historical_attrs": {"ip_address": client_address(request)}}

    open_codes = list(
        FirstSignInCode.objects.select_for_update().filter(
            person__in=[person.pk for person in chosen], used_at__isnull=True, voided_at__isnull=True
        )
    )
    for old in open_codes:
        old.voided_at = now
    bulk_update_with_history(open_codes, FirstSignInCode, ["voided_at"], **recorded)

    organizations = _slip_organizations(by, chosen)
    slips, rows = [], []
    for person in chosen:
        code = new_code()
        organization = organizations.get(person.pk)
        slips.append(Slip(person, organization, code_for_reading(code), expires_at))
        rows.append(
            FirstSignInCode(
                person=person,
                organization=organization,
                digest=stored_code(person.pk, code),
                issued_by=by,
                issued_at=now,
                expires_at=expires_at,
            )
        )
    bulk_create_with_history(rows, FirstSignInCode, **recorded)
    slips.sort(key=lambda slip: (slip.organization.path if slip.organization else "", slip.person.username))
    return slips


def _failure_keys(username: str, address: str | None) -> list[tuple[str, int]]:
    limit = settings.LOGIN_FAILURE_LIMIT
    login = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    keys = [(f"first-sign-in:login:{login}", limit)]
    if address:
        keys.append((f"first-sign-in:address:{address}", limit * ADDRESS_FAILURE_FACTOR))
    return keys


def _throttled(username: str, address: str | None) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _failure_keys(username, address))


def _count_failure(username: str, address: str | None) -> None:
    window = settings.LOGIN_LOCKOUT_MINUTES * 60
    for key, _limit in _failure_keys(username, address):
        # The window runs from the first failure; add() starts it, incr() keeps its expiry.
        if not cache.add(key, 1, window):
            try:
                cache.incr(key)
            except ValueError:
                cache.add(key, 1, window)


def _open_code(username: str) -> tuple[User | None, FirstSignInCode | None]:
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None:
        return None, None
    code = (
        FirstSignInCode.objects.select_for_update()
        .filter(person=person, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return person, code


@transaction.atomic
def sign_in_code_redeem(*, username: str, code: str, password: str, address: str | None) -> User:
    """The person sets their password with a one-time code: raises CodeRefused (one message whatever the
    reason), or ValidationError when the password breaks the rules (the code is then kept); else the code
    is used up, the password set, and the person returned to be signed in."""
    username = username.strip()
    if _throttled(username, address):
        raise CodeRefused()
    person, open_code = _open_code(username)
    typed = normalized(code)
    if open_code is None or person is None:
        # Work as for a real code, so the answer's timing does not tell whether the login exists.
        _matches(0, typed, "0" * 64)
        _count_failure(username, address)
        raise CodeRefused()
    if not _matches(person.pk, typed, open_code.digest):
        _count_failure(username, address)
        raise CodeRefused()
    validate_password(password, person)
    open_code.used_at = timezone.now()
    open_code.save(update_fields=["used_at"])
    services.password_change(person=person, password=password)
    return person


# ---------------------------------------------------------------- selectors


def sign_in_candidates(organization: Organization, *, include_signed_in: bool = False) -> QuerySet[User]:
    """The active people with current positions in the organization's subtree, by default only those who
    have never signed in; each with `code_expires_at`, the expiry of their open code if any."""
    people = User.objects.filter(
        is_active=True,
        positions__is_current=True,
        positions__organization__path__startswith=organization.path,
    )
    if not include_signed_in:
        people = people.filter(last_login__isnull=True)
    # Those still without a code first: a list longer than one printing then moves on after each.
    return (
        User.objects.filter(pk__in=people.values("pk"))
        .annotate(code_expires_at=_open_code_expiry())
        .order_by(F("code_expires_at").asc(nulls_first=True), "full_name", "username")
    )


def people_by_ids(ids: Iterable[Any]) -> QuerySet[User]:
    """These people (an import's new people), with `code_expires_at` as above."""
    clean = [int(value) for value in ids if str(value).isdigit()]
    return (
        User.objects.filter(pk__in=clean, is_active=True)
        .annotate(code_expires_at=_open_code_expiry())
        .order_by("full_name", "username")
    )


def _open_code_expiry() -> Subquery:
    open_codes = FirstSignInCode.objects.filter(
        Q(person=OuterRef("pk")), used_at__isnull=True, voided_at__isnull=True
    ).order_by("-issued_at")
    return Subquery(open_codes.values("expires_at")[:1])


def slip_organization_names(people: Sequence[User]) -> dict[int, str]:
    """Each person's current organizations, by name, for the list to choose from (one query)."""
    names: dict[int, list[str]] = defaultdict(list)
    rows = (
        Position.objects.current()
        .filter(person__in=[person.pk for person in people])
        .order_by("organization__path")
        .values_list("person", "organization__name")
    )
    for person_id, name in rows:
        if name not in names[person_id]:
            names[person_id].append(name)
    return {person_id: "、".join(found) for person_id, found in names.items()}
