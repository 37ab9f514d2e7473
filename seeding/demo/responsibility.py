"""Demo data for responsibility lists: this year's work points, templates, lists, records and warnings.

`responsibility_demo_build()` runs after `seeding.demo.people.demo_build()` (see `manage.py seed_demo`)
and fills the demo county for the current year:

- the county committee's published work points (年度工作要点) and 东湖镇's own;
- a published list template per sector (农村, 机关, 国有企业) from the county;
- every organization's list started from the matching template: most approved, some awaiting
  approval, one returned, two drafts (the county itself has nobody above it to approve);
- records over the year, on time, late, accepted, returned with a reason, the demo secretary's
  with small evidence files written through `services.record_add`;
- public commitments, and the county reviewer's contact point with two visits.

Colours depend on today's date. 柳塘村党支部 (demo-secretary) always has a green, a yellow and a
red item, whatever the day: `colour_target` searches for a target that gives the wanted colour
today with the real arithmetic. It also has the browser journey's item, "开展一次主题党日活动"
(not yet done), and a submitted record the township can return ("组织党员学习…"). Its items that a kind of
meeting counts (支委会, 党员大会, 党课) get no typed records: seeding.demo.meetings holds the meetings that
are their records.

Idempotent: a plan, template, list, commitment or contact point that exists is left as it is,
so a second run adds nothing. Random choices come from seeded `random.Random` instances.

Why one long file: it is a script of the demo's year, read top to bottom (the records of one
month after another); split into modules it would only scatter that story.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import Organization, Position, User
from meetings.counting import kind_code_by_rule
from responsibility import progress, services
from responsibility.models import (
    Category,
    ContactPoint,
    DutyRecord,
    DutyType,
    LateMark,
    Light,
    ListItem,
    ListTemplate,
    ListVersion,
    Period,
    PublicCommitment,
    ResponsibilityList,
    WorkPlan,
    WorkPoint,
)
from seeding.demo.people import COUNTY_CODE, FIRST_TOWNSHIP_CODE, FIRST_VILLAGE_CODE

Sector = Organization.Sector
Role = Position.Role
ListStatus = ResponsibilityList.Status
RecordStatus = DutyRecord.Status

JOURNEY_ITEM = "开展一次主题党日活动"
RED_ITEM = "完成上年度组织生活会查摆问题整改"
RETURNABLE_RECORD = "组织党员学习《中国共产党纪律处分条例》，开展交流研讨"
CONTACT_POINT_CODE = "QS-DH-03"

# 政治建设, 思想建设, 组织建设, 作风建设, 纪律建设, 制度建设: the default categories.
COUNTY_POINTS: list[tuple[str, str]] = [
    ("政治建设", "深入学习贯彻党的创新理论，严格落实“第一议题”制度"),
    ("思想建设", "抓好党员干部理论学习和党员教育培训"),
    ("组织建设", "推进基层党组织标准化规范化建设，整顿软弱涣散党组织"),
    ("组织建设", "严格落实“三会一课”、主题党日等组织生活制度"),
    ("作风建设", "深化作风建设，推动解决群众急难愁盼问题"),
    ("纪律建设", "加强党风廉政建设，常态化开展警示教育"),
    ("制度建设", "健全党建工作责任制，落实党组织书记抓党建述职评议考核"),
]
TOWNSHIP_POINTS: list[tuple[str, str]] = [
    ("组织建设", "每月开展主题党日活动，提升组织生活质量"),
    ("思想建设", "开展党员冬训和“学习强镇”集中学习"),
    ("作风建设", "推行党务、村务公开，接受党员群众监督"),
]


@dataclass(frozen=True)
class ItemSpec:
    category: str
    duty_type: str
    content: str
    period: str
    count: int
    # What a record of this item says; one is picked for each record.
    records: tuple[str, ...]


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    sector: str
    items: tuple[ItemSpec, ...]


ORG, FIRST, DIRECT, DUAL = DutyType.ORGANIZATION, DutyType.FIRST, DutyType.DIRECT, DutyType.DUAL
MONTH, QUARTER, HALF, YEAR = Period.MONTH, Period.QUARTER, Period.HALF, Period.YEAR

TEMPLATES: list[TemplateSpec] = [
    TemplateSpec(
        "农村（社区）党组织责任清单模板",
        Sector.RURAL,
        (
            ItemSpec(
                "组织建设",
                ORG,
                "召开支部委员会会议，研究部署党建工作",
                MONTH,
                1,
                ("召开支委会，研究本月党建重点工作", "召开支委会，讨论发展党员和党员管理事项"),
            ),
            ItemSpec(
                "思想建设",
                ORG,
                "组织党员集中学习",
                MONTH,
                1,
                ("组织党员集中学习党章和党内法规", "组织党员集中学习上级会议精神，开展交流发言"),
            ),
            ItemSpec(
                "组织建设",
                ORG,
                "召开党员大会，通报党建工作情况",
                QUARTER,
                1,
                ("召开党员大会，通报本季度党建和村务工作", "召开党员大会，讨论村级重大事项"),
            ),
            ItemSpec(
                "政治建设",
                FIRST,
                "书记为党员讲党课",
                QUARTER,
                1,
                ("书记讲专题党课：发挥党员先锋模范作用", "书记讲党课：学习党史，坚定理想信念"),
            ),
            ItemSpec(
                "政治建设",
                FIRST,
                "专题研究党建工作，听取班子成员履责情况汇报",
                HALF,
                1,
                ("专题研究党建工作，听取班子成员“一岗双责”履职汇报",),
            ),
            ItemSpec(
                "组织建设",
                DIRECT,
                "做好发展党员和党员教育管理工作",
                QUARTER,
                1,
                ("与入党积极分子谈话，了解思想和工作情况", "核对党员信息，督促按时足额交纳党费"),
            ),
            ItemSpec(
                "作风建设",
                DUAL,
                "在分管工作中落实“一岗双责”，开展谈心谈话",
                HALF,
                1,
                ("与分管工作人员开展谈心谈话，提醒廉洁履职",),
            ),
            ItemSpec("纪律建设", DUAL, "组织开展警示教育", YEAR, 1, ("组织党员观看警示教育片，开展讨论",)),
            ItemSpec(
                "制度建设",
                ORG,
                "规范整理“三会一课”等党建工作台账",
                HALF,
                1,
                ("整理“三会一课”会议记录和党费收缴台账",),
            ),
        ),
    ),
    TemplateSpec(
        "机关党组织责任清单模板",
        Sector.ORGAN,
        (
            ItemSpec("组织建设", ORG, "召开支部委员会会议", MONTH, 1, ("召开支委会，研究机关党建和业务工作",)),
            ItemSpec(
                "思想建设",
                ORG,
                "开展理论学习，结合业务工作交流研讨",
                MONTH,
                1,
                ("开展集中学习研讨，结合业务谈体会", "围绕优化营商环境开展学习研讨"),
            ),
            ItemSpec("政治建设", FIRST, "书记讲专题党课", HALF, 1, ("书记讲专题党课：机关党员如何当好表率",)),
            ItemSpec(
                "政治建设",
                FIRST,
                "推动党建与业务工作同谋划、同部署、同考核",
                QUARTER,
                1,
                ("召开会议，同步部署本季度党建和业务工作",),
            ),
            ItemSpec(
                "组织建设",
                DIRECT,
                "落实党员教育管理和组织关系管理",
                QUARTER,
                1,
                ("核对党员组织关系，更新党员信息",),
            ),
            ItemSpec(
                "作风建设",
                DUAL,
                "在分管科室落实“一岗双责”，检查作风建设情况",
                HALF,
                1,
                ("检查分管科室作风建设情况，提出整改要求",),
            ),
            ItemSpec("纪律建设", DUAL, "开展廉政谈话和警示教育", YEAR, 1, ("与分管科室负责人开展廉政谈话",)),
            ItemSpec("制度建设", ORG, "完善机关党建工作制度并督促落实", YEAR, 1, ("修订机关党建工作制度汇编",)),
        ),
    ),
    TemplateSpec(
        "国有企业党组织责任清单模板",
        Sector.STATE_ENTERPRISE,
        (
            ItemSpec("组织建设", ORG, "召开支部委员会会议", MONTH, 1, ("召开支委会，研究生产经营中的党建工作",)),
            ItemSpec(
                "思想建设",
                ORG,
                "开展党员集中学习，围绕生产经营研讨",
                MONTH,
                1,
                ("围绕安全生产开展集中学习研讨", "开展集中学习，交流提质增效的做法"),
            ),
            ItemSpec(
                "政治建设",
                FIRST,
                "落实“第一议题”制度，讲党课",
                QUARTER,
                1,
                ("落实“第一议题”制度，书记讲党课",),
            ),
            ItemSpec(
                "政治建设",
                FIRST,
                "推动党建工作与生产经营深度融合",
                HALF,
                1,
                ("研究党建与生产经营融合的具体措施",),
            ),
            ItemSpec("组织建设", DIRECT, "开展党员先锋岗、责任区创建", QUARTER, 1, ("评选本季度党员先锋岗",)),
            ItemSpec("作风建设", DUAL, "在分管业务领域落实“一岗双责”", HALF, 1, ("检查分管业务领域作风建设情况",)),
            ItemSpec("纪律建设", DUAL, "开展廉洁风险排查和警示教育", HALF, 1, ("开展廉洁风险点排查，组织警示教育",)),
            ItemSpec("制度建设", ORG, "完善“三重一大”决策等制度台账", YEAR, 1, ("整理“三重一大”事项决策台账",)),
        ),
    ),
]
# Communities and the township committees use the rural template; committees without a sector too.
TEMPLATE_FOR_SECTOR = {
    Sector.RURAL: 0,
    Sector.COMMUNITY: 0,
    "": 0,
    Sector.ORGAN: 1,
    Sector.STATE_ENTERPRISE: 2,
}

# Lists not approved: some await approval, one was returned, two are drafts. 幸福社区's draft has no
# records, so the organization can still be deleted (records protect their items).
LIST_STATUS: dict[str, str] = {
    "QS-DH-04": ListStatus.SUBMITTED,
    "QS-XL-03": ListStatus.SUBMITTED,
    "QS-JG-04": ListStatus.SUBMITTED,
    "QS-CT-G1-02": ListStatus.SUBMITTED,
    "QS-XL-05": ListStatus.RETURNED,
    "QS-NH-06": ListStatus.DRAFT,
    COUNTY_CODE: ListStatus.DRAFT,
}
RETURN_COMMENT = "请按县委模板补充“一岗双责”条目，并明确每名班子成员的责任。"
NO_RECORDS = {"QS-NH-06"}
# Approved lists that have not yet linked their items to the county's work points (coverage gaps).
UNLINKED = {"QS-NH-03", "QS-CT-01"}
# A list approved, revised with one more item and approved again: two versions to read.
REVISED = "QS-DH-02"

# How reliably an organization does its work: the share of past periods met, of those met late, of
# current periods met at their very start ("model" organizations are green whatever the day), and
# of reviewed records returned (all but weak organizations then record the work again).
PROFILES: dict[str, tuple[float, float, float, float]] = {
    "model": (1.0, 0.0, 1.0, 0.0),
    "good": (1.0, 0.05, 0.5, 0.03),
    "fair": (1.0, 0.2, 0.2, 0.05),
    "weak": (0.8, 0.3, 0.1, 0.1),
}
PROFILE_OF: dict[str, str] = {
    FIRST_VILLAGE_CODE: "good",
    "QS-JG-01": "model",
    "QS-CT-G1-01": "model",
    "QS-DH-02": "good",
    "QS-NH-01": "good",
    CONTACT_POINT_CODE: "weak",
    "QS-XL-04": "weak",
    "QS-NH-02": "weak",
    "QS-CT-02": "weak",
}


def _profile(code: str) -> str:
    """The listed organizations' profile; for the others, a seeded draw: mostly good or fair."""
    if code in PROFILE_OF:
        return PROFILE_OF[code]
    roll = random.Random(f"profile:{code}").random()
    return "good" if roll < 0.45 else "fair" if roll < 0.85 else "weak"


