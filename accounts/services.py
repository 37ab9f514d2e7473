"""Writes to organizations, people and positions: one function per business action."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, OrganizationUserObjectPermission, Position, User
from accounts.permissions import SUPERVISE_CODENAME
from foundation.errors import DomainError


@transaction.atomic
def organization_create(
    *,
    name: str,
    code: str,
    kind: str,
    parent: Organization | None = None,
    sector: str = "",
    established_on: date | None = None,
) -> Organization:
    """Adds an organization under `parent` (or as a new root)."""
    if Organization.objects.filter(code=code).exists():
        raise DomainError(_("组织代码 %(code)s 已存在。") % {"code": code})
    fields: dict[str, Any] = {
        "name": name,
        "code": code,
        "kind": kind,
        "sector": sector,
        "established_on": established_on,
    }
    if parent is None:
        return Organization.objects.add_root(create_kwargs=fields)
    if parent.kind == Organization.Kind.BRANCH:
        raise DomainError(_("党支部下不能再设下级组织。"))
    # Re-read the parent: treebeard needs its current child count.
    parent = Organization.objects.get(pk=parent.pk)
    return Organization.objects.add_child(parent, create_kwargs=fields)


@transaction.atomic
def password_change(*, person: User, password: str) -> None:
    """A person sets their own password (the password page): any obligation to change it ends, and the
    calendar feed's address issued before it is void."""
    person.set_password(password)
    person.must_change_password = False
    person.password_changed_at = timezone.now()
    person.save(update_fields=["password", "must_change_password", "password_changed_at"])


@transaction.atomic
def password_reset(*, person: User, password: str | None) -> None:
    """Someone else sets a person's password (an administrator, the shell); None turns password sign-in off.

    Whoever set it knows it, so the person must replace it before anything else at their next sign-in;
    the calendar feed's address issued before it is void.
    """
    if password is None:
        person.set_unusable_password()
    else:
        person.set_password(password)
    person.must_change_password = True
    person.password_changed_at = timezone.now()
    person.save(update_fields=["password", "must_change_password", "password_changed_at"])


@transaction.atomic
def position_assign(
    *,
    person: User,
    organization: Organization,
    role: str,
    portfolio: str = "",
    term_start: date | None = None,
) -> Position:
    """Gives a person a current role in an organization; a second current secretary is refused."""
    if role == Position.Role.SECRETARY and (
        Position.objects.current().filter(organization=organization, role=role).exclude(person=person).exists()
    ):
        raise DomainError(_("%(org)s 已有现任书记，请先免去原书记。") % {"org": organization.name})
    existing = Position.objects.current().filter(person=person, organization=organization, role=role).first()
    if existing is not None:
        if existing.portfolio != portfolio:
            existing.portfolio = portfolio
            existing.save(update_fields=["portfolio"])
        return existing
    try:
        with transaction.atomic():
            return Position.objects.create(
                person=person,
                organization=organization,
                role=role,
                portfolio=portfolio,
                term_start=term_start or timezone.localdate(),
            )
    except IntegrityError as clash:
        # Another request assigned a secretary between our check and our insert.
        raise DomainError(_("%(org)s 已有现任书记，请先免去原书记。") % {"org": organization.name}) from clash


@transaction.atomic
def position_end(*, position: Position, on: date | None = None) -> Position:
    """Closes a term; the position stays on record."""
    position.is_current = False
    position.term_end = on or timezone.localdate()
    position.save(update_fields=["is_current", "term_end"])
    return position


@transaction.atomic
def supervision_grant(*, user: User, organization: Organization) -> None:
    """Lets a person supervise an organization and its subtree (e.g. a 组织部 reviewer)."""
    permission = Permission.objects.get(codename=SUPERVISE_CODENAME, content_type__app_label="accounts")
    OrganizationUserObjectPermission.objects.get_or_create(
        user=user, permission=permission, content_object=organization
    )


@transaction.atomic
def supervision_revoke(*, user: User, organization: Organization) -> None:
    OrganizationUserObjectPermission.objects.filter(
        user=user, permission__codename=SUPERVISE_CODENAME, content_object=organization
    ).delete()
