"""Probing the whole application: for random (person, object, page) over the demo tree, the page answers
what accounts.permissions says.

Every URL pattern of the site is classified below: either it names an object (in the path, or as the
?org= of a page that then shows that organization's data) and is probed, or it is listed in NOT_PROBED
with the reason. A new URL pattern fails `test_every_url_pattern_is_classified` until someone says
which permission it checks.

The rules are written from the permission module's answers (`can`, `scope_for`) and the relations the
product documents (the item's responsible person, the record's author, the assigned reviewer), each
only while the position that entitles the person lasts. Per STYLE.md: allowed is any answer but
403/404 (a page, a redirect, a form's or a service's refusal); an object outside the person's sight is
404; one seen but not allowed is 403. A denied POST changes nothing.

Why one long file: the classification of every URL pattern, the rules written from the permission
module and the probe that draws from them are read together to see that no pattern escapes; each is a
section below.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any, Literal

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.db.models import Model
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as account_services
from accounts.models import Organization, User
from accounts.permissions import Action, can, scope_for
from meetings.models import Attendance, Meeting, MeetingFile, MeetingRecord
from members.models import Member, PartyGroup
from notifications.models import Notification
from rectification.models import (
    ExtensionRequest,
    Finding,
    Inspection,
    InspectionTarget,
    RectificationTask,
    TaskEvidence,
)
from responsibility.models import (
    ContactPoint,
    DutyRecord,
    Evidence,
    ListItem,
    ListTemplate,
    ListVersion,
    ResponsibilityList,
    WorkPlan,
)
from reviews.models import (
    BallotCode,
    Cycle,
    DutyReport,
    Problem,
    ReportVersion,
    ReviewerAssignment,
    RubricTemplate,
)
from seeding.demo.people import DEMO_LOGINS
from similarity.models import StandardText, TextPair
from workbench.models import RenderedReport

ALLOWED: Literal["allowed"] = "allowed"
Outcome = Literal["allowed", 403, 404]
Person = User | None
"""None is an anonymous visitor."""

DOMAIN_APPS = ("accounts", "members", "meetings", "responsibility", "reviews", "rectification")
EXAMPLES = 10
"""Draws per (page, method): enough to meet every relation over the run, few enough for one core."""
MISSING_PK = 10**8


# The demo tree, built once for the module --------------------------------------------------------


@dataclass
class Demo:
    people: list[User]
    """Every demo person, the five demo logins first, then a 组织部 grantee and an outsider."""
    key_people: list[User]
    year: int
    media: Path


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """seed_demo once, inside a transaction rolled back when the module ends, so no other test sees it."""
    media = tmp_path_factory.mktemp("probe-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield _demo_extras(media)
        transaction.set_rollback(True)


@pytest.fixture
def _media_root() -> None:
    """Replaces the suite's per-test MEDIA_ROOT: the demo's evidence files live in the module's folder."""


def _demo_extras(media: Path) -> Demo:
    """What seed_demo leaves out but a probe needs: a grantee, an outsider and ready PDF documents."""
    county = Organization.objects.get(code="QS")
    townships = list(Organization.objects.filter(depth=2).order_by("path"))
    grantee = User.objects.create_user(username="probe-grantee", password="x", full_name="组织部干部")
    account_services.supervision_grant(user=grantee, organization=townships[-1])
    outsider = User.objects.create_user(username="probe-outsider", password="x", full_name="局外人")
    admin = User.objects.get(username="demo-admin")
    year = timezone.localdate().year
    for organization in [county, *townships, *Organization.objects.filter(kind=Organization.Kind.BRANCH)[:3]]:
        rendered = RenderedReport(
            organization=organization,
            year=year - 1,
            kind=RenderedReport.Kind.ORGANIZATION,
            status=RenderedReport.Status.READY,
            requested_by=admin,
        )
        rendered.file.save(f"probe-{organization.pk}.pdf", ContentFile(b"%PDF-1.4 probe"), save=False)
        rendered.save()
    logins = [login for login, _ in DEMO_LOGINS]
    by_login = {user.username: user for user in User.objects.filter(username__in=logins)}
    key_people = [by_login[login] for login in logins] + [grantee, outsider]
    others = list(User.objects.exclude(pk__in=[person.pk for person in key_people]).order_by("username"))
    return Demo(people=key_people + others, key_people=key_people, year=year, media=media)


# How a page answers, in the permission module's words ---------------------------------------------


def gate(person: User, organization: Organization, allowed: bool) -> Outcome:
    """Allowed, else 404 when the organization is out of the person's sight, else 403."""
    if allowed:
        return ALLOWED
    return 403 if can(person, Action.VIEW, organization) else 404


def needs(action: Action, organization: Callable[[Any], Organization]) -> Rule:
    return lambda person, obj: gate(person, organization(obj), can(person, action, organization(obj)))


def is_committee(person: User) -> bool:
    return scope_for(person).is_committee


def follows_progress(person: User, organization: Organization) -> bool:
    """A committee follows its own subtree and everything it supervises."""
    return can(person, Action.SUPERVISE, organization) or organization.path in scope_for(person).supervise_roots


def committee_page(rule: Rule) -> Rule:
    """Committee pages refuse everyone else (403) before looking at the object."""
    return lambda person, obj: rule(person, obj) if is_committee(person) else 403


def at_or_above(path: str, paths: Iterable[str]) -> bool:
    """Whether the organization at PATH is one of these or an ancestor of one."""
    return any(own.startswith(path) for own in paths)