# How many of 柳塘村's records carry evidence files written through services.record_add.
EVIDENCE_RECORDS = 12
RETURN_REASONS = [
    "记录过于简单，请补充参加人员、议题和会议纪要后重新提交。",
    "佐证材料与记实内容不符，请上传会议记录或活动照片。",
    "未体现研究解决的具体问题，请补充。",
]
COMMITMENTS = [
    "带头落实“三会一课”制度，每季度为党员讲一次党课；带头联系服务群众，每月走访困难党员和群众；"
    "带头廉洁自律，接受党员群众监督。",
    "围绕产业发展抓党建，推动党建与中心工作深度融合；落实“一岗双责”，定期听取班子成员履责汇报；"
    "全年为群众办实事不少于十件。",
    "严格执行民主集中制，重大事项集体研究决定；规范党务公开，按时公开党建工作和清单完成情况。",
]


# Evidence files: small but real, so `filetype` and a viewer recognize them. ---------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def demo_png(colour: tuple[int, int, int], size: int = 16) -> bytes:
    """A plain square PNG of one colour."""
    row = b"\x00" + bytes(colour) * size
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(row * size))
        + _png_chunk(b"IEND", b"")
    )


def demo_pdf(title: str) -> bytes:
    """A one-page PDF with an ASCII title (built by hand: the cross-reference offsets are exact)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _evidence(number: int) -> SimpleUploadedFile:
    if number % 2:
        colour = ((number * 53) % 200 + 40, (number * 97) % 200 + 40, (number * 31) % 200 + 40)
        return SimpleUploadedFile(f"活动照片{number}.png", demo_png(colour), content_type="image/png")
    pdf = demo_pdf(f"Qingshan demo evidence no. {number}")
    return SimpleUploadedFile(f"会议记录{number}.pdf", pdf, content_type="application/pdf")


# Colours that hold whatever the day --------------------------------------------------------------


@dataclass(frozen=True)
class DemoTarget:
    """An item's target and the dates of its records (each submitted on the day)."""

    period: str
    count: int
    due_date: date | None
    records: tuple[date, ...] = ()


