"""Reads that pages and exports share. Each takes the acting user and filters through accounts.permissions."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, Substr
from django.utils import timezone

from accounts.models import Organization, Position
from accounts.permissions import (
    Action,
    can,
    scope_for,
    supervised_q,
    supervises_q,
    visible_q,
)
from responsibility import services
from responsibility.models import (
    ContactPoint,
    ContactVisit,
    DutyRecord,
    DutyType,
    LateMark,
    Light,
    ListItem,
    ListTemplate,
    ListVersion,
    PublicCommitment,
    ResponsibilityList,
    WorkPlan,
    WorkPoint,
)
from responsibility.progress import Span, periods_of, submitted_by_period
from responsibility.versions import Comparison, compare, item_row

# --- lists, work plans, templates, coverage -------------------------------------


def ancestor_or_self_paths(paths: Iterable[str]) -> list[str]:
    """Every prefix path of these: the organizations themselves and all their ancestors (no query)."""
    step = Organization.steplen
    return sorted({path[:end] for path in paths for end in range(step, len(path) + 1, step)})


def _reached_paths(user: Any) -> list[str]:
    """The organizations above or at what the user sees or keeps: their published plans and templates reach the user."""
    scope = scope_for(user)
    return ancestor_or_self_paths([*scope.subtree_roots, *scope.single_paths, *scope.manage_paths])


def work_plans_q(user: Any) -> Q:
    """Plans the user may read: published ones above or within sight, and drafts of committees the user keeps."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    published = Q(published_at__isnull=False) & (
        Q(organization__path__in=_reached_paths(user)) | visible_q(user, "organization__")
    )
    return published | Q(organization__path__in=sorted(scope.manage_paths))


def work_plans_for(user: Any) -> QuerySet[WorkPlan]:
    """The plans the user may read, newest year first, with their point counts."""
    return (
        WorkPlan.objects.filter(work_plans_q(user))
        .select_related("organization")
        .annotate(point_count=Count("points"))
        .order_by("-year", "organization__path")
    )


def work_points_of(plan: WorkPlan) -> list[WorkPoint]:
    return list(plan.points.select_related("category").order_by("category__order", "order", "id"))


def work_points_for_list(organization: Organization, year: int) -> QuerySet[WorkPoint]:
    """Points a list of this organization and year may break down: published plans of the year, at or above it."""
    return (
        WorkPoint.objects.filter(
            plan__year=year,
            plan__published_at__isnull=False,
            plan__organization__path__in=ancestor_or_self_paths([organization.path]),
        )
        .select_related("plan__organization", "category")
        .order_by("plan__organization__depth", "order", "id")
    )


def responsible_choices(organization: Organization) -> QuerySet[Position]:
    """The organization's current positions, secretary first: who may answer for an item."""
    role_rank = Case(
        *(When(role=value, then=Value(rank)) for rank, value in enumerate(Position.Role.values)),
        output_field=IntegerField(),
    )
    return (
        Position.objects.current()
        .filter(organization=organization)
        .select_related("person")
        .annotate(role_rank=role_rank)
        .order_by("role_rank", "id")
    )


def templates_to_start_from(organization: Organization) -> QuerySet[ListTemplate]:
    """Published templates of committees at or above the organization, those of its sector first."""
    if organization.sector:
        sector_rank: Any = Case(When(sector=organization.sector, then=Value(0)), default=Value(1))
    else:
        sector_rank = Value(1)
    return (
        ListTemplate.objects.filter(
            is_published=True, organization__path__in=ancestor_or_self_paths([organization.path])
        )
        .select_related("organization")
        .annotate(sector_rank=sector_rank)
        .order_by("sector_rank", "name", "id")
    )


