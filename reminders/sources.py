"""The six kinds of deadline the product has, each read as a Source: list items (`next_due`), meetings due
by the frequency rules (组织生活), duty reports, scoring, ballot windows and rectification tasks, with the
people who answer for each row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accounts import permissions
from accounts.models import Position
from meetings.models import KindYear
from rectification.models import RectificationTask
from reminders.deadlines import Deadline, Leaders, Mine, Role, Words, clipped, people_of
from responsibility.models import DutyType, ListItem
from reviews.models import Cycle, DutyReport, ReviewerAssignment

# A source reads its open rows as dicts of the few values a deadline needs (model instances with
# their related rows cost more than the rest of a day's sweep over a province). Every row has its
# id as "pk" and its organization's path and name as "org_path" and "org_name".


@dataclass(frozen=True)
class Source:
    """One kind of deadline: its open rows, where their date is, and how a row becomes a Deadline."""

    name: str
    due_field: str
    rows: Callable[[date], QuerySet[Any, Any]]
    deadline: Callable[[dict[str, Any], Leaders, Words], Deadline]
    mine: Callable[[Mine], Q]


def _organization_of(prefix: str) -> dict[str, F]:
    return {"org_path": F(f"{prefix}path"), "org_name": F(f"{prefix}name")}


def _item_rows(today: date) -> QuerySet[Any, Any]:
    return ListItem.objects.filter(
        list__closed_at__isnull=True, next_due__isnull=False, list__organization__is_active=True
    ).values(
        "pk",
        "next_due",
        "content",
        "duty_type",
        "responsible_id",
        responsible_is_current=F("responsible__is_current"),
        responsible_person=F("responsible__person_id"),
        responsible_is_active=F("responsible__person__is_active"),
        **_organization_of("list__organization__"),
    )


def _item_deadline(item: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    # 主体责任 is the organization's own: its secretary answers for it, as for an item whose
    # responsible person has left the post.
    if (
        item["duty_type"] != DutyType.ORGANIZATION
        and item["responsible_id"] is not None
        and item["responsible_is_current"]
        and item["responsible_is_active"]
    ):
        owners = [item["responsible_person"]]
    else:
        owners = leaders.secretary(item["org_path"])
    return Deadline(
        key=f"item:{item['pk']}:{item['next_due'].isoformat()}",
        due=item["next_due"],
        kind="reminder.item",
        subject="item",
        params={"content": clipped(item["content"])},
        organization=item["org_name"],
        url=words.url("item_detail", item["pk"]),
        people=people_of((Role.OWNER, owners)),
    )


def _report_rows(today: date) -> QuerySet[Any, Any]:
    return DutyReport.objects.filter(
        cycle__status=Cycle.Status.OPEN,
        status__in=[DutyReport.Status.DRAFT, DutyReport.Status.RETURNED],
        organization__is_active=True,
    ).values("pk", due=F("cycle__report_due"), cycle_title=F("cycle__title"), **_organization_of("organization__"))


def _report_deadline(report: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    return Deadline(
        key=f"report:{report['pk']}",
        due=report["due"],
        kind="reminder.report",
        subject="report",
        params={"cycle": clipped(report["cycle_title"])},
        organization=report["org_name"],
        url=words.url("report_edit", report["pk"]),
        people=people_of((Role.OWNER, leaders.secretary(report["org_path"]))),
    )


def _scoring_rows(today: date) -> QuerySet[Any, Any]:
    # An assignment asks something of its reviewer only while they supervise the report's organization:
    # one whose position has ended is neither reminded nor shown the deadline in their calendar.
    return ReviewerAssignment.objects.filter(
        permissions.supervises_q("reviewer", "report__organization__path"),
        submitted_at__isnull=True,
        report__status=DutyReport.Status.SUBMITTED,
        report__cycle__status=Cycle.Status.OPEN,
    ).values(
        "pk",
        "reviewer_id",
        due=F("report__cycle__scoring_due"),
        reviewer_is_active=F("reviewer__is_active"),
        **_organization_of("report__organization__"),
    )


def _scoring_deadline(assignment: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    return Deadline(
        key=f"scoring:{assignment['pk']}",
        due=assignment["due"],
        kind="reminder.scoring",
        subject="scoring",
        params={"organization": clipped(assignment["org_name"])},
        organization=assignment["org_name"],
        url=words.url("report_score", assignment["pk"]),
        people=people_of((Role.OWNER, [assignment["reviewer_id"]] if assignment["reviewer_is_active"] else [])),
    )


def _ballot_rows(today: date) -> QuerySet[Any, Any]:
    # A closed window asks nothing more of anyone: no reminders after it.
    return Cycle.objects.filter(
        status=Cycle.Status.OPEN, ballot_closes__gte=today, organization__is_active=True
    ).values("pk", "ballot_closes", "title", **_organization_of("organization__"))


def _ballot_deadline(cycle: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    return Deadline(
        key=f"ballot:{cycle['pk']}",
        due=cycle["ballot_closes"],
        kind="reminder.ballot",
        subject="ballot",
        params={"cycle": clipped(cycle["title"])},
        organization=cycle["org_name"],
        url=words.url("ballot_codes", cycle["pk"]),
        people=people_of((Role.OWNER, leaders.leading.get(cycle["org_path"], []))),
        remind_after=False,
    )


def _task_rows(today: date) -> QuerySet[Any, Any]:
    in_office = Position.objects.current().filter(person=OuterRef("responsible"), organization=OuterRef("organization"))
    return (
        RectificationTask.objects.exclude(status=RectificationTask.Status.ACCEPTED)
        .filter(organization__is_active=True)
        .values(
            "pk",
            "deadline",
            "title",
            "responsible_id",
            responsible_is_active=F("responsible__is_active"),
            responsible_in_office=Exists(in_office),
            responsible_name=F("responsible__full_name"),
            responsible_username=F("responsible__username"),
            **_organization_of("organization__"),
        )
    )


def _task_deadline(task: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    path = task["org_path"]
    # A responsible person whose position in the organization has ended no longer answers for the task:
    # its secretary does, as for a list item.
    if task["responsible_is_active"] and task["responsible_in_office"]:
        owners = [task["responsible_id"]]
    else:
        owners = leaders.secretary(path)
    return Deadline(
        key=f"task:{task['pk']}:{task['deadline'].isoformat()}",
        due=task["deadline"],
        kind="reminder.task",
        subject="task",
        params={"title": clipped(task["title"])},
        organization=task["org_name"],
        url=words.url("task_detail", task["pk"]),
        people=people_of(
            (Role.OWNER, owners),
            (Role.SECRETARY, leaders.secretary(path)),
            (Role.COMMITTEE, leaders.committee_above(path)),
        ),
        # As User.__str__ gives it.
        responsible=task["responsible_name"] or task["responsible_username"],
    )


def _life_rows(today: date) -> QuerySet[Any, Any]:
    return KindYear.objects.filter(year=today.year, next_due__isnull=False, organization__is_active=True).values(
        "pk",
        "next_due",
        "organization_id",
        "kind_id",
        "period_done",
        "period_required",
        kind_name=F("kind__name"),
        **_organization_of("organization__"),
    )


def _life_deadline(row: dict[str, Any], leaders: Leaders, words: Words) -> Deadline:
    # KindYear rows are rewritten by each refresh, so the key names the organization and kind, not the row.
    return Deadline(
        key=f"life:{row['organization_id']}:{row['kind_id']}:{row['next_due'].isoformat()}",
        due=row["next_due"],
        kind="reminder.meeting",
        subject="meeting",
        params={"kind": clipped(row["kind_name"]), "done": row["period_done"], "required": row["period_required"]},
        organization=row["org_name"],
        url=words.url("meeting_organization", row["organization_id"]),
        people=people_of((Role.OWNER, leaders.secretary(row["org_path"]))),
    )


SOURCES: tuple[Source, ...] = (
    Source(
        name="items",
        due_field="next_due",
        rows=_item_rows,
        deadline=_item_deadline,
        mine=lambda mine: Q(responsible__person=mine.person) | Q(list__organization_id__in=mine.secretary_of),
    ),
    Source(
        name="meetings",
        due_field="next_due",
        rows=_life_rows,
        deadline=_life_deadline,
        mine=lambda mine: Q(organization_id__in=mine.secretary_of),
    ),
    Source(
        name="reports",
        due_field="cycle__report_due",
        rows=_report_rows,
        deadline=_report_deadline,
        mine=lambda mine: Q(organization_id__in=mine.secretary_of),
    ),
    Source(
        name="scoring",
        due_field="report__cycle__scoring_due",
        rows=_scoring_rows,
        deadline=_scoring_deadline,
        mine=lambda mine: Q(reviewer=mine.person),
    ),
    Source(
        name="ballots",
        due_field="ballot_closes",
        rows=_ballot_rows,
        deadline=_ballot_deadline,
        mine=lambda mine: Q(organization_id__in=[org for org, _path, _depth in mine.leading]),
    ),
    Source(
        name="tasks",
        due_field="deadline",
        rows=_task_rows,
        deadline=_task_deadline,
        mine=lambda mine: (
            Q(responsible=mine.person) | Q(organization_id__in=mine.secretary_of) | mine.below("organization__")
        ),
    ),
)