def _candidates(light: str, today: date) -> Iterator[DemoTarget]:
    first, last = date(today.year, 1, 1), date(today.year, 12, 31)
    if light == Light.GREEN:
        yield DemoTarget(YEAR, 1, None, (max(first, today - timedelta(days=3)),))
    elif light == Light.RED:
        yield DemoTarget(Period.ONCE, 1, max(first, today - timedelta(days=10)))
        yield DemoTarget(Period.ONCE, 1, today)
    else:
        # A one-off with no record: the share of its time used is (days gone) / (days it runs).
        for end in (today + timedelta(days=days) for days in range((last - today).days + 1)):
            yield DemoTarget(Period.ONCE, 1, end)
        # A yearly count partly done: the gap is the share of the year gone minus the share done.
        for count in range(2, 31):
            for done in range(count):
                yield DemoTarget(
                    YEAR, count, None, tuple(first + (today - first) * step // count for step in range(done))
                )


def colour_target(light: str, today: date, thresholds: progress.Thresholds) -> DemoTarget:
    """A target whose colour on `today` is `light` under these thresholds, found with the real arithmetic."""
    for candidate in _candidates(light, today):
        state = progress.item_state(
            year=today.year,
            period=candidate.period,
            target=candidate.count,
            due_date=candidate.due_date,
            records=[(day, day) for day in candidate.records],
            today=today,
            thresholds=thresholds,
        )
        if state.warning == light:
            return candidate
    raise ValueError(f"No demo target is {light} on {today} with {thresholds}.")


# The build -------------------------------------------------------------------------------------


@dataclass
class ResponsibilityDemoSummary:
    year: int = 0
    lists_created: int = 0
    lists_total: int = 0
    records_created: int = 0
    records_total: int = 0
    colours: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"{self.year} 年责任清单 {self.lists_total} 份（新建 {self.lists_created} 份），"
            f"履责记实 {self.records_total} 条（新建 {self.records_created} 条），"
            f"条目预警：红灯 {self.colours.get(Light.RED, 0)}、黄灯 {self.colours.get(Light.YELLOW, 0)}、"
            f"绿灯 {self.colours.get(Light.GREEN, 0)}。"
        )


