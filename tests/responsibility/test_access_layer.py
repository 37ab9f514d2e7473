"""The responsibility app's access layer: its views decide no permission (responsibility.access does), its
templates compare no status string, allowed_actions follows the transition tables, and every service that
acts for a person refuses someone without standing on the organization, however it is called."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Organization, Position, User
from foundation.errors import DomainError
from responsibility import access, services
from responsibility.models import Category, DutyRecord, DutyType, ListItem, Period, ResponsibilityList
from tests.conftest import Tree
from tests.factories import UserFactory
from tests.test_architecture import PERMISSION_DECISIONS, ROOT, view_modules

ListStatus = ResponsibilityList.Status
RecordStatus = DutyRecord.Status
Role = Position.Role


# The views and the templates ---------------------------------------------------------------------


def test_the_responsibility_views_decide_no_permission() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in view_modules("responsibility")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(word in line for word in PERMISSION_DECISIONS) and not line.strip().startswith(("#", '"'))
    ]
    assert view_modules("responsibility")
    assert offenders == []


def test_the_views_call_the_access_module_through_its_name() -> None:
    """`access.list_for(...)`, never `from responsibility.access import list_for`, so a test can spy on it."""
    for path in view_modules("responsibility"):
        text = path.read_text(encoding="utf-8")
        assert "from responsibility.access import" not in text, path
        if path.name != "__init__.py":
            assert "from responsibility import access" in text, path


RAW_STATUS = re.compile(r"""status ?[!=]= ?['"]|status in ['"]""")


def test_no_template_of_the_app_compares_a_raw_status_string() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "templates" / "responsibility").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if RAW_STATUS.search(line)
    ]
    assert offenders == []


# allowed_actions against the transition tables ------------------------------------------------------

LIST_STEPS_BY_ROLE = {
    # The branch's own leaders submit and revise; the committee above approves, returns and closes.
    "branch_secretary": {
        ListStatus.DRAFT: {"submit"},
        ListStatus.SUBMITTED: set(),
        ListStatus.APPROVED: {"revise"},
        ListStatus.RETURNED: {"submit"},
    },
    "committee_secretary": {
        ListStatus.DRAFT: {"close"},
        ListStatus.SUBMITTED: {"approve", "return", "close"},
        ListStatus.APPROVED: {"close"},
        ListStatus.RETURNED: {"close"},
    },
    "grantee": {
        ListStatus.DRAFT: {"close"},
        ListStatus.SUBMITTED: {"approve", "return", "close"},
        ListStatus.APPROVED: {"close"},
        ListStatus.RETURNED: {"close"},
    },
    "branch_member": {status: set() for status in ListStatus.values},
    "outsider": {status: set() for status in ListStatus.values},
}


@pytest.mark.parametrize("who", sorted(LIST_STEPS_BY_ROLE))
def test_a_lists_allowed_actions_follow_its_table_and_the_persons_role(
    people: SimpleNamespace, branch_list: ResponsibilityList, who: str
) -> None:
    person = getattr(people, who)
    for status, expected in LIST_STEPS_BY_ROLE[who].items():
        branch_list.status = status
        actions = access.allowed_actions(person, branch_list)
        assert actions == expected, (who, status)
        for step in actions - {"close"}:
            sources, _target = services.LIST_TRANSITIONS[step]
            assert status in sources


def test_a_closed_list_allows_no_step_to_anyone(people: SimpleNamespace, branch_list: ResponsibilityList) -> None:
    branch_list.closed_at = timezone.now()
    for status in ListStatus.values:
        branch_list.status = status
        for who in LIST_STEPS_BY_ROLE:
            assert access.allowed_actions(getattr(people, who), branch_list) == frozenset()


RECORD_STEPS_BY_ROLE = {
    # The committee above accepts and returns (an accepted record too); the author resubmits a returned one.
    "committee_secretary": {
        RecordStatus.SUBMITTED: {"accept", "return"},
        RecordStatus.ACCEPTED: {"return"},
        RecordStatus.RETURNED: set(),
    },
    "branch_secretary": {
        RecordStatus.SUBMITTED: set(),
        RecordStatus.ACCEPTED: set(),
        RecordStatus.RETURNED: {"resubmit"},
    },
    "branch_member": {status: set() for status in RecordStatus.values},
    "outsider": {status: set() for status in RecordStatus.values},
}


