"""The roll as an Excel workbook: the import's columns first, so an export can be edited and read back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from accounts.models import Organization
from foundation.excel import save_workbook, write_table
from members.models import Member

ROLL_COLUMNS = (
    ("姓名", 10),
    ("性别", 6),
    ("民族", 8),
    ("出生日期", 12),
    ("学历", 10),
    ("身份证号", 20),
    ("入党日期", 12),
    ("党员类别", 10),
    ("预计转正日期", 12),
    ("党小组", 12),
    ("工作岗位", 14),
    ("手机", 14),
    ("状态", 10),
    ("流入地", 16),
    ("活动证号", 14),
    ("转入日期", 12),
)


def roll_rows(organization: Organization) -> QuerySet[Member]:
    return Member.objects.current().filter(organization=organization).select_related("party_group").order_by("id")


def _row(member: Member) -> list[Any]:
    return [
        member.name,
        member.get_gender_display(),
        member.ethnicity,
        member.birth_date,
        member.education,
        member.id_number,
        member.joined_on,
        member.get_category_display(),
        member.full_membership_due,
        member.party_group.name if member.party_group else "",
        member.occupation,
        member.phone,
        member.get_status_display(),
        member.migrant_where,
        member.migrant_certificate,
        member.arrived_on,
    ]


def roll_workbook(organization: Organization, members: Iterable[Member]) -> IO[bytes]:
    workbook = Workbook(write_only=True)
    facts = [(_("党组织"), organization.name), (_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M"))]
    rows = ([value.isoformat() if hasattr(value, "isoformat") else value for value in _row(m)] for m in members)
    write_table(workbook.create_sheet(title=_("党员名册")), ROLL_COLUMNS, rows, facts=facts)
    return save_workbook(workbook)