def plan_visible(person: User, plan: WorkPlan) -> bool:
    """Drafts to the committee that keeps them; published plans to everyone at, below or above in sight."""
    scope = scope_for(person)
    path = plan.organization.path
    if scope.is_admin or path in scope.manage_paths:
        return True
    mine = [*scope.subtree_roots, *scope.single_paths, *scope.manage_paths]
    return plan.published_at is not None and (at_or_above(path, mine) or scope.sees(path))


def list_template_visible(person: User, template: ListTemplate) -> bool:
    """Drafts to the committee that keeps them; published ones to those who keep an organization below."""
    scope = scope_for(person)
    path = template.organization.path
    if scope.is_admin or path in scope.manage_paths:
        return True
    return template.is_published and (at_or_above(path, scope.manage_paths) or scope.sees(path))


def rubric_template_visible(person: User, template: RubricTemplate) -> bool:
    """Templates of the committees the person keeps and of the organizations above them."""
    scope = scope_for(person)
    if scope.is_admin:
        return True
    kept = Organization.objects.filter(path__in=scope.manage_paths, is_active=True).exclude(
        kind=Organization.Kind.BRANCH
    )
    step = Organization.steplen
    return any(
        path[:end] == template.organization.path
        for path in kept.values_list("path", flat=True)
        for end in range(step, len(path) + 1, step)
    )


def follows_cycle(person: User, cycle: Cycle) -> bool:
    """The cycle's committee, and everyone who supervises it from above (a higher committee, a grant)."""
    return can(person, Action.MANAGE, cycle.organization) or can(person, Action.SUPERVISE, cycle.organization)


def knows_cycle(person: User, cycle: Cycle) -> bool:
    """Sees its committee or one of its participants: 403 rather than 404."""
    return can(person, Action.VIEW, cycle.organization) or any(
        can(person, Action.VIEW, report.organization) for report in cycle.reports.all()
    )


def cycle_rule(*, manage: bool) -> Rule:
    def rule(person: User, cycle: Cycle) -> Outcome:
        allowed = can(person, Action.MANAGE, cycle.organization) if manage else follows_cycle(person, cycle)
        if allowed:
            return ALLOWED
        return 403 if follows_cycle(person, cycle) or knows_cycle(person, cycle) else 404

    return rule


def cycle_edit_rule(person: User, cycle: Cycle) -> Outcome:
    """Follow to see the page; keep the committee to change it."""
    seen = cycle_rule(manage=False)(person, cycle)
    return seen if seen != ALLOWED else gate(person, cycle.organization, can(person, Action.MANAGE, cycle.organization))


def reads_both(person: User, pair: TextPair) -> bool:
    """Both texts of a near-copied pair are in sight: a page never shows a text its reader may not read."""
    return can(person, Action.VIEW, pair.organization) and can(person, Action.VIEW, pair.other_organization)


def leads(person: User, organization: Organization) -> bool:
    """A committee whose subtree the person supervises (by position or grant): it sets standard text there."""
    scope = scope_for(person)
    return scope.is_admin or organization.path in {*scope.supervise_roots, *scope.grant_roots}


def reads_report(person: User, report: DutyReport) -> Outcome:
    """Its leaders always; once submitted, those who supervise it now (an assignment grants nothing of its own)."""
    organization = report.organization
    allowed = can(person, Action.MANAGE, organization) or (
        report.submitted_at is not None and can(person, Action.SUPERVISE, organization)
    )
    return gate(person, organization, allowed)


def scores_assignment(person: User, assignment: ReviewerAssignment) -> Outcome:
    """Someone's own assignment while they supervise the report's organization now; anyone else's is 404."""
    if assignment.reviewer_id != person.pk:
        return 404
    organization = assignment.report.organization
    return gate(person, organization, can(person, Action.SUPERVISE, organization))


def assesses(person: User, report: DutyReport) -> Outcome:
    """Supervises the report's organization from inside the cycle's committee or above it."""
    cycle_organization = report.cycle.organization
    allowed = can(person, Action.SUPERVISE, report.organization) and (
        can(person, Action.MANAGE, cycle_organization) or can(person, Action.SUPERVISE, cycle_organization)
    )
    return gate(person, report.organization, allowed)


def requests_documents(person: User, organization: Organization) -> Outcome:
    allowed = can(person, Action.MANAGE, organization) or can(person, Action.SUPERVISE, organization)
    return gate(person, organization, allowed)


def follows_inspection(person: User, inspection: Inspection) -> Outcome:
    organization = inspection.organization
    if can(person, Action.MANAGE, organization) or can(person, Action.SUPERVISE, organization):
        return ALLOWED
    knows = can(person, Action.VIEW, organization) or any(
        can(person, Action.VIEW, target.organization) for target in inspection.targets.all()
    )
    return 403 if knows else 404


def inspects_target(person: User, target: InspectionTarget) -> Outcome:
    outcome = gate(person, target.organization, can(person, Action.SUPERVISE, target.organization))
    if outcome != ALLOWED:
        return outcome
    return ALLOWED if follows_inspection(person, target.inspection) == ALLOWED else 403


def keeps_task(person: User, task: RectificationTask) -> bool:
    """Those who keep the organization, and the responsible person while they hold a position in it."""
    in_office = task.organization.positions.current().filter(person=person).exists()
    return can(person, Action.MANAGE, task.organization) or (task.responsible_id == person.pk and in_office)


COMMITTEE_STEPS = {"return", "accept", "supervise", "measure"}


def task_step(person: User, target: tuple[RectificationTask, str]) -> Outcome:
    task, step = target
    if step in COMMITTEE_STEPS:
        return gate(person, task.organization, can(person, Action.SUPERVISE, task.organization))
    return gate(person, task.organization, keeps_task(person, task))


def answers_for_item(person: User, item: ListItem) -> bool:
    """The item's responsible person, while the position the item names is current."""
    return item.responsible is not None and item.responsible.person_id == person.pk and item.responsible.is_current