@dataclass
class _Context:
    year: int
    today: date
    now: datetime
    orgs: dict[str, Organization]
    by_id: dict[int, Organization]
    categories: dict[str, Category]
    positions: dict[int, list[Position]]
    # Who approves an organization's list and reviews its records; nobody for the county itself.
    reviewers: dict[int, User | None]

    def secretary(self, organization: Organization) -> User:
        return next(p.person for p in self.positions[organization.id] if p.role == Role.SECRETARY)

    def committee_members(self, organization: Organization) -> list[Position]:
        return [p for p in self.positions[organization.id] if p.role == Role.COMMITTEE_MEMBER]

    def moment(self, day: date, hour: int) -> datetime:
        """That day at that hour, never later than now."""
        return min(timezone.make_aware(datetime.combine(day, time(hour, 17))), self.now)


DEFAULT_CATEGORIES = ["政治建设", "思想建设", "组织建设", "作风建设", "纪律建设", "制度建设"]


def _categories() -> dict[str, Category]:
    """The six default categories; the first migration creates them, but a flushed test database has none."""
    categories = {category.name: category for category in Category.objects.all()}
    for order, name in enumerate(DEFAULT_CATEGORIES, start=1):
        if name not in categories:
            categories[name] = Category.objects.create(name=name, order=order)
    return categories


def _context() -> _Context:
    today = timezone.localdate()
    demo_codes = Q(code=COUNTY_CODE) | Q(code__startswith=f"{COUNTY_CODE}-")
    orgs = {org.code: org for org in Organization.objects.filter(demo_codes).order_by("path")}
    positions: dict[int, list[Position]] = defaultdict(list)
    for position in Position.objects.current().filter(organization__in=list(orgs.values())).select_related("person"):
        positions[position.organization_id].append(position)
    by_path = {org.path: org for org in orgs.values()}
    county_reviewer = User.objects.get(username="demo-county")
    reviewers: dict[int, User | None] = {}
    for org in orgs.values():
        parent = by_path.get(org.parent_path())
        if parent is None or org.depth == 1:
            reviewers[org.id] = None
        elif parent.code == COUNTY_CODE:
            # The county's organization department reviews the townships, the organ and the enterprise.
            reviewers[org.id] = county_reviewer
        else:
            reviewers[org.id] = next(p.person for p in positions[parent.id] if p.role == Role.SECRETARY)
    return _Context(
        year=today.year,
        today=today,
        now=timezone.now(),
        orgs=orgs,
        by_id={org.id: org for org in orgs.values()},
        categories=_categories(),
        positions=positions,
        reviewers=reviewers,
    )


def _plan(ctx: _Context, organization: Organization, title: str, points: list[tuple[str, str]]) -> WorkPlan:
    existing = WorkPlan.objects.filter(organization=organization, year=ctx.year).first()
    if existing is not None:
        return existing
    by = ctx.secretary(organization)
    plan = services.work_plan_create(organization=organization, year=ctx.year, title=title, by=by)
    for category, text in points:
        services.work_point_add(plan=plan, category=ctx.categories[category], text=text, by=by)
    return services.work_plan_publish(plan=plan, by=by)


