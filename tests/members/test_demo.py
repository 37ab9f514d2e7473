"""The demo branch's roll: every status, party groups, a 预备党员 due soon, a 流动党员 with details, a
member without a login; built once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from members import rules
from members.models import Member, PartyGroup, Transfer
from seeding.demo.members import members_demo_build
from seeding.demo.people import FIRST_VILLAGE_CODE, demo_build

pytestmark = pytest.mark.django_db


def test_the_demo_roll_shows_everything_once() -> None:
    demo_build()
    summary = members_demo_build()
    assert summary.created
    roll = Member.objects.filter(organization__code=FIRST_VILLAGE_CODE)
    assert set(roll.current().values_list("status", flat=True)) == set(Member.Status.values)
    assert PartyGroup.objects.filter(organization__code=FIRST_VILLAGE_CODE).count() == 2
    migrant = roll.get(status=Member.Status.MIGRANT)
    assert migrant.migrant_where
    assert migrant.migrant_certificate
    today = timezone.localdate()
    probationary = roll.get(category=Member.Category.PROBATIONARY)
    assert probationary.full_membership_due is not None
    assert rules.is_due_soon(probationary.full_membership_due, today)
    assert roll.filter(person__isnull=True).exists()
    assert roll.get(person__username="demo-secretary")
    assert roll.get(person__username="demo-member")
    assert set(Transfer.objects.values_list("kind", flat=True)) == {Transfer.Kind.IN, Transfer.Kind.OUT}
    before = Member.objects.count()
    assert not members_demo_build().created
    assert Member.objects.count() == before