def records_against(person: User, item: ListItem) -> Outcome:
    """The item's responsible person (in office) and those who keep the organization record against it."""
    allowed = answers_for_item(person, item) or can(person, Action.MANAGE, item.list.organization)
    return gate(person, item.list.organization, allowed)


def edits_record(person: User, record: DutyRecord) -> Outcome:
    """Those who keep the organization, and the record's author while they may still record against its item;
    nobody types over a record a meeting wrote (it is corrected on the meeting)."""
    allowed = can(person, Action.MANAGE, record.organization) or (
        record.created_by_id == person.pk and answers_for_item(person, record.item)
    )
    written_by_meeting = MeetingRecord.objects.filter(record=record).exists()
    return gate(person, record.organization, allowed and not written_by_meeting)


def reaches_contact_point(person: User, point: ContactPoint) -> Outcome:
    """Those who supervise its organization now: its member only while the entitlement to designate it lasts."""
    return gate(person, point.organization, can(person, Action.SUPERVISE, point.organization))


def starts_list(method: str) -> Rule:
    """An existing list is shown to whoever sees the organization; starting one needs MANAGE."""

    def rule(person: User, target: tuple[Organization, int]) -> Outcome:
        organization, year = target
        exists = ResponsibilityList.objects.filter(organization=organization, year=year).exists()
        action = Action.VIEW if exists or method == "GET" else Action.MANAGE
        return gate(person, organization, can(person, action, organization))

    return rule


# What each URL pattern names and who may use it ----------------------------------------------------

Rule = Callable[[User, Any], Outcome]


@dataclass(frozen=True)
class Target:
    obj: Any
    kwargs: dict[str, Any]
    query: str = ""


@dataclass(frozen=True)
class Probe:
    targets: Callable[[Demo], list[Target]]
    rules: dict[str, Rule]
    """By HTTP method: GET pages are read, POST is sent with an empty body."""
    missing: dict[str, Any] = field(default_factory=dict)
    """URL arguments naming no object at all: everyone signed in gets 404 (empty: not probed)."""
    data: dict[str, str] = field(default_factory=dict)
    """The POST body: empty, or just enough to reach the form (which then refuses it)."""


def by_pk(queryset: Any, name: str = "pk") -> Callable[[Demo], list[Target]]:
    return lambda demo: [Target(obj, {name: obj.pk}) for obj in queryset.all()]


def by_query(queryset: Any, parameter: str) -> Callable[[Demo], list[Target]]:
    return lambda demo: [Target(obj, {}, f"?{parameter}={obj.pk}") for obj in queryset.all()]


def organizations_in_years(demo: Demo) -> list[Target]:
    return [
        Target((organization, year), {"org_pk": organization.pk, "year": year})
        for organization in Organization.objects.all()
        for year in (demo.year, demo.year + 1)
    ]


def organizations_this_year(demo: Demo) -> list[Target]:
    return [Target(org, {"org_pk": org.pk, "year": demo.year}) for org in Organization.objects.all()]


def list_actions(demo: Demo) -> list[Target]:
    return [
        Target((lst, action), {"pk": lst.pk, "action": action})
        for lst in ResponsibilityList.objects.select_related("organization")
        for action in LIST_STEPS
    ]


LIST_STEPS = {
    "submit": Action.MANAGE,
    "revise": Action.MANAGE,
    "approve": Action.SUPERVISE,
    "return": Action.SUPERVISE,
    "close": Action.SUPERVISE,
}


def list_step(person: User, target: tuple[ResponsibilityList, str]) -> Outcome:
    lst, step = target
    return gate(person, lst.organization, can(person, LIST_STEPS[step], lst.organization))


def cycle_actions(demo: Demo) -> list[Target]:
    return [Target(cycle, {"pk": cycle.pk, "action": action}) for cycle in Cycle.objects.all() for action in ("open",)]


def task_actions(demo: Demo) -> list[Target]:
    steps = ("plan", "progress", "submit", "extend", "return", "accept", "supervise", "measure")
    return [
        Target((task, step), {"pk": task.pk, "action": step})
        for task in RectificationTask.objects.select_related("organization")
        for step in steps
    ]


def ballot_sheets(demo: Demo) -> list[Target]:
    batches = BallotCode.objects.values_list("cycle_id", "organization_id", "batch").distinct()
    cycles = {cycle.pk: cycle for cycle in Cycle.objects.select_related("organization")}
    return [Target(cycles[c], {"pk": c, "org_pk": o, "batch": b}) for c, o, b in batches]


def versions(model: Any, owner: str) -> Callable[[Demo], list[Target]]:
    return lambda demo: [
        Target(getattr(version, owner), {"pk": getattr(version, f"{owner}_id"), "number": version.number})
        for version in model.objects.select_related(owner)
    ]


def item_org(item: ListItem) -> Organization:
    return item.list.organization


def own_object(owner_field: str) -> Rule:
    """Someone's own notification; anyone else's is 404."""
    return lambda person, obj: ALLOWED if getattr(obj, owner_field) == person.pk else 404


def reads_roll(person: User, organization: Organization) -> bool:
    """The branch that keeps a roll and the committees above it read its personal data."""
    return can(person, Action.MANAGE, organization) or can(person, Action.SUPERVISE, organization)


def roll_readers(organization: Callable[[Any], Organization]) -> Rule:
    return lambda person, obj: gate(person, organization(obj), reads_roll(person, organization(obj)))


def reads_member(person: User, member: Member) -> Outcome:
    """A member reads their own entry; the roll's readers read everyone's."""
    if member.person_id == person.pk:
        return ALLOWED
    return gate(person, member.organization, reads_roll(person, member.organization))