def _templates(ctx: _Context) -> list[ListTemplate]:
    county = ctx.orgs[COUNTY_CODE]
    by = User.objects.get(username="demo-county")
    templates = []
    for spec in TEMPLATES:
        template = ListTemplate.objects.filter(organization=county, name=spec.name).first()
        if template is None:
            template = services.template_create(organization=county, name=spec.name, sector=spec.sector, by=by)
            for item in spec.items:
                services.template_item_add(
                    template=template,
                    category=ctx.categories[item.category],
                    duty_type=item.duty_type,
                    content=item.content,
                    target_period=item.period,
                    target_count=item.count,
                    by=by,
                )
            services.template_publish(template=template, by=by)
        templates.append(template)
    return templates


def _start_lists(
    ctx: _Context, organizations: list[Organization], templates: list[ListTemplate]
) -> list[ResponsibilityList]:
    """Every missing list from its sector's template: 柳塘村's through the service, the rest in bulk (fast)."""
    lists = [
        services.list_start(
            organization=organization,
            year=ctx.year,
            by=ctx.secretary(organization),
            template=templates[TEMPLATE_FOR_SECTOR.get(organization.sector, 0)],
        )
        for organization in organizations
        if organization.code == FIRST_VILLAGE_CODE
    ]
    bulk = ResponsibilityList.objects.bulk_create(
        ResponsibilityList(
            organization=organization,
            year=ctx.year,
            template=templates[TEMPLATE_FOR_SECTOR.get(organization.sector, 0)],
        )
        for organization in organizations
        if organization.code != FIRST_VILLAGE_CODE
    )
    sources = {template.id: list(template.items.all()) for template in templates}
    ListItem.objects.bulk_create(
        (
            ListItem(
                list=responsibility_list,
                category_id=source.category_id,
                duty_type=source.duty_type,
                content=source.content,
                target_period=source.target_period,
                target_count=source.target_count,
                order=source.order,
            )
            for responsibility_list in bulk
            for source in sources[responsibility_list.template_id or 0]
        ),
        batch_size=500,
    )
    for responsibility_list in bulk:
        responsibility_list.organization = ctx.by_id[responsibility_list.organization_id]
    return lists + bulk


def _responsible(ctx: _Context, organization: Organization, item: ListItem) -> Position | None:
    """The secretary for 第一责任人, the deputy (else the 组织委员) for 直接责任人, a committee member for 一岗双责."""
    positions = ctx.positions[organization.id]

    def first(role: str, portfolio: str | None = None) -> Position | None:
        return next((p for p in positions if p.role == role and portfolio in (None, p.portfolio)), None)

    members = ctx.committee_members(organization)
    if item.duty_type == FIRST:
        return first(Role.SECRETARY)
    if item.duty_type == DIRECT:
        return first(Role.DEPUTY) or first(Role.COMMITTEE_MEMBER, "组织委员") or first(Role.SECRETARY)
    if item.duty_type == DUAL and members:
        if item.category.name == "纪律建设":
            return first(Role.COMMITTEE_MEMBER, "纪检委员") or members[item.order % len(members)]
        return members[item.order % len(members)]
    return None


def _assign_people_and_points(ctx: _Context, lists: list[ResponsibilityList], plan: WorkPlan) -> None:
    """Gives every item but the organization's a responsible person, and links items to the county's points."""
    points_by_category: dict[int, list[WorkPoint]] = defaultdict(list)
    for point in plan.points.all():
        points_by_category[point.category_id].append(point)
    items = list(ListItem.objects.filter(list__in=lists).select_related("category").order_by("list_id", "order"))
    organization_of = {responsibility_list.id: responsibility_list.organization for responsibility_list in lists}
    used: dict[tuple[int, int], int] = defaultdict(int)
    for item in items:
        organization = organization_of[item.list_id]
        if item.responsible_id is None:
            item.responsible = _responsible(ctx, organization, item)
        points = points_by_category.get(item.category_id, [])
        linked = LIST_STATUS.get(organization.code, ListStatus.APPROVED) == ListStatus.APPROVED
        if points and linked and organization.code not in UNLINKED:
            key = (item.list_id, item.category_id)
            item.work_point = points[used[key] % len(points)]
            used[key] += 1
    ListItem.objects.bulk_update(items, ["responsible", "work_point"], batch_size=500)


