"""Demo data for the member roll (党员名册) of the demo branch, 东湖镇柳塘村党支部 (demo-secretary's).

Everyone who holds a position in the branch is on its roll with their login; the rest of the roll has
no login (a login is created only when needed). Two party groups; a member in every status, with one
流动党员's details (where, since, contact, 活动证), a 预备党员 due for 转正 next month, one transferred
in from outside and one transferred out. Everything goes through the services; idempotent: nothing is
built when the branch already has a roll.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, Position, User
from members import rules, services
from members.fields import MemberFields, MigrantDetails
from members.models import Member
from seeding.demo.people import FIRST_VILLAGE_CODE

Gender, Category, Status = Member.Gender, Member.Category, Member.Status
# (name, gender, born, joined, education, occupation) of the members without a login.
LOGINLESS = (
    ("刘德福", Gender.MALE, date(1956, 3, 12), date(1982, 7, 1), "初中", "村民"),
    ("张秀兰", Gender.FEMALE, date(1968, 9, 2), date(1995, 6, 20), "高中", "村妇联主席"),
    ("王海涛", Gender.MALE, date(1988, 5, 16), date(2012, 11, 8), "大专", "外出务工"),
    ("陈晓燕", Gender.FEMALE, date(1994, 1, 23), date(2018, 4, 10), "本科", "留学"),
    ("杨永强", Gender.MALE, date(1979, 12, 1), date(2005, 7, 1), "初中", "个体经营"),
    ("赵长青", Gender.MALE, date(1961, 8, 30), date(1990, 3, 15), "小学", "村民"),
    ("孙婷婷", Gender.FEMALE, date(1999, 6, 6), date(2024, 5, 4), "本科", "村文书"),
    ("周振华", Gender.MALE, date(1985, 10, 10), date(2009, 12, 26), "大专", "合作社理事长"),
)


@dataclass
class MembersDemoSummary:
    members: int = 0
    groups: int = 0
    created: bool = False

    def __str__(self) -> str:
        return f"党员名册：党员 {self.members} 名，党小组 {self.groups} 个。"


def demo_id_number(serial: int, born: date) -> str:
    first17 = f"331122{born:%Y%m%d}{serial:03d}"
    return first17 + rules.id_check_digit(first17)


@transaction.atomic
def members_demo_build() -> MembersDemoSummary:
    """Builds the demo branch's roll once."""
    summary = MembersDemoSummary()
    branch = Organization.objects.filter(code=FIRST_VILLAGE_CODE).first()
    secretary = User.objects.filter(username="demo-secretary").first()
    if branch is None or secretary is None or Member.objects.filter(organization=branch).exists():
        summary.members = Member.objects.filter(organization=branch).count() if branch else 0
        return summary
    summary.created = True
    today = timezone.localdate()
    first = services.group_add(organization=branch, by=secretary, name="第一党小组", order=1)
    second = services.group_add(organization=branch, by=secretary, name="第二党小组", order=2)
    groups = [first, second]

    serial = 0

    def add(name: str, gender: str, born: date, joined: date, **extra: object) -> Member:
        nonlocal serial
        serial += 1
        person = extra.pop("person", None)
        fields = MemberFields(
            name=name,
            gender=gender,
            joined_on=joined,
            ethnicity="汉族",
            id_number=demo_id_number(serial, born),
            party_group=groups[serial % 2],
            phone=f"1390000{serial:04d}",
            **extra,  # type: ignore[arg-type]
        )
        return services.member_add(organization=branch, by=secretary, fields=fields, person=person)

    holders = Position.objects.current().filter(organization=branch).select_related("person").order_by("id")
    first_positions = list({position.person_id: position for position in reversed(holders)}.values())[::-1]
    for number, position in enumerate(first_positions):
        person = position.person
        born = date(1965 + number * 3 % 30, 1 + number % 12, 1 + number % 28)
        add(
            person.full_name,
            Gender.FEMALE if number % 3 == 2 else Gender.MALE,
            born,
            date(1990 + number * 2 % 30, 7, 1),
            person=person,
            education="大专",
            occupation=position.get_role_display(),
        )
    loginless = [
        add(name, gender, born, joined, education=education, occupation=occupation)
        for name, gender, born, joined, education, occupation in LOGINLESS
    ]
    migrant, abroad, lost, suspended, leaving = loginless[2], loginless[3], loginless[4], loginless[5], loginless[0]
    services.member_status_change(
        member=migrant,
        by=secretary,
        status=Status.MIGRANT,
        on=today - timedelta(days=200),
        note="外出务工，每月参加流入地党组织活动",
        migrant=MigrantDetails(
            where="浙江省杭州市萧山区某工业园区党委",
            since=today - timedelta(days=200),
            contact="13900001234（微信同号）",
            certificate="LD-2026-0317",
        ),
    )
    services.member_status_change(
        member=abroad, by=secretary, status=Status.ABROAD, on=today - timedelta(days=90), note="出国留学两年"
    )
    services.member_status_change(
        member=lost, by=secretary, status=Status.LOST, on=today - timedelta(days=400), note="半年以上联系不上"
    )
    services.member_status_change(
        member=suspended,
        by=secretary,
        status=Status.SUSPENDED,
        on=today - timedelta(days=30),
        note="连续六个月不参加组织生活",
    )
    # A 预备党员 due for 转正 next month, and one who came in from another county.
    joined = rules.add_months(today, -11)
    add(
        "吴欣怡",
        Gender.FEMALE,
        date(2000, 3, 8),
        joined,
        category=Category.PROBATIONARY,
        full_membership_due=rules.probation_due(joined),
        education="本科",
        occupation="村级后备干部",
    )
    serial += 1
    services.member_transfer_in(
        organization=branch,
        by=secretary,
        on=today - timedelta(days=60),
        from_text="邻县红旗村党支部",
        fields=MemberFields(
            name="郑立新",
            gender=Gender.MALE,
            joined_on=date(2001, 7, 1),
            ethnicity="汉族",
            id_number=demo_id_number(serial, date(1975, 4, 18)),
            party_group=second,
            occupation="种植大户",
        ),
    )
    services.member_transfer_out(
        member=leaving, by=secretary, on=today - timedelta(days=20), to_text="随子女迁往外省，转至当地社区党组织"
    )
    services.group_update(group=first, by=secretary, name=first.name, leader=loginless[1], order=1)
    summary.members = Member.objects.current().filter(organization=branch).count()
    summary.groups = len(groups)
    return summary