LISTS = ResponsibilityList.objects.select_related("organization")
ITEMS = ListItem.objects.select_related("list__organization", "responsible")
RECORDS = DutyRecord.objects.select_related("organization", "item__responsible").order_by("pk")
REPORTS = DutyReport.objects.select_related("organization", "cycle__organization")
CYCLES = Cycle.objects.select_related("organization")
TASKS = RectificationTask.objects.select_related("organization")
PK = {"pk": MISSING_PK}
ORG_PK = {"org_pk": MISSING_PK}
MEMBERS = Member.objects.select_related("organization")


MEETINGS = Meeting.objects.select_related("organization")


def reads_meeting(person: User, meeting: Meeting) -> Outcome:
    """Those who see the organization, and the people the meeting expects (through their roll entry)."""
    if can(person, Action.VIEW, meeting.organization):
        return ALLOWED
    expected = Attendance.objects.filter(meeting=meeting, member__person=person, member__left_on__isnull=True)
    return ALLOWED if person.is_active and expected.exists() else 404


def keeps_meeting(person: User, meeting: Meeting) -> Outcome:
    """The organization's leading roles plan, open, mark and close its meetings."""
    return gate(person, meeting.organization, can(person, Action.MANAGE, meeting.organization))


def sets_rules(person: User, organization: Organization) -> Outcome:
    """A committee's frequency rules: set by those who lead or supervise it."""
    allowed = organization.is_committee and (
        can(person, Action.MANAGE, organization) or can(person, Action.SUPERVISE, organization)
    )
    return gate(person, organization, allowed)


def member_org(member: Member) -> Organization:
    return member.organization


def prints_slips(person: User, organization: Organization) -> Outcome:
    """First-sign-in slips: an administrator anywhere, a committee in its own subtree (not a grantee)."""
    scope = scope_for(person)
    allowed = scope.is_admin or organization.path.startswith(scope.supervise_roots)
    return gate(person, organization, allowed)