@pytest.fixture
def record(people: SimpleNamespace, branch_list: ResponsibilityList) -> DutyRecord:
    item = branch_list.items.get(duty_type=DutyType.ORGANIZATION)
    written = services.record_add(
        item=item,
        occurred_on=timezone.localdate(),
        content="召开支委会",
        done_by=people.branch_secretary,
        by=people.branch_secretary,
    )
    return access.record_for(people.admin, written.pk)


@pytest.mark.parametrize("who", sorted(RECORD_STEPS_BY_ROLE))
def test_a_records_allowed_actions_follow_its_table_and_the_persons_role(
    people: SimpleNamespace, record: DutyRecord, who: str
) -> None:
    person = getattr(people, who)
    for status, expected in RECORD_STEPS_BY_ROLE[who].items():
        record.status = status
        actions = access.allowed_actions(person, record)
        assert actions == expected, (who, status)
        for step in actions:
            sources, _target = services.RECORD_TRANSITIONS[step]
            assert status in sources


def test_a_record_of_a_closed_year_allows_no_step(people: SimpleNamespace, record: DutyRecord) -> None:
    record.item.list.closed_at = timezone.now()
    for status in RecordStatus.values:
        record.status = status
        for who in RECORD_STEPS_BY_ROLE:
            assert access.allowed_actions(getattr(people, who), record) == frozenset()


# Services check their actor ---------------------------------------------------------------------------


def _holder(username: str, organization: Organization, role: str = Role.SECRETARY) -> User:
    person = UserFactory(username=username, full_name=username)
    account_services.position_assign(person=person, organization=organization, role=role)
    return person


@pytest.fixture
def outsiders(tree: Tree) -> dict[str, User]:
    """A committee outside the subtree, a sibling branch's secretary, and someone whose positions at the
    township committee and at the branch (which let them do all of it) have ended."""
    departed = UserFactory(username="departed", full_name="departed")
    for organization in (tree.township, tree.branch):
        account_services.position_assign(person=departed, organization=organization, role=Role.COMMITTEE_MEMBER)
    for position in Position.objects.filter(person=departed):
        account_services.position_end(position=position)
    return {
        "other_committee": _holder("other_committee", tree.sibling_township),
        "sibling_branch": _holder("sibling_branch", tree.branch_sibling),
        "departed": departed,
    }


@pytest.fixture
def objects(
    tree: Tree, people: SimpleNamespace, branch_list: ResponsibilityList, category: Category, year: int
) -> SimpleNamespace:
    """One object of each kind a service acts on, made by those who may."""
    boss, secretary = people.committee_secretary, people.branch_secretary
    plan = services.work_plan_create(organization=tree.township, year=year, title="要点", by=boss)
    point = services.work_point_add(plan=plan, category=category, text="要点条目", by=boss)
    template = services.template_create(organization=tree.township, name="模板", sector="", by=boss)

    def organization_list(for_year: int, *, submit: bool) -> tuple[ResponsibilityList, ListItem]:
        started = services.list_start(organization=tree.branch, year=for_year, by=secretary)
        item = services.list_item_add(
            responsibility_list=started,
            category=category,
            duty_type=DutyType.ORGANIZATION,
            content="每月召开支委会",
            target_period=Period.YEAR,
            target_count=1,
            by=secretary,
        )
        if submit:
            started = services.list_submit(responsibility_list=started, by=secretary)
        return started, item

    draft, item = organization_list(year + 1, submit=False)
    submitted, _item = organization_list(year + 2, submit=True)
    written = services.record_add(
        item=branch_list.items.get(duty_type=DutyType.ORGANIZATION),
        occurred_on=timezone.localdate(),
        content="召开支委会",
        done_by=secretary,
        by=secretary,
    )
    return SimpleNamespace(
        plan=plan,
        point=point,
        template=template,
        draft=draft,
        item=item,
        submitted=submitted,
        approved=branch_list,
        record=written,
        category=category,
        year=year,
    )


Call = Callable[[SimpleNamespace, Tree, SimpleNamespace, User], Any]

