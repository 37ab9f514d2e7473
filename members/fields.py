"""What a form or an import row gives for one member, before the services check it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from members.models import Member, PartyGroup


@dataclass(frozen=True)
class MemberFields:
    name: str
    gender: str
    joined_on: date
    category: str = Member.Category.FULL
    full_membership_due: date | None = None
    ethnicity: str = ""
    birth_date: date | None = None
    education: str = ""
    id_number: str = ""
    party_group: PartyGroup | None = None
    occupation: str = ""
    phone: str = ""
    arrived_on: date | None = None


@dataclass(frozen=True)
class MigrantDetails:
    """Where a 流动党员 is and how the branch reaches them."""

    where: str = ""
    since: date | None = None
    contact: str = ""
    certificate: str = ""