PROBES: dict[str, Probe] = {
    "meeting_detail": Probe(by_pk(MEETINGS), {"GET": reads_meeting}, PK),
    "meeting_sign_in": Probe(by_pk(MEETINGS), {"GET": reads_meeting, "POST": reads_meeting}, PK),
    "meeting_edit": Probe(by_pk(MEETINGS), dict.fromkeys(("GET", "POST"), keeps_meeting), PK),
    "meeting_close": Probe(by_pk(MEETINGS), dict.fromkeys(("GET", "POST"), keeps_meeting), PK),
    "meeting_code": Probe(by_pk(MEETINGS), {"GET": keeps_meeting}, PK),
    "meeting_open": Probe(by_pk(MEETINGS), {"POST": keeps_meeting}, PK),
    "meeting_cancel": Probe(by_pk(MEETINGS), {"POST": keeps_meeting}, PK),
    "meeting_files": Probe(by_pk(MEETINGS), {"POST": keeps_meeting}, PK),
    "meeting_mark": Probe(
        by_pk(Attendance.objects.select_related("meeting__organization")),
        {"POST": lambda person, row: keeps_meeting(person, row.meeting)},
        PK,
    ),
    "meeting_file": Probe(
        by_pk(MeetingFile.objects.select_related("meeting__organization")),
        {"GET": needs(Action.VIEW, lambda stored: stored.meeting.organization)},
        PK,
    ),
    "meeting_file_remove": Probe(
        by_pk(MeetingFile.objects.select_related("meeting__organization")),
        {"POST": needs(Action.MANAGE, lambda stored: stored.meeting.organization)},
        PK,
    ),
    "life_overview_org": Probe(
        by_pk(Organization.objects, "org_pk"),
        {"GET": lambda person, org: gate(person, org, follows_progress(person, org))},
        ORG_PK,
    ),
    "life_overview_org_export": Probe(
        by_pk(Organization.objects, "org_pk"),
        {"GET": lambda person, org: gate(person, org, follows_progress(person, org))},
        ORG_PK,
    ),
    "item_meeting_link": Probe(by_pk(ITEMS), {"POST": records_against}, PK),
    # meetings: organizational life
    "meeting_organization": Probe(
        by_pk(Organization.objects, "org_pk"), {"GET": needs(Action.VIEW, lambda org: org)}, ORG_PK
    ),
    "meeting_year": Probe(
        organizations_this_year, {"GET": needs(Action.VIEW, lambda org: org)}, {"org_pk": MISSING_PK, "year": 2026}
    ),
    "meeting_plan": Probe(
        by_pk(Organization.objects, "org_pk"),
        {method: needs(Action.MANAGE, lambda org: org) for method in ("GET", "POST")},
        ORG_PK,
    ),
    "meeting_rules": Probe(by_pk(Organization.objects, "org_pk"), {"GET": sets_rules, "POST": sets_rules}, ORG_PK),
    # members: the roll
    "member_roll": Probe(by_pk(Organization.objects, "org_pk"), {"GET": roll_readers(lambda org: org)}, ORG_PK),
    "member_export": Probe(by_pk(Organization.objects, "org_pk"), {"POST": roll_readers(lambda org: org)}, ORG_PK),
    "member_groups": Probe(
        by_pk(Organization.objects, "org_pk"),
        {"GET": roll_readers(lambda org: org), "POST": needs(Action.MANAGE, lambda org: org)},
        ORG_PK,
    ),
    "member_add": Probe(
        by_pk(Organization.objects, "org_pk"),
        {method: needs(Action.MANAGE, lambda org: org) for method in ("GET", "POST")},
        ORG_PK,
    ),
    "member_import": Probe(
        by_pk(Organization.objects, "org_pk"),
        {method: needs(Action.MANAGE, lambda org: org) for method in ("GET", "POST")},
        ORG_PK,
    ),
    "member_detail": Probe(by_pk(MEMBERS), {"GET": reads_member}, PK),
    "member_edit": Probe(by_pk(MEMBERS), {method: needs(Action.MANAGE, member_org) for method in ("GET", "POST")}, PK),
    "member_status": Probe(
        by_pk(MEMBERS), {method: needs(Action.MANAGE, member_org) for method in ("GET", "POST")}, PK
    ),
    "member_transfer": Probe(
        by_pk(MEMBERS), {method: needs(Action.MANAGE, member_org) for method in ("GET", "POST")}, PK
    ),
    "member_login": Probe(by_pk(MEMBERS), {"POST": needs(Action.MANAGE, member_org)}, PK),
    "member_group_edit": Probe(
        by_pk(PartyGroup.objects.select_related("organization")),
        {method: needs(Action.MANAGE, lambda group: group.organization) for method in ("GET", "POST")},
        PK,
    ),
    "member_figures": Probe(
        by_query(Organization.objects, "org"),
        {"GET": lambda person, org: gate(person, org, follows_progress(person, org))},
    ),
    # accounts
    "organization_detail": Probe(by_pk(Organization.objects), {"GET": needs(Action.VIEW, lambda o: o)}, PK),
    "notification_open": Probe(by_pk(Notification.objects), {"GET": own_object("recipient_id")}, PK),
    # first sign-in (issue 17): slips for an organization's people, by an administrator or a committee over it
    "organization_sign_in_slips": Probe(
        by_pk(Organization.objects), {"GET": prints_slips, "POST": prints_slips}, PK, {"people": str(MISSING_PK)}
    ),
    # responsibility: lists
    "list_for_org": Probe(
        organizations_in_years,
        {"GET": starts_list("GET"), "POST": starts_list("POST")},
        {"org_pk": MISSING_PK, "year": 2026},
    ),
    "list_detail": Probe(by_pk(LISTS), {"GET": needs(Action.VIEW, lambda lst: lst.organization)}, PK),
    "list_export": Probe(by_pk(LISTS), {"GET": needs(Action.VIEW, lambda lst: lst.organization)}, PK),
    "list_item_add": Probe(
        by_pk(LISTS),
        {method: needs(Action.MANAGE, lambda lst: lst.organization) for method in ("GET", "POST")},
        PK,
    ),
    "list_item_edit": Probe(by_pk(ITEMS), {method: needs(Action.MANAGE, item_org) for method in ("GET", "POST")}, PK),
    "list_item_remove": Probe(by_pk(ITEMS), {"POST": needs(Action.MANAGE, item_org)}, PK),
    "list_version": Probe(
        versions(ListVersion, "list"),
        {"GET": needs(Action.VIEW, lambda lst: lst.organization)},
        {"pk": MISSING_PK, "number": 1},
    ),
    "list_action": Probe(list_actions, {"POST": list_step}, {"pk": MISSING_PK, "action": "submit"}),
    "work_plan_detail": Probe(
        by_pk(WorkPlan.objects.select_related("organization")),
        {
            "GET": lambda person, plan: ALLOWED if plan_visible(person, plan) else 404,
            "POST": lambda person, plan: (
                (ALLOWED if can(person, Action.MANAGE, plan.organization) else 403)
                if plan_visible(person, plan)
                else 404
            ),
        },
        PK,
        {"action": "add_point"},
    ),
    "work_plan_coverage": Probe(
        by_pk(WorkPlan.objects.select_related("organization")),
        {
            "GET": lambda person, plan: (
                (
                    ALLOWED
                    if can(person, Action.MANAGE, plan.organization) or can(person, Action.SUPERVISE, plan.organization)
                    else 403
                )
                if plan_visible(person, plan)
                else 404
            )
        },
        PK,
    ),
    "list_template_detail": Probe(
        by_pk(ListTemplate.objects.select_related("organization")),
        {
            "GET": lambda person, template: ALLOWED if list_template_visible(person, template) else 404,
            "POST": lambda person, template: (
                (ALLOWED if can(person, Action.MANAGE, template.organization) else 403)
                if list_template_visible(person, template)
                else 404
            ),
        },
        PK,
        {"action": "add_item"},
    ),
    # responsibility: records
    "item_detail": Probe(by_pk(ITEMS), {"GET": needs(Action.VIEW, item_org)}, PK),
    "record_add": Probe(by_pk(ITEMS), {"GET": records_against, "POST": records_against}, PK),
    "record_detail": Probe(by_pk(RECORDS), {"GET": needs(Action.VIEW, lambda record: record.organization)}, PK),
    "record_edit": Probe(by_pk(RECORDS), {"GET": edits_record, "POST": edits_record}, PK),
    "record_review": Probe(by_pk(RECORDS), {"POST": needs(Action.SUPERVISE, lambda record: record.organization)}, PK),
    "evidence_download": Probe(
        by_pk(Evidence.objects.select_related("record__organization")),
        {"GET": needs(Action.VIEW, lambda evidence: evidence.record.organization)},
        PK,
    ),
    "evidence_remove": Probe(
        by_pk(Evidence.objects.select_related("record__organization")),
        {"POST": lambda person, evidence: edits_record(person, evidence.record)},
        PK,
    ),
    # responsibility: progress, commitments, contact points
    "commitment_edit": Probe(
        organizations_this_year,
        {method: needs(Action.MANAGE, lambda org: org) for method in ("GET", "POST")},
        {"org_pk": MISSING_PK, "year": 2026},
    ),
    "contact_point_detail": Probe(
        by_pk(ContactPoint.objects.select_related("organization")),
        {"GET": reaches_contact_point, "POST": reaches_contact_point},
        PK,
    ),
    "progress_overview": Probe(
        by_query(Organization.objects, "org"),
        {"GET": committee_page(lambda person, org: gate(person, org, follows_progress(person, org)))},
    ),
    "progress_export": Probe(
        by_query(Organization.objects, "org"),
        {"GET": committee_page(lambda person, org: gate(person, org, follows_progress(person, org)))},
    ),
    # reviews: reports
    "report_detail": Probe(by_pk(REPORTS), {"GET": reads_report}, PK),
    "report_version": Probe(versions(ReportVersion, "report"), {"GET": reads_report}, {"pk": MISSING_PK, "number": 1}),
    "report_edit": Probe(
        by_pk(REPORTS),
        {method: needs(Action.MANAGE, lambda report: report.organization) for method in ("GET", "POST")},
        PK,
    ),
    "report_autosave": Probe(by_pk(REPORTS), {"POST": needs(Action.MANAGE, lambda report: report.organization)}, PK),
    "report_self_assessment": Probe(
        by_pk(REPORTS),
        {method: needs(Action.MANAGE, lambda report: report.organization) for method in ("GET", "POST")},
        PK,
    ),
    "report_submit": Probe(
        by_pk(REPORTS),
        {method: needs(Action.MANAGE, lambda report: report.organization) for method in ("GET", "POST")},
        PK,
    ),
    "report_result": Probe(
        by_pk(REPORTS), {"GET": lambda person, report: requests_documents(person, report.organization)}, PK
    ),
    # reviews: scoring
    "report_score": Probe(
        by_pk(ReviewerAssignment.objects.select_related("report__organization")),
        {"GET": scores_assignment, "POST": scores_assignment},
        PK,
    ),
    "report_assess": Probe(by_pk(REPORTS), {"GET": assesses, "POST": assesses}, PK),
    "report_return": Probe(by_pk(REPORTS), {"POST": assesses}, PK),
    "problem_remove": Probe(
        by_pk(Problem.objects.select_related("report__organization", "report__cycle__organization")),
        {"POST": lambda person, problem: assesses(person, problem.report)},
        PK,
    ),
    "findings_from_review": Probe(
        by_pk(REPORTS, "report_pk"),
        {method: needs(Action.SUPERVISE, lambda report: report.organization) for method in ("GET", "POST")},
        {"report_pk": MISSING_PK},
    ),
    # reviews: cycles, rubrics, ballots, documents
    "cycle_detail": Probe(by_pk(CYCLES), {"GET": cycle_rule(manage=False)}, PK),
    "cycle_ranking": Probe(by_pk(CYCLES), {"GET": cycle_rule(manage=False)}, PK),
    "cycle_export": Probe(by_pk(CYCLES), {"GET": cycle_rule(manage=False)}, PK),
    "cycle_indicators": Probe(by_pk(CYCLES), {"GET": cycle_rule(manage=False), "POST": cycle_edit_rule}, PK),
    "cycle_reviewers": Probe(
        by_pk(CYCLES), {"GET": cycle_rule(manage=False), "POST": cycle_edit_rule}, PK, {"action": "assign"}
    ),
    "cycle_settings": Probe(by_pk(CYCLES), {method: cycle_rule(manage=True) for method in ("GET", "POST")}, PK),
    "cycle_action": Probe(cycle_actions, {"POST": cycle_rule(manage=True)}, {"pk": MISSING_PK, "action": "open"}),
    "cycle_close": Probe(by_pk(CYCLES), {method: cycle_rule(manage=True) for method in ("GET", "POST")}, PK),
    "ballot_codes": Probe(
        by_pk(CYCLES),
        {method: needs(Action.MANAGE, lambda cycle: cycle.organization) for method in ("GET", "POST")},
        PK,
    ),
    "ballot_sheet": Probe(
        ballot_sheets,
        {"GET": needs(Action.MANAGE, lambda cycle: cycle.organization)},
        {"pk": MISSING_PK, "org_pk": MISSING_PK, "batch": 1},
    ),
    "rubric_template_detail": Probe(
        by_pk(RubricTemplate.objects.select_related("organization")),
        {
            "GET": lambda person, template: ALLOWED if rubric_template_visible(person, template) else 404,
            "POST": lambda person, template: (
                (ALLOWED if can(person, Action.MANAGE, template.organization) else 403)
                if rubric_template_visible(person, template)
                else 404
            ),
        },
        PK,
    ),
    "yearly_reports": Probe(
        by_query(Organization.objects, "organization"),
        {"GET": lambda person, org: requests_documents(person, org)},
    ),
    "yearly_report_download": Probe(
        by_pk(RenderedReport.objects.select_related("organization")),
        {"GET": lambda person, rendered: requests_documents(person, rendered.organization)},
        PK,
    ),
    "yearly_report_retry": Probe(
        by_pk(RenderedReport.objects.select_related("organization")),
        {"POST": lambda person, rendered: requests_documents(person, rendered.organization)},
        PK,
    ),
    # similarity (相似内容)
    "similar_pairs": Probe(
        by_query(Organization.objects, "org"),
        {"GET": committee_page(lambda person, org: gate(person, org, can(person, Action.VIEW, org)))},
    ),
    "similar_pairs_export": Probe(
        by_query(Organization.objects, "org"),
        {"GET": committee_page(lambda person, org: gate(person, org, can(person, Action.VIEW, org)))},
    ),
    "similar_pair": Probe(
        by_pk(TextPair.objects.select_related("organization", "other_organization")),
        {"GET": lambda person, pair: ALLOWED if reads_both(person, pair) else 404},
        PK,
    ),
    "standard_text_remove": Probe(
        by_pk(StandardText.objects.select_related("organization")),
        {"POST": lambda person, standard: gate(person, standard.organization, leads(person, standard.organization))},
        PK,
    ),
    # rectification
    "rectification_board": Probe(
        by_query(Organization.objects, "org"),
        {"GET": committee_page(lambda person, org: gate(person, org, follows_progress(person, org)))},
    ),
    "ledger_export": Probe(
        by_query(Organization.objects, "org"),
        {"GET": committee_page(lambda person, org: gate(person, org, follows_progress(person, org)))},
    ),
    "finding_new": Probe(
        by_query(Organization.objects, "org"),
        {"GET": committee_page(needs(Action.SUPERVISE, lambda org: org))},
    ),
    "finding_recurrence": Probe(
        by_pk(Finding.objects.select_related("organization")),
        {"POST": needs(Action.SUPERVISE, lambda finding: finding.organization)},
        PK,
    ),
    "disclosure": Probe(
        organizations_this_year,
        {method: needs(Action.SUPERVISE, lambda org: org) for method in ("GET", "POST")},
        {"org_pk": MISSING_PK, "year": 2026},
    ),
    "task_detail": Probe(by_pk(TASKS), {"GET": needs(Action.VIEW, lambda task: task.organization)}, PK),
    "task_action": Probe(task_actions, {"POST": task_step}, {"pk": MISSING_PK, "action": "plan"}),
    "task_evidence": Probe(
        by_pk(TaskEvidence.objects.select_related("event__task__organization")),
        {"GET": needs(Action.VIEW, lambda evidence: evidence.event.task.organization)},
        PK,
    ),
    "extension_decide": Probe(
        by_pk(ExtensionRequest.objects.select_related("task__organization")),
        {"POST": needs(Action.SUPERVISE, lambda extension: extension.task.organization)},
        PK,
    ),
    "inspection_detail": Probe(
        by_pk(Inspection.objects.select_related("organization")), {"GET": follows_inspection}, PK
    ),
    "inspection_complete": Probe(
        by_pk(Inspection.objects.select_related("organization")), {"POST": follows_inspection}, PK
    ),
    "inspection_target": Probe(
        by_pk(InspectionTarget.objects.select_related("organization", "inspection__organization")),
        dict.fromkeys(("GET", "POST"), inspects_target),
        PK,
        {"action": "record"},
    ),
}

