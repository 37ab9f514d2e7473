"""Reads of records and their items' periods, 我的清单 and what waits on the home page."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Organization, Position
from accounts.permissions import Action, can, scope_for, supervised_q
from responsibility import services
from responsibility.models import DutyRecord, Light, ListItem, ResponsibilityList
from responsibility.progress import Span, periods_of, submitted_by_period

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
        .annotate(
            evidence_count=Count("evidence"),
            # A record a held meeting wrote has the meeting as its evidence (services.record_has_evidence).
            from_meeting=Exists(DutyRecord.objects.filter(pk=OuterRef("pk"), meeting_link__isnull=False)),
        )
        .prefetch_related("evidence")
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