SERVICE_CALLS: dict[str, Call] = {
    "work_plan_create": lambda o, tree, people, by: services.work_plan_create(
        organization=tree.township, year=o.year + 1, title="要点", by=by
    ),
    "work_point_add": lambda o, tree, people, by: services.work_point_add(
        plan=o.plan, category=o.category, text="要点", by=by
    ),
    "work_point_remove": lambda o, tree, people, by: services.work_point_remove(point=o.point, by=by),
    "work_plan_publish": lambda o, tree, people, by: services.work_plan_publish(plan=o.plan, by=by),
    "template_create": lambda o, tree, people, by: services.template_create(
        organization=tree.township, name="模板二", sector="", by=by
    ),
    "template_item_add": lambda o, tree, people, by: services.template_item_add(
        template=o.template,
        category=o.category,
        duty_type=DutyType.ORGANIZATION,
        content="条目",
        target_period=Period.YEAR,
        target_count=1,
        by=by,
    ),
    "template_publish": lambda o, tree, people, by: services.template_publish(template=o.template, by=by),
    "list_start": lambda o, tree, people, by: services.list_start(organization=tree.branch, year=o.year + 3, by=by),
    "list_item_add": lambda o, tree, people, by: services.list_item_add(
        responsibility_list=o.draft,
        category=o.category,
        duty_type=DutyType.ORGANIZATION,
        content="条目",
        target_period=Period.YEAR,
        target_count=1,
        by=by,
    ),
    "list_item_update": lambda o, tree, people, by: services.list_item_update(
        item=o.item,
        category=o.category,
        duty_type=DutyType.ORGANIZATION,
        content="改过的条目",
        target_period=Period.YEAR,
        target_count=1,
        by=by,
    ),
    "list_item_remove": lambda o, tree, people, by: services.list_item_remove(item=o.item, by=by),
    "list_submit": lambda o, tree, people, by: services.list_submit(responsibility_list=o.draft, by=by),
    "list_approve": lambda o, tree, people, by: services.list_approve(responsibility_list=o.submitted, by=by),
    "list_return": lambda o, tree, people, by: services.list_return(
        responsibility_list=o.submitted, by=by, comment="请修改"
    ),
    "list_revise": lambda o, tree, people, by: services.list_revise(responsibility_list=o.approved, by=by),
    "list_close": lambda o, tree, people, by: services.list_close(responsibility_list=o.approved, by=by),
    "record_accept": lambda o, tree, people, by: services.record_accept(record=o.record, by=by, without_evidence=True),
    "record_return": lambda o, tree, people, by: services.record_return(record=o.record, by=by, reason="请补充"),
    "commitment_save": lambda o, tree, people, by: services.commitment_save(
        organization=tree.branch, year=o.year, text="承诺", publish=True, by=by
    ),
    # The member supervises the branch; whoever designates it for them must too.
    "contact_point_designate": lambda o, tree, people, by: services.contact_point_designate(
        member=people.committee_member, organization=tree.branch, year=o.year, reason="红灯较多", by=by
    ),
}


@pytest.mark.parametrize("service", sorted(SERVICE_CALLS))
def test_a_service_refuses_an_actor_without_standing_on_the_organization(
    tree: Tree, people: SimpleNamespace, objects: SimpleNamespace, outsiders: dict[str, User], service: str
) -> None:
    call = SERVICE_CALLS[service]
    for who, person in outsiders.items():
        try:
            call(objects, tree, people, person)
        except PermissionDenied:
            continue
        pytest.fail(f"{service} let {who} act")
    # Nothing was written on their behalf.
    assert not ResponsibilityList.objects.filter(year=objects.year + 3).exists()
    assert not objects.plan.points.exclude(pk=objects.point.pk).exists()


@pytest.mark.parametrize("service", sorted(SERVICE_CALLS))
def test_a_service_accepts_an_administrator(
    tree: Tree, people: SimpleNamespace, objects: SimpleNamespace, service: str
) -> None:
    """The check refuses outsiders only: someone who may act gets past it (the service's own rules apply)."""
    # A business rule may still refuse (a template with no items): the actor was not refused.
    with contextlib.suppress(DomainError):
        SERVICE_CALLS[service](objects, tree, people, people.admin)
