"""The roll's history on the audit page (操作日志): personal data for the branch, its committees and the
member themself, never for the branch's other members."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from accounts.audit_views import AuditFilters, audit_rows
from members import audit, services
from members.models import Member
from tests.clients import signed_in
from tests.members.conftest import fields

pytestmark = pytest.mark.django_db


def rows_of(member: Member) -> list[Any]:
    return list(Member.history.filter(id=member.pk).select_related("organization"))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("actor", "reads_own", "reads_other"),
    [
        ("branch_secretary", True, True),
        ("committee_secretary", True, True),
        ("admin", True, True),
        ("branch_member", True, False),
        ("committee_party_member", False, False),
        ("outsider", False, False),
    ],
)
def test_who_reads_a_members_history(
    roll: SimpleNamespace, people: SimpleNamespace, actor: str, reads_own: bool, reads_other: bool
) -> None:
    user = getattr(people, actor)
    # roll.full is branch_member's own entry; roll.probationary is somebody else's.
    assert all((audit.member_fields(user, row) is not None) == reads_own for row in rows_of(roll.full))
    assert all((audit.member_fields(user, row) is not None) == reads_other for row in rows_of(roll.probationary))


def test_the_audit_page_shows_transfers_in_from_outside_to_the_receiving_branch(
    tree: Any, people: SimpleNamespace
) -> None:
    services.member_transfer_in(
        organization=tree.branch, by=people.branch_secretary, on=date(2026, 2, 1), from_text="外县", fields=fields()
    )
    url = reverse("audit_log") + "?model=members.Transfer"
    assert len(signed_in(people.committee_secretary).get(url).context["page"].object_list) == 1
    shown = AuditFilters(model="members.Transfer")
    assert len(audit_rows(people.branch_secretary, shown)) == 1
    assert audit_rows(people.branch_member, shown) == []