def _village_items(
    ctx: _Context, responsibility_list: ResponsibilityList, township_plan: WorkPlan
) -> dict[str, DemoTarget]:
    """柳塘村's own items: the journey's, and one green, one yellow, one red whatever the day.

    Returns the targets whose records must be exactly theirs, by item content.
    """
    by = ctx.secretary(responsibility_list.organization)
    thresholds = progress.Thresholds.from_settings()
    services.list_item_add(
        responsibility_list=responsibility_list,
        category=ctx.categories["组织建设"],
        duty_type=FIRST,
        content=JOURNEY_ITEM,
        target_period=Period.ONCE,
        target_count=1,
        due_date=min(ctx.today + timedelta(days=14), date(ctx.year, 12, 31)),
        work_point=township_plan.points.filter(category__name="组织建设").first(),
        by=by,
    )
    targets: dict[str, DemoTarget] = {}
    for light, category, duty_type, content in [
        (Light.RED, "制度建设", ORG, RED_ITEM),
        (Light.YELLOW, "组织建设", ORG, "开展党员志愿服务活动"),
        (Light.GREEN, "作风建设", FIRST, "公开一次党务工作情况，接受党员群众监督"),
    ]:
        target = colour_target(light, ctx.today, thresholds)
        if target.period == Period.ONCE and light == Light.YELLOW:
            content = "完成党员档案和组织关系排查核对"
        services.list_item_add(
            responsibility_list=responsibility_list,
            category=ctx.categories[category],
            duty_type=duty_type,
            content=content,
            target_period=target.period,
            target_count=target.count,
            due_date=target.due_date,
            by=by,
        )
        targets[content] = target
    return targets


def _lifecycle(ctx: _Context, responsibility_list: ResponsibilityList) -> None:
    organization = responsibility_list.organization
    status = LIST_STATUS.get(organization.code, ListStatus.APPROVED)
    reviewer = ctx.reviewers[organization.id]
    if status == ListStatus.DRAFT or reviewer is None:
        return
    secretary = ctx.secretary(organization)
    services.list_submit(responsibility_list=responsibility_list, by=secretary)
    if status == ListStatus.RETURNED:
        services.list_return(responsibility_list=responsibility_list, by=reviewer, comment=RETURN_COMMENT)
    elif status == ListStatus.APPROVED:
        services.list_approve(responsibility_list=responsibility_list, by=reviewer, comment="同意。")
        if organization.code == REVISED:
            revised = services.list_revise(responsibility_list=responsibility_list, by=secretary)
            services.list_item_add(
                responsibility_list=revised,
                category=ctx.categories["组织建设"],
                duty_type=ORG,
                content="推行党员积分制管理，每季度公示积分",
                target_period=QUARTER,
                target_count=1,
                by=secretary,
            )
            services.list_submit(responsibility_list=revised, by=secretary)
            services.list_approve(responsibility_list=revised, by=reviewer, comment="同意修订。")


def _backdate_reviews(ctx: _Context, lists: list[ResponsibilityList]) -> None:
    """The first versions were submitted and approved early in the year, not a moment ago."""
    submitted = ctx.moment(min(ctx.today, date(ctx.year, 1, 10)), 9)
    reviewed = ctx.moment(min(ctx.today, date(ctx.year, 1, 15)), 15)
    ids = [responsibility_list.id for responsibility_list in lists]
    ResponsibilityList.objects.filter(id__in=ids, submitted_at__isnull=False, version=1).update(submitted_at=submitted)
    ResponsibilityList.objects.filter(id__in=ids, reviewed_at__isnull=False, version=1).update(reviewed_at=reviewed)
    ListVersion.objects.filter(list_id__in=ids, number=1).update(approved_at=reviewed)


@dataclass
class _Planned:
    item: ListItem
    occurred_on: date
    submitted_on: date
    content: str
    status: str = RecordStatus.SUBMITTED
    review_reason: str = ""
    personal_action: str = ""


def _planned_records(
    ctx: _Context, item: ListItem, phrases: tuple[str, ...], rng: random.Random, profile: str
) -> list[_Planned]:
    """Records for the periods so far: most met, some late, the current one perhaps not yet."""
    met_past, late_share, met_current, returned_share = PROFILES[profile]
    reviewed = ctx.reviewers[item.list.organization_id] is not None
    planned = []
    for span in progress.periods_of(ctx.year, item.target_period, item.due_date):
        if span.start > ctx.today:
            break
        current = ctx.today <= span.end
        # The further into the current period, the likelier its work is done already.
        used = ((ctx.today - span.start).days + 1) / span.days if current else 1.0
        if rng.random() >= used * met_past + (1 - used) * met_current:
            continue
        last_day = min(span.end, ctx.today)
        late = not current and rng.random() < late_share
        for _ in range(item.target_count):
            occurred = span.start + timedelta(days=rng.randint(0, (last_day - span.start).days))
            if late:
                submitted = min(span.end + timedelta(days=rng.randint(1, 12)), ctx.today)
            else:
                submitted = min(occurred + timedelta(days=rng.randint(0, 3)), last_day)
            record = _Planned(item, occurred, submitted, rng.choice(phrases))
            if item.duty_type == FIRST and rng.random() < 0.6:
                record.personal_action = rng.choice(DutyRecord.PersonalAction.values)
            planned.append(record)
            # Reviewers catch up within a week; a few records come back as too thin.
            if reviewed and (ctx.today - submitted).days > 7:
                roll = rng.random()
                if roll < returned_share:
                    record.status, record.review_reason = RecordStatus.RETURNED, rng.choice(RETURN_REASONS)
                    if profile != "weak":
                        again = min(submitted + timedelta(days=3), ctx.today)
                        planned.append(_Planned(item, occurred, again, f"{record.content}（补充材料后重新记实）"))
                elif roll < 0.85:
                    record.status = RecordStatus.ACCEPTED
    return planned


