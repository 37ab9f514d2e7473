"""Demo data: a fictional county's party organizations, people in every role and five demo logins.

`demo_build()` is idempotent: organizations are matched by code and people by login,
so building again creates nothing new. Names, dates and member counts come from
fixed lists and seeded `random.Random` instances, so every build is the same
(Faker is only a development dependency).

中共青山县委员会 (QS, 党委)
├── 中共青山县东湖镇委员会 (QS-DH, 党委): villages and communities QS-DH-01 …
├── 中共青山县西岭乡委员会 (QS-XL, 党委)
├── 中共青山县南河镇委员会 (QS-NH, 党委)
├── 中共青山县直属机关工作委员会 (QS-JG, 党工委): organ branches QS-JG-01 …
└── 青山县城市建设投资集团有限公司党委 (QS-CT, 党委)
    ├── 机关党总支 (QS-CT-G1, 党总支) with branches QS-CT-G1-01 …
    └── subsidiaries' branches QS-CT-01 …
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts import services
from accounts.models import Organization, Position, User

DEMO_PASSWORD = "demo-pass-2026"

DEMO_LOGINS: list[tuple[str, str]] = [
    ("demo-admin", "系统管理员：全部数据、导入组织和人员、后台管理"),
    ("demo-county", "县委组织委员（组织部）：督导中共青山县委员会及全县下级党组织"),
    ("demo-township", "东湖镇党委书记：管理本镇党委，督导所属村、社区党支部"),
    ("demo-secretary", "东湖镇柳塘村党支部书记：责任清单、履责记实、述职报告、整改"),
    ("demo-member", "东湖镇柳塘村党支部党员：查看党务公开、参加民主测评"),
]

Kind = Organization.Kind
Sector = Organization.Sector
Role = Position.Role

# Terms of the current committees (the 2021 round of elections).
TERM_START = date(2021, 10, 1)

COUNTY_CODE = "QS"
FIRST_TOWNSHIP_CODE = "QS-DH"
FIRST_VILLAGE_CODE = "QS-DH-01"


@dataclass(frozen=True)
class DemoPerson:
    login: str
    full_name: str
    phone: str
    email: str = ""


DEMO_PEOPLE: dict[str, DemoPerson] = {
    person.login: person
    for person in (
        DemoPerson("demo-admin", "周文静", "13800000001", "demo-admin@example.org"),
        DemoPerson("demo-county", "王志强", "13800000002"),
        DemoPerson("demo-township", "陈国华", "13800000003"),
        DemoPerson("demo-secretary", "李建国", "13800000004"),
        DemoPerson("demo-member", "赵红梅", "13800000005"),
    )
}

# (login, organization code, role, portfolio) for the demo people who hold a position.
DEMO_POSITIONS: list[tuple[str, str, str, str]] = [
    ("demo-county", COUNTY_CODE, Role.COMMITTEE_MEMBER, "组织委员"),
    ("demo-township", FIRST_TOWNSHIP_CODE, Role.SECRETARY, ""),
    ("demo-secretary", FIRST_VILLAGE_CODE, Role.SECRETARY, ""),
    ("demo-member", FIRST_VILLAGE_CODE, Role.MEMBER, ""),
]

# Common surnames first, so they come up more often.
SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤"
)
_GIVEN_NAMES_TEXT = (
    "建国 建华 建军 国强 国庆 志刚 志勇 志明 卫东 卫国 红梅 红英 秀英 秀兰 秀珍 桂英 桂兰 玉兰 玉梅 丽娟 丽华 "
    "海燕 海涛 文华 文杰 晓东 晓燕 晓明 春花 春生 德华 德明 永强 永红 明辉 俊杰 雪梅 婷婷 振华 淑珍 凤英 金凤 "
    "长青 福生 立新 向东 新民 光明 兰英 冬梅 小平 爱民 学军 庆华 宏伟 建平 利民 少华 佳怡 欣怡 思远 浩然 子涵 "
    "雨涵 宇航 梓轩 嘉豪 诗涵 伟 敏 静 磊 洋 勇 军 杰 娟 涛 明 超 霞 平 刚 鹏 辉 芳 燕 琳 斌 峰 慧"
)
GIVEN_NAMES = _GIVEN_NAMES_TEXT.split()


@dataclass(frozen=True)
class OrgSpec:
    code: str
    name: str
    kind: str
    sector: str
    parent_code: str | None
    established_on: date


def _founded(code: str, first_year: int, last_year: int) -> date:
    rng = random.Random(f"founded:{code}")
    return date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))


TOWNSHIPS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    # (code suffix, township, township kind word, [(branch name, sector)])
    (
        "DH",
        "东湖",
        "镇",
        [
            ("柳塘村", Sector.RURAL),
            ("石桥村", Sector.RURAL),
            ("桃源村", Sector.RURAL),
            ("新城社区", Sector.COMMUNITY),
            ("滨湖社区", Sector.COMMUNITY),
        ],
    ),
    (
        "XL",
        "西岭",
        "乡",
        [
            ("松林村", Sector.RURAL),
            ("茶园村", Sector.RURAL),
            ("高坪村", Sector.RURAL),
            ("龙潭村", Sector.RURAL),
            ("集镇社区", Sector.COMMUNITY),
        ],
    ),
    (
        "NH",
        "南河",
        "镇",
        [
            ("杨柳村", Sector.RURAL),
            ("红旗村", Sector.RURAL),
            ("大庄村", Sector.RURAL),
            ("河西社区", Sector.COMMUNITY),
            ("站前社区", Sector.COMMUNITY),
            ("幸福社区", Sector.COMMUNITY),
        ],
    ),
]

ORGAN_BUREAUS = ["财政局", "教育局", "卫生健康局", "农业农村局", "自然资源局", "人力资源和社会保障局"]


def org_specs() -> list[OrgSpec]:
    """Every demo organization, each after its parent."""
    specs = [OrgSpec(COUNTY_CODE, "中共青山县委员会", Kind.COMMITTEE, "", None, date(1949, 9, 20))]
    for suffix, place, word, branches in TOWNSHIPS:
        code = f"{COUNTY_CODE}-{suffix}"
        specs.append(
            OrgSpec(code, f"中共青山县{place}{word}委员会", Kind.COMMITTEE, "", COUNTY_CODE, _founded(code, 1950, 1958))
        )
        for number, (unit, sector) in enumerate(branches, start=1):
            branch_code = f"{code}-{number:02d}"
            years = (1952, 1985) if sector == Sector.RURAL else (2001, 2016)
            specs.append(
                OrgSpec(
                    branch_code, f"{place}{word}{unit}党支部", Kind.BRANCH, sector, code, _founded(branch_code, *years)
                )
            )

    organ = f"{COUNTY_CODE}-JG"
    specs.append(
        OrgSpec(
            organ, "中共青山县直属机关工作委员会", Kind.WORKING_COMMITTEE, Sector.ORGAN, COUNTY_CODE, date(1984, 6, 1)
        )
    )
    for number, bureau in enumerate(ORGAN_BUREAUS, start=1):
        branch_code = f"{organ}-{number:02d}"
        specs.append(
            OrgSpec(
                branch_code,
                f"青山县{bureau}机关党支部",
                Kind.BRANCH,
                Sector.ORGAN,
                organ,
                _founded(branch_code, 1980, 2019),
            )
        )

    enterprise = f"{COUNTY_CODE}-CT"
    company = "青山县城投集团"
    specs.append(
        OrgSpec(
            enterprise,
            "青山县城市建设投资集团有限公司党委",
            Kind.COMMITTEE,
            Sector.STATE_ENTERPRISE,
            COUNTY_CODE,
            date(2009, 7, 1),
        )
    )
    general = f"{enterprise}-G1"
    specs.append(
        OrgSpec(
            general, f"{company}机关党总支", Kind.GENERAL_BRANCH, Sector.STATE_ENTERPRISE, enterprise, date(2010, 3, 1)
        )
    )
    for number, unit in enumerate(["机关第一党支部", "机关第二党支部", "机关第三党支部"], start=1):
        branch_code = f"{general}-{number:02d}"
        specs.append(
            OrgSpec(
                branch_code,
                f"{company}{unit}",
                Kind.BRANCH,
                Sector.STATE_ENTERPRISE,
                general,
                _founded(branch_code, 2010, 2018),
            )
        )
    for number, unit in enumerate(["水务有限公司党支部", "建设工程有限公司党支部"], start=1):
        branch_code = f"{enterprise}-{number:02d}"
        specs.append(
            OrgSpec(
                branch_code,
                f"{company}{unit}",
                Kind.BRANCH,
                Sector.STATE_ENTERPRISE,
                enterprise,
                _founded(branch_code, 2010, 2018),
            )
        )
    return specs


@dataclass(frozen=True)
class Slot:
    """One position to fill: `login` is a demo login or a generated one (p0001 …)."""

    login: str
    org_code: str
    role: str
    portfolio: str = ""


def _roster(spec: OrgSpec) -> Iterator[tuple[str, str]]:
    """The (role, portfolio) slots of one organization, before demo people take theirs."""
    rng = random.Random(f"roster:{spec.code}")
    yield Role.SECRETARY, ""
    if spec.kind == Kind.BRANCH:
        yield Role.COMMITTEE_MEMBER, "组织委员"
        yield Role.COMMITTEE_MEMBER, "宣传委员"
        members = rng.randint(4, 7)
    else:
        yield Role.DEPUTY, ""
        yield Role.COMMITTEE_MEMBER, "组织委员"
        yield Role.COMMITTEE_MEMBER, "宣传委员"
        yield Role.COMMITTEE_MEMBER, "纪检委员"
        yield Role.STAFF, ""
        members = rng.randint(2, 4)
    for _ in range(members):
        yield Role.MEMBER, ""


def slots(specs: list[OrgSpec]) -> list[Slot]:
    """Every position of the demo tree; generated logins are numbered in tree order."""
    demo_by_slot = {(code, role, portfolio): login for login, code, role, portfolio in DEMO_POSITIONS}
    result: list[Slot] = []
    number = 0
    for spec in specs:
        for role, portfolio in _roster(spec):
            login = demo_by_slot.pop((spec.code, role, portfolio), None)
            if login is None:
                number += 1
                login = f"p{number:04d}"
            result.append(Slot(login, spec.code, role, portfolio))
    # Demo positions that replace no generated slot (e.g. the demo member) come on top.
    result.extend(Slot(login, code, role, portfolio) for (code, role, portfolio), login in demo_by_slot.items())
    return result


def generated_people(logins: list[str]) -> dict[str, DemoPerson]:
    """Chinese names and phone numbers for the generated logins, the same on every build."""
    rng = random.Random("people")
    used = {person.full_name for person in DEMO_PEOPLE.values()}
    people: dict[str, DemoPerson] = {}
    for index, login in enumerate(sorted(logins), start=1):
        while True:
            full_name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
            if full_name not in used:
                break
        used.add(full_name)
        people[login] = DemoPerson(login, full_name, f"1390000{index:04d}")
    return people


@dataclass
class DemoSummary:
    organizations_created: int = 0
    organizations_total: int = 0
    people_created: int = 0
    people_total: int = 0
    positions_created: int = 0
    positions_total: int = 0
    skipped: list[str] = field(default_factory=list)
    """Positions left out because the data already says otherwise (e.g. another secretary)."""

    def __str__(self) -> str:
        return (
            f"演示数据：党组织 {self.organizations_total} 个（新建 {self.organizations_created} 个），"
            f"人员 {self.people_total} 人（新建 {self.people_created} 人），"
            f"任职 {self.positions_total} 条（新建 {self.positions_created} 条）。"
        )


def _organizations(specs: list[OrgSpec], summary: DemoSummary) -> dict[str, Organization]:
    by_code = {org.code: org for org in Organization.objects.filter(code__in=[spec.code for spec in specs])}
    for spec in specs:
        if spec.code in by_code:
            continue
        by_code[spec.code] = services.organization_create(
            name=spec.name,
            code=spec.code,
            kind=spec.kind,
            sector=spec.sector,
            established_on=spec.established_on,
            parent=by_code[spec.parent_code] if spec.parent_code else None,
        )
        summary.organizations_created += 1
    summary.organizations_total = len(by_code)
    return by_code


def _people(logins: list[str], summary: DemoSummary) -> dict[str, User]:
    generated = generated_people([login for login in logins if login not in DEMO_PEOPLE])
    wanted = {**generated, **DEMO_PEOPLE}
    by_login = {user.username: user for user in User.objects.filter(username__in=list(wanted))}
    # Without a usable password nobody signs in as a generated person, so they owe no password change:
    # an administrator who gives one a password makes them owe it then (services.password_reset).
    missing = [
        User(
            username=person.login,
            full_name=person.full_name,
            phone=person.phone,
            email=person.email,
            password=make_password(None),
        )
        for login, person in wanted.items()
        if login not in by_login
    ]
    User.objects.bulk_create(missing, batch_size=500)
    summary.people_created = len(missing)
    by_login.update({user.username: user for user in User.objects.filter(username__in=[u.username for u in missing])})
    summary.people_total = len(by_login)

    # The demo logins always work: one hash (the password is public anyway) keeps this fast.
    password = make_password(DEMO_PASSWORD)
    for login in DEMO_PEOPLE:
        user = by_login[login]
        user.password = password
        user.is_active = True
        if login == "demo-admin":
            user.is_superuser = True
            user.is_staff = True
        # The demo password is public and shared: a forced change (after an administrator's reset,
        # say) would lock every other visitor out of the demo, so the logins never owe one.
        user.must_change_password = False
        user.save(update_fields=["password", "is_active", "is_superuser", "is_staff", "must_change_password"])
    return by_login


def _positions(
    slot_list: list[Slot], orgs: dict[str, Organization], people: dict[str, User], summary: DemoSummary
) -> None:
    current = Position.objects.current().filter(organization__in=list(orgs.values()))
    held = set(current.values_list("person_id", "organization_id", "role"))
    secretaries = dict(current.filter(role=Role.SECRETARY).values_list("organization_id", "person_id"))
    for slot in slot_list:
        person, org = people[slot.login], orgs[slot.org_code]
        if (person.pk, org.pk, slot.role) in held:
            continue
        if slot.role == Role.SECRETARY and secretaries.get(org.pk, person.pk) != person.pk:
            summary.skipped.append(f"{org.name}：已有现任书记，未任命 {person.username}")
            continue
        services.position_assign(
            person=person, organization=org, role=slot.role, portfolio=slot.portfolio, term_start=TERM_START
        )
        held.add((person.pk, org.pk, slot.role))
        if slot.role == Role.SECRETARY:
            secretaries[org.pk] = person.pk
        summary.positions_created += 1
    summary.positions_total = Position.objects.current().filter(organization__in=list(orgs.values())).count()


@transaction.atomic
def demo_build() -> DemoSummary:
    """Builds (or completes) the demo tree, its people and positions; resets the demo logins' passwords."""
    summary = DemoSummary()
    specs = org_specs()
    slot_list = slots(specs)
    orgs = _organizations(specs, summary)
    people = _people(list(dict.fromkeys(slot.login for slot in slot_list)), summary)
    _positions(slot_list, orgs, people, summary)
    return summary


def demo_users() -> list[User]:
    """The demo logins that exist, in the order of DEMO_LOGINS."""
    by_login = {user.username: user for user in User.objects.filter(username__in=[login for login, _ in DEMO_LOGINS])}
    return [by_login[login] for login, _ in DEMO_LOGINS if login in by_login]