def list_templates_q(user: Any) -> Q:
    """Templates the user may read: those of committees the user keeps, and published ones above or within sight."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    published = Q(is_published=True) & (
        Q(organization__path__in=ancestor_or_self_paths(scope.manage_paths)) | visible_q(user, "organization__")
    )
    return published | Q(organization__path__in=sorted(scope.manage_paths))


def list_templates_for(user: Any) -> QuerySet[ListTemplate]:
    return (
        ListTemplate.objects.filter(list_templates_q(user))
        .select_related("organization")
        .annotate(item_count=Count("items"))
        .order_by("organization__path", "name", "id")
    )


@dataclass(frozen=True)
class DutyGroup:
    duty_type: str
    label: str
    items: list[ListItem]


def list_item_groups(responsibility_list: ResponsibilityList) -> list[DutyGroup]:
    """The list's items grouped by duty type (主体责任, 第一责任人, 直接责任人, 一岗双责), in one query.

    When the list has 曾逾期 items, each item's late marks come as `item.marks` with a second query.
    """
    items = responsibility_list.items.select_related("category", "work_point", "responsible__person")
    if responsibility_list.late_items:
        items = items.prefetch_related(Prefetch("late_marks", queryset=LateMark.objects.all(), to_attr="marks"))
    fetched = list(items)
    return [
        DutyGroup(duty_type=value, label=str(label), items=[item for item in fetched if item.duty_type == value])
        for value, label in DutyType.choices
    ]


def list_versions_of(responsibility_list: ResponsibilityList) -> QuerySet[ListVersion]:
    return responsibility_list.versions.select_related("approved_by").order_by("number")


def list_revision(
    responsibility_list: ResponsibilityList, groups: Sequence[DutyGroup], versions: Sequence[ListVersion]
) -> Comparison | None:
    """While a revision is open or awaits approval: its items against the last approved version (no query).

    `groups` and `versions` are what the list page already read (list_item_groups, list_versions_of).
    """
    if responsibility_list.status == ResponsibilityList.Status.APPROVED or not versions:
        return None
    approved = versions[-1]
    items = [item for group in groups for item in group.items]
    marks = {item.id: getattr(item, "marks", ()) for item in items}
    return compare(approved.items, [item_row(item) for item in items], against=approved.number, marks=marks)


def version_changes(version: ListVersion) -> Comparison | None:
    """An approved version against the one approved before it (one query); None for the first."""
    previous = version.list.versions.filter(number__lt=version.number).order_by("-number").first()
    if previous is None:
        return None
    return compare(previous.items, version.items, against=previous.number)


def item_late_marks(item: ListItem) -> list[LateMark]:
    """The item's 逾期记录, oldest period first (no query for an item never late)."""
    if not item.was_overdue:
        return []
    return list(item.late_marks.all())


def lists_awaiting_review(user: Any) -> QuerySet[ResponsibilityList]:
    """Submitted lists of organizations the user supervises, oldest submission first."""
    return (
        ResponsibilityList.objects.filter(
            supervised_q(user, "organization__"),
            status=ResponsibilityList.Status.SUBMITTED,
            closed_at__isnull=True,
        )
        .select_related("organization")
        .order_by("submitted_at", "id")
    )


