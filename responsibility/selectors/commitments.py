"""公开承诺: the published commitments everyone reads, and where a leader may write one."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Organization
from accounts.permissions import kept_organizations
from responsibility.models import PublicCommitment


def published_commitments(query: str = "") -> QuerySet[PublicCommitment]:
    """党务公开: published commitments of active organizations, newest year first; searchable by name."""
    commitments = PublicCommitment.objects.filter(published_at__isnull=False, organization__is_active=True)
    query = query.strip()
    if query:
        commitments = commitments.filter(organization__name__icontains=query)
    return commitments.select_related("organization").order_by("-year", "organization__path")


def published_commitment(code: str, year: int) -> PublicCommitment | None:
    return (
        PublicCommitment.objects.filter(
            organization__code=code, year=year, published_at__isnull=False, organization__is_active=True
        )
        .select_related("organization", "secretary")
        .first()
    )


def commitment_of(organization: Organization, year: int) -> PublicCommitment | None:
    return PublicCommitment.objects.filter(organization=organization, year=year).first()


def managed_organizations(user: Any) -> QuerySet[Organization]:
    """The organizations whose own work the user keeps: where the user may write a public commitment."""
    return kept_organizations(user)