def _village_records(
    ctx: _Context, item: ListItem, phrases: tuple[str, ...], targets: dict[str, DemoTarget]
) -> list[_Planned]:
    """柳塘村: the colour items get exactly their target's records, the one-offs none, the rest a good year's."""
    target = targets.get(item.content)
    if target is not None:
        return [_Planned(item, day, day, f"{item.content}（{day.month}月{day.day}日）") for day in target.records]
    if item.target_period == Period.ONCE:
        return []
    planned = _planned_records(ctx, item, phrases, random.Random(f"village:{item.content}"), "good")
    old = [entry for entry in planned if (ctx.today - entry.submitted_on).days > 7 and item.target_count == 1]
    if item.target_period == QUARTER and item.duty_type == ORG and old:
        # One record came back as too thin; the branch recorded the meeting again, three days later.
        returned = old[0]
        returned.status, returned.review_reason = RecordStatus.RETURNED, RETURN_REASONS[0]
        again = min(returned.submitted_on + timedelta(days=3), ctx.today)
        planned.append(_Planned(item, returned.occurred_on, again, f"{returned.content}（补充会议纪要）"))
    return planned


def _done_by(ctx: _Context, item: ListItem) -> User:
    if item.responsible is not None:
        return item.responsible.person
    return ctx.secretary(ctx.by_id[item.list.organization_id])


def _set_review(ctx: _Context, record: DutyRecord, planned: _Planned) -> None:
    record.status = planned.status
    record.submitted_at = ctx.moment(planned.submitted_on, 10)
    if planned.status != RecordStatus.SUBMITTED:
        record.reviewed_by = ctx.reviewers[record.organization_id]
        record.reviewed_at = ctx.moment(min(planned.submitted_on + timedelta(days=2), ctx.today), 16)
        record.review_reason = planned.review_reason


def _bulk_records(ctx: _Context, planned: list[_Planned]) -> int:
    records = []
    for entry in planned:
        person = _done_by(ctx, entry.item)
        record = DutyRecord(
            item=entry.item,
            organization_id=entry.item.list.organization_id,
            occurred_on=entry.occurred_on,
            content=entry.content,
            done_by=person,
            created_by=person,
            personal_action=entry.personal_action,
        )
        _set_review(ctx, record, entry)
        records.append(record)
    return len(DutyRecord.objects.bulk_create(records, batch_size=500))


def _records_with_evidence(ctx: _Context, planned: list[_Planned]) -> int:
    """Records through the service, evidence files and all; then their dates are set back."""
    records = []
    for number, entry in enumerate(planned, start=1):
        person = _done_by(ctx, entry.item)
        record = services.record_add(
            item=entry.item,
            occurred_on=entry.occurred_on,
            content=entry.content,
            done_by=person,
            by=person,
            personal_action=entry.personal_action,
            files=[_evidence(number)] if number % 4 else [],
        )
        _set_review(ctx, record, entry)
        records.append(record)
    DutyRecord.objects.bulk_update(
        records, ["status", "submitted_at", "reviewed_by", "reviewed_at", "review_reason"], batch_size=500
    )
    return len(records)


def _records(ctx: _Context, lists: list[ResponsibilityList], targets: dict[str, DemoTarget]) -> int:
    phrases = {item.content: item.records for template in TEMPLATES for item in template.items}
    items = ListItem.objects.filter(list__in=lists).select_related("list", "responsible__person").order_by("id")
    bulk: list[_Planned] = []
    village: list[_Planned] = []
    for item in items:
        code = ctx.by_id[item.list.organization_id].code
        said = phrases.get(item.content, (item.content,))
        if code in NO_RECORDS:
            continue
        if code == FIRST_VILLAGE_CODE:
            # One entry: the branch's meetings (seeding.demo.meetings) are the records of the items a kind
            # of meeting counts, so nobody types them there a second time.
            if kind_code_by_rule(item.content) is None:
                village.extend(_village_records(ctx, item, said, targets))
        else:
            rng = random.Random(f"records:{code}:{item.content}")
            bulk.extend(_planned_records(ctx, item, said, rng, _profile(code)))
    # The newest of 柳塘村's records go through the service with their evidence files; that is slower.
    village.sort(key=lambda entry: (entry.submitted_on, entry.occurred_on))
    with_files = village[-EVIDENCE_RECORDS:]
    created = _bulk_records(ctx, bulk + village[: len(village) - len(with_files)])
    created += _records_with_evidence(ctx, with_files)
    # The records were written "then", not now.
    DutyRecord.objects.filter(item__list__in=lists).update(created_at=F("submitted_at"))
    return created