def active_children_of(organization: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(
        path__startswith=organization.path, depth=organization.depth + 1, is_active=True
    ).order_by("path")


@dataclass(frozen=True)
class CoverageRow:
    """One child organization's subtree against a plan's points."""

    organization: Organization
    total: int
    """Active organizations in the child's subtree, the child included."""
    missing_any: int
    """How many of them have not broken down every point."""
    missing_by_point: list[int]
    """For each point, in the order given, how many have not broken it down."""


def plan_coverage(
    plan: WorkPlan, under: Organization, children: Sequence[Organization], points: Sequence[WorkPoint]
) -> list[CoverageRow]:
    """For each child of `under`: who in its subtree has not put the plan's points into their list.

    Two queries whatever the subtree's size: organizations counted per child prefix, and
    covered (child prefix, point) pairs counted per distinct organization.
    """
    if not children:
        return []
    prefix_length = len(children[0].path)
    child_paths = [child.path for child in children]
    plan_items = ListItem.objects.filter(work_point__plan=plan, list__year=plan.year)
    complete_organizations = (
        plan_items.order_by()
        .values("list__organization_id")
        .annotate(points=Count("work_point_id", distinct=True))
        .filter(points__gte=len(points))
        .values("list__organization_id")
    )
    totals = {
        row["child_path"]: row
        for row in Organization.objects.filter(path__startswith=under.path, depth__gt=under.depth, is_active=True)
        .annotate(child_path=Substr("path", 1, prefix_length))
        .filter(child_path__in=child_paths)
        .values("child_path")
        .annotate(total=Count("id"), complete=Count("id", filter=Q(id__in=complete_organizations)))
        .order_by()
    }
    covered: dict[tuple[str, int], int] = {
        (row["child_path"], row["work_point_id"]): row["organizations"]
        for row in plan_items.filter(
            list__organization__path__startswith=under.path,
            list__organization__depth__gt=under.depth,
            list__organization__is_active=True,
        )
        .annotate(child_path=Substr("list__organization__path", 1, prefix_length))
        .filter(child_path__in=child_paths)
        .values("child_path", "work_point_id")
        .annotate(organizations=Count("list__organization_id", distinct=True))
        .order_by()
    }
    rows = []
    for child in children:
        counts = totals.get(child.path, {"total": 0, "complete": 0})
        total = counts["total"]
        rows.append(
            CoverageRow(
                organization=child,
                total=total,
                missing_any=total - counts["complete"] if points else 0,
                missing_by_point=[total - covered.get((child.path, point.id), 0) for point in points],
            )
        )
    return rows


def points_missing_in(plan: WorkPlan, organization: Organization, points: Sequence[WorkPoint]) -> list[WorkPoint]:
    """The points this organization's list of the plan's year has not broken down (one query)."""
    covered = set(
        ListItem.objects.filter(
            work_point__plan=plan, list__organization=organization, list__year=plan.year
        ).values_list("work_point_id", flat=True)
    )
    return [point for point in points if point.id not in covered]


def managed_committees(user: Any) -> QuerySet[Organization]:
    """Committees whose own work the user keeps: where the user may issue plans and templates."""
    paths = sorted(scope_for(user).manage_paths)
    return Organization.objects.filter(path__in=paths, is_active=True).exclude(kind=Organization.Kind.BRANCH)


def coverage_trail(plan: WorkPlan, under: Organization) -> QuerySet[Organization]:
    """The organizations from the plan's organization down to `under`'s parent, for breadcrumbs (one query)."""
    step = Organization.steplen
    paths = [under.path[:end] for end in range(len(plan.organization.path), len(under.path), step)]
    return Organization.objects.filter(path__in=paths).order_by("depth")


# --- records, evidence, my list -------------------------------------------------

LIGHT_ORDER: dict[str, int] = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2}


@dataclass(frozen=True)
class DutyLine:
    """An item on 我的清单, marked when the user is its responsible person (in a position that has not ended)."""

    item: ListItem
    is_mine: bool


@dataclass(frozen=True)
class OrganizationDuties:
    """An organization the user leads, its list for the year (if any) and its items, the most urgent first."""

    organization: Organization
    responsibility_list: ResponsibilityList | None
    lines: list[DutyLine]

    @property
    def mine_count(self) -> int:
        return sum(1 for line in self.lines if line.is_mine)


def led_organizations(user: Any) -> list[Organization]:
    """Organizations where the user holds a leading position now, in tree order (one query)."""
    positions = (
        Position.objects.current()
        .filter(person=user, organization__is_active=True)
        .exclude(role=Position.Role.MEMBER)
        .select_related("organization")
        .order_by("organization__path")
    )
    organizations: dict[int, Organization] = {}
    for position in positions:
        organizations.setdefault(position.organization_id, position.organization)
    return [organization for organization in organizations.values() if can(user, Action.MANAGE, organization)]


def my_duties(user: Any, year: int) -> list[OrganizationDuties]:
    """我的清单: each organization the user leads with its list and items; three queries whatever the size."""
    organizations = led_organizations(user)
    lists = {
        responsibility_list.organization_id: responsibility_list
        for responsibility_list in ResponsibilityList.objects.filter(organization__in=organizations, year=year)
    }
    items_by_list: dict[int, list[ListItem]] = defaultdict(list)
    if lists:
        rows = ListItem.objects.filter(list__in=list(lists.values())).select_related("category", "responsible__person")
        for row in rows:
            items_by_list[row.list_id].append(row)
    duties = []
    for organization in organizations:
        responsibility_list = lists.get(organization.id)
        items = items_by_list.get(responsibility_list.id, []) if responsibility_list else []
        lines = [DutyLine(item=item, is_mine=services.answers_for(user, item)) for item in items]
        # The person's own duties first, then red before yellow before green, then the list's order.
        lines.sort(key=lambda line: (not line.is_mine, LIGHT_ORDER.get(line.item.warning, 3), line.item.order))
        duties.append(OrganizationDuties(organization, responsibility_list, lines))
    return duties