NOT_PROBED: dict[str, str] = {
    # Pages that name no object: each shows only what a scope-filtered selector returns.
    "home": "no object: the person's own positions and waiting work",
    "organization_tree": "no object: the top of the person's scope or a search within it",
    "dashboard": "no object: figures computed within the person's scope",
    "notifications": "no object: the person's own notifications",
    "notifications_read_all": "no object: marks the person's own notifications",
    "notification_settings": "objects come in the POST body; fuzzed in tests/test_form_fuzzing.py",
    "list_review_queue": "no object: lists below the person",
    "work_plans": "no object: the form's organization choices are the person's committees (fuzzed)",
    "list_templates": "no object: the form's organization choices are the person's committees (fuzzed)",
    "my_list": "no object: the person's own duties",
    "record_review_queue": "no object: records the committee supervises",
    "contact_points": "no object: the committee's own contact points",
    "my_reports": "no object: reports of the organizations the person keeps",
    "review_queue": "no object: the reviewer's own assignments",
    "cycles": "no object: cycles the person follows",
    "cycle_create": "the committee comes in the POST body; fuzzed in tests/test_form_fuzzing.py",
    "rubric_templates": "the committee comes in the POST body; fuzzed in tests/test_form_fuzzing.py",
    "yearly_report_request": "the organization comes in the POST body; fuzzed in tests/test_form_fuzzing.py",
    "findings": "no object: findings the committee supervises",
    "standard_texts": "the committee comes in the POST body; fuzzed in tests/test_form_fuzzing.py",
    "task_new": "findings come as ?findings=; tests/rectification/test_board_views.py",
    "inspections": "no object: inspections the committee follows",
    "inspection_new": "the committee comes as ?org= or in the POST body; fuzzed in tests/test_form_fuzzing.py",
    "my_tasks": "no object: the person's own tasks",
    "audit_log": "administrators only; tests/accounts/test_audit.py",
    "organization_import": "administrators only; tests/accounts/test_import.py",
    # first sign-in (issue 17)
    "import_template": "administrators only, and names no object; tests/accounts/test_first_sign_in.py",
    "imported_sign_in_slips": "administrators only: their last import's people; tests/accounts/test_first_sign_in.py",
    "first_sign_in": "public by design: sets a password with a one-time code; tests/accounts/test_first_sign_in.py",
    # Not behind the permission module by design.
    "login": "sign-in",
    "logout": "sign-out",
    "password_change": "the person's own password",
    "admin_password_change_redirect": "leads to password_change; tests/accounts/test_sign_in_security.py",
    "two_factor_settings": "the person's own two-factor sign-in",
    "two_factor_verify": "the person's own two-factor sign-in",
    "two_factor_enrol": "the person's own two-factor sign-in",
    "two_factor_recovery_codes": "the person's own two-factor sign-in",
    "two_factor_disable": "the person's own two-factor sign-in",
    "calendar_feed": "a per-person secret address, not a session; tests/reminders/test_calendar.py",
    "public_commitments": "public by design (党务公开)",
    "public_commitment": "public by design (党务公开)",
    "public_rectifications": "public by design (整改公开)",
    "public_rectification": "public by design (整改公开)",
    "vote": "anonymous ballots by one-time code; tests/reviews/test_ballot_views.py",
    "vote_done": "anonymous ballots by one-time code",
    "set_language": "Django's language switch",
    "healthz": "load balancer probe",
    "member_rolls": "lists the rolls the person keeps and their own entries: no object in the URL",
    "life_overview": "the followed roots' overview: no object in the URL; committees only (test_overview.py)",
    "life_overview_export": "the followed roots' overview as Excel: no object in the URL; committees only",
    "meeting_home": "lists the organizations whose meetings the person keeps: no object in the URL",
    "meeting_sign_in_code": "signs the person in to an open meeting that expects them, found by the code typed",
}