def _returnable_record(ctx: _Context, village: ResponsibilityList) -> None:
    """The newest record awaiting review: the township returns it in the browser journey."""
    item = village.items.select_related("list").get(content="组织党员集中学习")
    secretary = ctx.secretary(village.organization)
    services.record_add(
        item=item,
        occurred_on=ctx.today,
        content=RETURNABLE_RECORD,
        done_by=secretary,
        by=secretary,
        files=[SimpleUploadedFile("学习记录.pdf", demo_pdf("Study session"), content_type="application/pdf")],
    )


def _commitments(ctx: _Context) -> None:
    """Two organizations in three make a commitment, half of those publish it; 柳塘村 always does."""
    existing = set(PublicCommitment.objects.filter(year=ctx.year).values_list("organization_id", flat=True))
    for number, organization in enumerate(ctx.orgs.values()):
        village = organization.code == FIRST_VILLAGE_CODE
        if organization.id in existing or organization.code in NO_RECORDS or (number % 3 == 2 and not village):
            continue
        services.commitment_save(
            organization=organization,
            year=ctx.year,
            text=COMMITMENTS[number % len(COMMITMENTS)],
            publish=village or number % 3 == 0,
            by=ctx.secretary(organization),
        )


def _contact_point(ctx: _Context) -> None:
    """The county reviewer takes the weak 桃源村 as a contact point and has been there twice."""
    member = User.objects.get(username="demo-county")
    weak = ctx.orgs[CONTACT_POINT_CODE]
    if ContactPoint.objects.filter(member=member, organization=weak, year=ctx.year).exists():
        return
    point = services.contact_point_designate(
        member=member,
        organization=weak,
        year=ctx.year,
        reason="党员大会和组织生活不经常，班子凝聚力不强，列为软弱涣散党组织整顿对象。",
        by=member,
    )
    first = date(ctx.year, 1, 1)
    for days_ago, summary, problems in [
        (40, "到村召开班子座谈会，逐一谈心谈话，帮助理清整顿思路。", "支委会会议记录不全；党员大会只开了两次。"),
        (8, "参加支部主题党日，督导整改台账，指导规范“三会一课”。", "个别党员长期不参加组织生活。"),
    ]:
        services.contact_visit_add(
            contact_point=point,
            visited_on=max(first, ctx.today - timedelta(days=days_ago)),
            summary=summary,
            problems=problems,
            by=member,
        )


@transaction.atomic
def responsibility_demo_build() -> ResponsibilityDemoSummary:
    """This year's work points, templates, lists, records, commitments and contact point for the demo county."""
    ctx = _context()
    summary = ResponsibilityDemoSummary(year=ctx.year)
    plan = _plan(ctx, ctx.orgs[COUNTY_CODE], f"中共青山县委员会{ctx.year}年党建工作要点", COUNTY_POINTS)
    township_plan = _plan(ctx, ctx.orgs[FIRST_TOWNSHIP_CODE], f"东湖镇党委{ctx.year}年党建工作要点", TOWNSHIP_POINTS)
    templates = _templates(ctx)

    existing = set(ResponsibilityList.objects.filter(year=ctx.year).values_list("organization_id", flat=True))
    created = _start_lists(ctx, [org for org in ctx.orgs.values() if org.id not in existing], templates)
    if created:
        _assign_people_and_points(ctx, created, plan)
        village = next((rl for rl in created if rl.organization.code == FIRST_VILLAGE_CODE), None)
        targets = _village_items(ctx, village, township_plan) if village is not None else {}
        for responsibility_list in created:
            _lifecycle(ctx, responsibility_list)
        _backdate_reviews(ctx, created)
        summary.records_created = _records(ctx, created, targets)
        if village is not None:
            _returnable_record(ctx, village)
            summary.records_created += 1
    _commitments(ctx)
    _contact_point(ctx)

    if created:
        # The services judged 柳塘村's items while this made-up year was still being written, before its
        # records were in and dated back: those marks record a past that never happened. The year's marks
        # are what the refresh below finds in the finished record (lists made by an earlier run keep theirs).
        LateMark.objects.filter(list__in=created).delete()
    demo_lists = ResponsibilityList.objects.filter(year=ctx.year, organization__in=list(ctx.orgs.values()))
    items = ListItem.objects.filter(list__in=demo_lists)
    progress.refresh_items(items)
    summary.lists_created = len(created)
    summary.lists_total = demo_lists.count()
    summary.records_total = DutyRecord.objects.filter(item__list__in=demo_lists).count()
    summary.colours = dict(items.order_by().values_list("warning").annotate(count=Count("id")))
    return summary