class PeriodOutcome(enum.StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSED = "missed"
    OPEN = "open"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class PeriodProgress:
    """One period of an item's target: what was required, what was done, and how it ended."""

    span: Span
    required: int
    done: int
    outcome: PeriodOutcome
    is_current: bool


def item_periods(item: ListItem, records: Iterable[DutyRecord], *, today: date) -> list[PeriodProgress]:
    """The item's periods with the counting records in each, judged like progress.item_state judges them."""
    year = item.list.year
    spans = periods_of(year, item.target_period, item.due_date)
    counting = [
        (record.occurred_on, timezone.localtime(record.submitted_at).date()) for record in records if record.counts
    ]
    submitted = submitted_by_period(spans, year=year, period=item.target_period, records=counting)
    target = item.target_count
    rows = []
    for span, dates in zip(spans, submitted, strict=True):
        if len(dates) >= target:
            outcome = PeriodOutcome.LATE if dates[target - 1] > span.end else PeriodOutcome.ON_TIME
        elif span.end < today:
            outcome = PeriodOutcome.MISSED
        elif span.start > today:
            outcome = PeriodOutcome.UPCOMING
        else:
            outcome = PeriodOutcome.OPEN
        rows.append(PeriodProgress(span, target, len(dates), outcome, span.start <= today <= span.end))
    return rows


def item_records(item: ListItem) -> QuerySet[DutyRecord]:
    """The item's records, newest first, with who did them and their evidence."""
    return (
        item.records.select_related("done_by", "created_by", "reviewed_by")
        .prefetch_related("evidence")
        .order_by("-occurred_on", "-id")
    )


def records_awaiting_review(user: Any, organization_name: str = "") -> QuerySet[DutyRecord]:
    """Records submitted in the organizations the user supervises, newest first; optionally by organization name."""
    records = (
        DutyRecord.objects.filter(supervised_q(user, "organization__"), status=DutyRecord.Status.SUBMITTED)
        .select_related("organization", "item", "done_by")
        .annotate(evidence_count=Count("evidence"))
        .order_by("-submitted_at", "-id")
    )
    if organization_name:
        records = records.filter(organization__name__icontains=organization_name)
    return records


RETURNED_SHOWN = 5


@dataclass(frozen=True)
class HomeWaiting:
    """What waits for the person on the home page."""

    lists: dict[int, ResponsibilityList]
    """This year's list of each organization the person leads, by organization id."""
    returned_records: list[DutyRecord]
    returned_count: int
    lists_to_approve: int | None
    """Lists submitted in the supervised subtree; None for someone who supervises nothing."""
    records_to_review: int | None


def home_waiting(user: Any, led: Iterable[Organization], year: int) -> HomeWaiting:
    """Counts and the latest returned records for the home page; at most five queries whatever the size."""
    led_ids = [organization.id for organization in led]
    lists: dict[int, ResponsibilityList] = {}
    if led_ids:
        for responsibility_list in ResponsibilityList.objects.filter(organization_id__in=led_ids, year=year):
            lists[responsibility_list.organization_id] = responsibility_list
    # Only those the person may still correct: not the records of a post they have left.
    returned = DutyRecord.objects.filter(
        Q(created_by=user) | Q(done_by=user),
        services.editable_records_q(user),
        status=DutyRecord.Status.RETURNED,
        item__list__closed_at__isnull=True,
    )
    returned_records = list(returned.select_related("item", "organization").order_by("-reviewed_at")[:RETURNED_SHOWN])
    returned_count = returned.count()
    lists_to_approve = records_to_review = None
    if scope_for(user).is_committee:
        supervised = supervised_q(user, "organization__")
        lists_to_approve = ResponsibilityList.objects.filter(
            supervised, status=ResponsibilityList.Status.SUBMITTED
        ).count()
        records_to_review = DutyRecord.objects.filter(supervised, status=DutyRecord.Status.SUBMITTED).count()
    return HomeWaiting(lists, returned_records, returned_count, lists_to_approve, records_to_review)


# --- progress over a subtree, exports, commitments, contact points ----------------

PROGRESS_LIGHTS = ("red", "yellow", "green", "none")
"""The light filter: a colour, or "none" for organizations without a list for the year."""


@dataclass(frozen=True)
class ProgressFilters:
    year: int
    sector: str = ""
    kind: str = ""
    light: str = ""


@dataclass
class ProgressFigures:
    """Totals over a set of organizations and their lists for one year."""

    organizations: int = 0
    lists: int = 0
    draft: int = 0
    submitted: int = 0
    approved: int = 0
    returned: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0
    late: int = 0
    required: int = 0
    done: int = 0

    @property
    def without_list(self) -> int:
        return self.organizations - self.lists

    @property
    def completion(self) -> int:
        return completion_rate(self.done, self.required)

    def add(self, other: ProgressFigures) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def completion_rate(done: int | None, required: int | None) -> int:
    """Percent of required records done, as ResponsibilityList.completion_rate computes it."""
    if not required:
        return 0
    return round(100 * min(done or 0, required) / required)


def _outermost_paths(paths: Sequence[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(root) for root in kept):
            kept.append(path)
    return sorted(kept)


def progress_roots(user: Any) -> list[Organization]:
    """Where a committee's progress page starts: the outermost organizations it leads or supervises."""
    scope = scope_for(user)
    if scope.is_admin:
        return list(Organization.objects.filter(depth=1).order_by("path"))
    paths = _outermost_paths([*scope.supervise_roots, *scope.grant_roots])
    return list(Organization.objects.filter(path__in=paths).order_by("path"))


def may_follow_progress(user: Any, organization: Organization) -> bool:
    """A committee follows its own organization's subtree and every organization it supervises."""
    return can(user, Action.SUPERVISE, organization) or organization.path in scope_for(user).supervise_roots


def _progress_organizations(roots: Sequence[Organization], filters: ProgressFilters) -> QuerySet[Organization]:
    """Active organizations in the roots' subtrees (inclusive) matching the filters, joined to the year's list."""
    in_subtrees = Q(pk__in=[])
    for root in roots:
        in_subtrees |= Q(path__startswith=root.path)
    organizations = (
        Organization.objects.filter(in_subtrees, is_active=True)
        .annotate(
            year_list=FilteredRelation("responsibility_lists", condition=Q(responsibility_lists__year=filters.year))
        )
        .order_by()
    )
    if filters.sector:
        organizations = organizations.filter(sector=filters.sector)
    if filters.kind:
        organizations = organizations.filter(kind=filters.kind)
    if filters.light == "none":
        organizations = organizations.filter(year_list__isnull=True)
    elif filters.light:
        organizations = organizations.filter(year_list__warning=filters.light)
    return organizations


def progress_table(roots: Sequence[Organization], filters: ProgressFilters) -> QuerySet[Organization]:
    """Each matching organization with its year's list figures as `list_*` attributes; one query, by path."""
    return (
        _progress_organizations(roots, filters)
        .annotate(
            list_id=F("year_list__id"),
            list_status=F("year_list__status"),
            list_warning=F("year_list__warning"),
            list_red=F("year_list__red_items"),
            list_yellow=F("year_list__yellow_items"),
            list_green=F("year_list__green_items"),
            list_late=F("year_list__late_items"),
            list_required=F("year_list__required_total"),
            list_done=F("year_list__done_total"),
        )
        .order_by("path")
    )


def list_status_label(status: str | None) -> str:
    """The name of a list's state read as a plain value (the progress table's `list_status`)."""
    return str(ResponsibilityList.Status(status).label) if status else ""


def _group_key(roots: Sequence[Organization]) -> Any:
    if len(roots) == 1:
        # One root: its own row plus one group per child subtree.
        return Substr("path", 1, len(roots[0].path) + Organization.steplen)
    lengths = {len(root.path) for root in roots}
    if len(lengths) == 1:
        return Substr("path", 1, lengths.pop())
    return Case(*(When(path__startswith=root.path, then=Value(root.path)) for root in roots), default=Value(""))


def progress_by_group(roots: Sequence[Organization], filters: ProgressFilters) -> dict[str, ProgressFigures]:
    """Figures per group path in one GROUP BY: per child subtree for one root, per root for several."""
    if not roots:
        return {}
    Status = ResponsibilityList.Status
    rows = (
        _progress_organizations(roots, filters)
        .values(group=_group_key(roots))
        .annotate(
            organizations=Count("id"),
            lists=Count("year_list__id"),
            draft=Count("year_list__id", filter=Q(year_list__status=Status.DRAFT)),
            submitted=Count("year_list__id", filter=Q(year_list__status=Status.SUBMITTED)),
            approved=Count("year_list__id", filter=Q(year_list__status=Status.APPROVED)),
            returned=Count("year_list__id", filter=Q(year_list__status=Status.RETURNED)),
            red=Coalesce(Sum("year_list__red_items"), 0),
            yellow=Coalesce(Sum("year_list__yellow_items"), 0),
            green=Coalesce(Sum("year_list__green_items"), 0),
            late=Coalesce(Sum("year_list__late_items"), 0),
            required=Coalesce(Sum("year_list__required_total"), 0),
            # Over-achievement in one list must not make up for another's shortfall.
            done=Coalesce(Sum(Least("year_list__done_total", "year_list__required_total")), 0),
        )
        .order_by()
    )
    return {row.pop("group"): ProgressFigures(**row) for row in rows}


def committee_children(organization: Organization) -> QuerySet[Organization]:
    """The committees directly below: the subtrees the progress page drills into."""
    return (
        Organization.objects.filter(path__startswith=organization.path, depth=organization.depth + 1, is_active=True)
        .exclude(kind=Organization.Kind.BRANCH)
        .order_by("path")
    )


def list_items_for_export(responsibility_list: ResponsibilityList) -> QuerySet[ListItem]:
    return responsibility_list.items.select_related("category", "work_point", "responsible__person").order_by(
        "order", "id"
    )


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


def contact_point_visits(point: ContactPoint) -> QuerySet[ContactVisit]:
    """The point's visits, newest first, with who recorded them."""
    return point.visits.select_related("created_by").order_by("-visited_on", "-id")


def managed_organizations(user: Any) -> QuerySet[Organization]:
    """The organizations whose own work the user keeps: where the user may write a public commitment."""
    return Organization.objects.filter(path__in=sorted(scope_for(user).manage_paths), is_active=True).order_by("path")


def year_list_of(organization: Organization, year: int) -> ResponsibilityList | None:
    return ResponsibilityList.objects.filter(organization=organization, year=year).first()


def _with_visit_figures(points: QuerySet[ContactPoint]) -> QuerySet[ContactPoint]:
    year_list = ResponsibilityList.objects.filter(organization=OuterRef("organization"), year=OuterRef("year"))
    return points.select_related("member", "organization").annotate(
        visit_count=Count("visits"),
        last_visit=Max("visits__visited_on"),
        list_warning=Subquery(year_list.values("warning")[:1]),
    )


def member_supervises() -> ExpressionWrapper:
    """An annotation of contact points: whether the member still supervises the point's organization, which
    designating it required. False marks one whose position has ended (已离任): the row stays, as history."""
    return ExpressionWrapper(supervises_q("member", "organization__path"), output_field=BooleanField())


def contact_points_of(member: Any, year: int) -> QuerySet[ContactPoint]:
    """The person's own contact points for the year that they still supervise, with visit counts and light."""
    points = ContactPoint.objects.filter(supervised_q(member, "organization__"), member=member, year=year)
    return _with_visit_figures(points).order_by("organization__path")


def contact_points_supervised(user: Any, year: int) -> QuerySet[ContactPoint]:
    """Every contact point of the year inside what the user supervises, each marked whether its member still may act."""
    points = ContactPoint.objects.filter(supervised_q(user, "organization__"), year=year)
    return (
        _with_visit_figures(points)
        .annotate(member_supervises=member_supervises())
        .order_by("organization__path", "member__full_name", "id")
    )


def contact_point_candidates(user: Any, year: int, limit: int = 100) -> list[Organization]:
    """Supervised organizations to choose a contact point from, the weakest (red, then yellow) first."""
    return list(
        Organization.objects.filter(supervised_q(user), is_active=True)
        .annotate(year_list=FilteredRelation("responsibility_lists", condition=Q(responsibility_lists__year=year)))
        .annotate(
            list_warning=F("year_list__warning"),
            weakness=Case(
                When(year_list__warning=Light.RED, then=Value(0)),
                When(year_list__warning=Light.YELLOW, then=Value(1)),
                default=Value(2),
            ),
        )
        .order_by("weakness", "path")[:limit]
    )


def supervised_organization(user: Any, *, pk: Any = None, code: str = "") -> Organization | None:
    """An active organization the user supervises, by id or code; None if it is not (or not theirs)."""
    organizations = Organization.objects.filter(supervised_q(user), is_active=True)
    try:
        if code:
            return organizations.get(code=code.strip())
        return organizations.get(pk=pk)
    except (Organization.DoesNotExist, ValueError, TypeError):
        return None