def site_url_names() -> set[str]:
    """Every named URL of the site outside the Django admin, found by walking the resolver."""

    def walk(patterns: list[Any], namespace: str = "") -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"an unnamed URL pattern cannot be classified: {pattern.pattern}"
                yield pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_pattern_is_classified() -> None:
    names = site_url_names()
    unclassified = names - PROBES.keys() - NOT_PROBED.keys()
    assert not unclassified, f"say which permission these check (PROBES) or why not (NOT_PROBED): {unclassified}"
    assert not (PROBES.keys() | NOT_PROBED.keys()) - names, "classified names the site no longer has"
    assert not PROBES.keys() & NOT_PROBED.keys()


# The probe -------------------------------------------------------------------------------------------


def database_snapshot(obj: Any) -> dict[str, Any]:
    """Every domain model's row count (history tables count every change) and the object's own row."""
    snapshot: dict[str, Any] = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in DOMAIN_APPS
    }
    owner = obj[0] if isinstance(obj, tuple) else obj
    if isinstance(owner, Model):
        rows = list(type(owner)._default_manager.filter(pk=owner.pk).values_list())
        snapshot["object"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return snapshot


def client_for(person: Person, clients: dict[int | None, Client]) -> Client:
    """One client a person for the whole test: signing in costs more than the request."""
    key = person.pk if person is not None else None
    if key not in clients:
        client = Client(raise_request_exception=False)
        if person is not None:
            client.force_login(person)
        clients[key] = client
    return clients[key]


def answer(client: Client, person: Person, method: str, url: str, data: dict[str, str]) -> int:
    response = client.post(url, data) if method == "POST" else client.get(url)
    if person is None:
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    return response.status_code


def check(
    client: Client,
    person: Person,
    method: str,
    url: str,
    expected: Outcome,
    describe: str,
    *,
    obj: Any = None,
    data: Any = None,
) -> None:
    # Every request runs in a savepoint rolled back afterwards: an allowed POST must not change
    # what the next draw sees.
    with transaction.atomic():
        before = database_snapshot(obj) if method == "POST" and expected != ALLOWED else None
        status = answer(client, person, method, url, data or {})
        assert status < 500, f"{describe}: server error {status}"
        if person is not None:
            if expected == ALLOWED:
                assert status not in (403, 404), f"{describe}: allowed by accounts.permissions, answered {status}"
            else:
                assert status == expected, f"{describe}: expected {expected}, answered {status}"
        if before is not None:
            assert database_snapshot(obj) == before, f"{describe}: a denied POST changed the database"
        transaction.set_rollback(True)


CASES = [(name, method) for name, probe in PROBES.items() for method in probe.rules]


@pytest.mark.parametrize(("name", "method"), CASES, ids=[f"{name}-{method}" for name, method in CASES])
def test_page_answers_what_the_permission_module_says(demo: Demo, db: None, name: str, method: str) -> None:
    probe = PROBES[name]
    rule = probe.rules[method]
    targets = probe.targets(demo)
    assert targets, f"the demo tree has nothing to probe {name} with"
    people: list[Person] = [*demo.people, None]
    clients: dict[int | None, Client] = {}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def probe_once(data: st.DataObject) -> None:
        person = data.draw(st.one_of(st.sampled_from(demo.key_people), st.sampled_from(people)), label="person")
        expected: Outcome
        if person is None:
            target, expected = data.draw(st.sampled_from(targets), label="target"), 404
        else:
            # Stratified: first which answer, then an object that should get it, so that the rare
            # answers (a branch member's own list, a reviewer's report) are met as often as the 404s.
            by_answer = answers_for(person)
            expected = data.draw(st.sampled_from(sorted(by_answer, key=str)), label="answer")
            target = data.draw(st.sampled_from(by_answer[expected]), label="target")
        url = reverse(name, kwargs=target.kwargs) + target.query
        who = person.username if person is not None else "anonymous"
        client = client_for(person, clients)
        check(client, person, method, url, expected, f"{method} {url} as {who}", obj=target.obj, data=probe.data)

    answered: dict[int, dict[Outcome, list[Target]]] = {}

    def answers_for(person: User) -> dict[Outcome, list[Target]]:
        if person.pk not in answered:
            by_answer: dict[Outcome, list[Target]] = {}
            for target in targets:
                by_answer.setdefault(rule(person, target.obj), []).append(target)
            answered[person.pk] = by_answer
        return answered[person.pk]

    probe_once()

    if probe.missing:
        url = reverse(name, kwargs=probe.missing)
        # The administrator sees everything, so a 404 for them means the object is not there.
        for person in [p for p in demo.key_people if p.username in ("demo-admin", "demo-secretary")]:
            client = client_for(person, clients)
            check(
                client,
                person,
                method,
                url,
                404,
                f"{method} {url} (no such object) as {person.username}",
                data=probe.data,
            )


def test_the_probe_meets_every_answer(demo: Demo, db: None) -> None:
    """The rules are not vacuous: over the demo tree each kind of answer occurs for someone."""
    seen: set[Outcome] = set()
    for person in demo.key_people:
        for target in by_pk(REPORTS)(demo):
            seen.add(reads_report(person, target.obj))
    assert seen == {ALLOWED, 403, 404}
