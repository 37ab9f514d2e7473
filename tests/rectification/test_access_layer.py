"""The access layer of 督查 and 整改: views decide nothing and go through rectification.access, templates name no
status, the steps a person is offered come from the workflow's tables, and every service checks its actor."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Position, User
from accounts.services import position_end
from foundation.errors import DomainError
from rectification import access, rules, services
from rectification.models import (
    Disclosure,
    ExtensionRequest,
    Finding,
    Inspection,
    InspectionTarget,
    RectificationTask,
    TaskEvent,
)
from responsibility.models import Category
from reviews import services as review_services
from reviews.models import DutyReport
from tests.clients import signed_in
from tests.conftest import Tree, _person
from tests.test_architecture import PERMISSION_DECISIONS, ROOT, view_modules

Status = RectificationTask.Status
RAW_STATUS = re.compile(r"status ?[!=]= ?['\"]|status in ['\"]")


def today() -> Any:
    return timezone.localdate()


# (a) and (b): views and templates --------------------------------------------------------------------------


def test_rectification_views_decide_no_permission() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in view_modules("rectification")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(word in line for word in PERMISSION_DECISIONS) and not line.strip().startswith(("#", '"'))
    ]
    assert view_modules("rectification")
    assert offenders == []


def test_rectification_templates_compare_no_raw_status() -> None:
    templates = sorted(Path(ROOT, "templates", "rectification").rglob("*.html"))
    assert templates
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in templates
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if RAW_STATUS.search(line)
    ]
    assert offenders == []


def test_the_roles_steps_are_exactly_the_workflows_steps() -> None:
    assert set(services.TASK_TRANSITIONS) | set(services.TASK_STEPS) == access.KEEPER_STEPS | access.COMMITTEE_STEPS
    assert not access.KEEPER_STEPS & access.COMMITTEE_STEPS


@pytest.mark.parametrize(
    ("name", "url_of", "resolver"),
    [
        ("board", lambda c: reverse("rectification_board"), "board_roots_for"),
        ("ledger", lambda c: reverse("ledger_export"), "board_roots_for"),
        ("findings", lambda c: reverse("findings"), "committee_only"),
        ("finding_new", lambda c: f"{reverse('finding_new')}?org={c.tree.branch.pk}", "organization_for"),
        ("task_new", lambda c: f"{reverse('task_new')}?findings={c.finding.pk}", "findings_for"),
        ("my_tasks", lambda c: reverse("my_tasks"), "is_committee"),
        ("task_detail", lambda c: reverse("task_detail", args=[c.task.pk]), "task_for"),
        ("inspections", lambda c: reverse("inspections"), "committee_only"),
        ("inspection_new", lambda c: reverse("inspection_new"), "inspection_planner"),
        ("disclosure", lambda c: reverse("disclosure", args=[c.tree.branch.pk, today().year]), "organization_for"),
        ("public_list", lambda c: reverse("public_rectifications"), "published_disclosures"),
    ],
)
def test_each_page_resolves_what_it_reaches_through_the_access_module(
    tree: Tree,
    people: SimpleNamespace,
    finding: Finding,
    task: RectificationTask,
    name: str,
    url_of: Callable[[SimpleNamespace], str],
    resolver: str,
) -> None:
    context = SimpleNamespace(tree=tree, finding=finding, task=task)
    if name == "task_new":
        context.finding = services.finding_raise(
            organization=tree.branch,
            year=today().year,
            source=Finding.Source.SELF_CHECK,
            description="另一问题",
            category=finding.category,
            by=people.committee_secretary,
        )
    client = signed_in(people.committee_secretary)
    with mock.patch.object(access, resolver, wraps=getattr(access, resolver)) as spy:
        response = client.get(url_of(context))
    assert response.status_code == 200
    assert spy.called


# (c): allowed_actions against the transition table ---------------------------------------------------------


def opened_by_tables(status: str) -> set[str]:
    """The steps the tables open in STATUS, for a task with no pending extension, not supervised, not weak."""
    opened = {action for action, (sources, _target) in services.TASK_TRANSITIONS.items() if status in sources}
    opened |= {action for action, sources in services.TASK_STEPS.items() if status in sources}
    return opened - {"decide", "measure"}


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize(
    ("role", "steps"),
    [
        ("branch_secretary", access.KEEPER_STEPS),
        ("committee_secretary", access.COMMITTEE_STEPS),
        ("grantee", access.COMMITTEE_STEPS),
        ("admin", access.KEEPER_STEPS | access.COMMITTEE_STEPS),
        ("branch_member", frozenset()),
        ("outsider", frozenset()),
    ],
)
def test_allowed_actions_are_the_tables_steps_of_the_state_that_the_role_takes(
    task: RectificationTask, people: SimpleNamespace, status: str, role: str, steps: frozenset[str]
) -> None:
    RectificationTask.objects.filter(pk=task.pk).update(status=status)
    task.refresh_from_db()
    assert access.allowed_actions(getattr(people, role), task) == opened_by_tables(status) & steps


def test_the_committee_accepts_or_returns_what_awaits_acceptance_and_the_branch_does_not(
    task: RectificationTask, people: SimpleNamespace
) -> None:
    RectificationTask.objects.filter(pk=task.pk).update(status=Status.AWAITING_ACCEPTANCE)
    task.refresh_from_db()
    assert access.allowed_actions(people.committee_secretary, task) == {"accept", "return", "supervise"}
    assert access.allowed_actions(people.branch_secretary, task) == {"extend"}


def test_a_pending_extension_is_decided_by_the_committee_and_not_asked_for_twice(
    task: RectificationTask, people: SimpleNamespace
) -> None:
    services.extension_request(
        task=task, deadline=task.deadline + timedelta(days=10), reason="等待批复", by=people.branch_secretary
    )
    assert "decide" in access.allowed_actions(people.committee_secretary, task)
    assert "extend" not in access.allowed_actions(people.branch_secretary, task)
    assert "decide" not in access.allowed_actions(people.branch_secretary, task)


def test_weak_rectification_opens_the_measure_step_to_the_committee_even_once_closed(
    task: RectificationTask, people: SimpleNamespace
) -> None:
    returned = rules.Limits.from_settings().weak_returns
    RectificationTask.objects.filter(pk=task.pk).update(status=Status.ACCEPTED, returned_count=returned)
    task.refresh_from_db()
    assert access.allowed_actions(people.committee_secretary, task) == {"measure"}
    assert access.allowed_actions(people.branch_secretary, task) == frozenset()


def test_a_responsible_person_who_left_is_offered_nothing(task: RectificationTask, people: SimpleNamespace) -> None:
    position_end(position=Position.objects.get(person=people.branch_secretary, is_current=True))
    responsible = User.objects.get(pk=people.branch_secretary.pk)
    assert access.allowed_actions(responsible, task) == frozenset()


# (d): every service that acts for a person refuses an outsider ---------------------------------------------


OUTSIDERS = ("committee_outside_the_subtree", "sibling_branch", "departed")


@pytest.fixture
def outsiders(tree: Tree) -> dict[str, User]:
    departed = _person("departed_committee_member", tree.township, Position.Role.COMMITTEE_MEMBER)
    position_end(position=Position.objects.get(person=departed))
    return {
        "committee_outside_the_subtree": _person("sibling_township_secretary", tree.sibling_township, "secretary"),
        "sibling_branch": _person("sibling_branch_secretary", tree.branch_sibling, "secretary"),
        "departed": User.objects.get(pk=departed.pk),
    }


@pytest.fixture
def inspection(tree: Tree, people: SimpleNamespace) -> Inspection:
    return services.inspection_plan(
        organization=tree.township,
        kind=Inspection.Kind.SCHEDULED,
        title="党建督查",
        planned_on=today(),
        targets=[tree.branch],
        by=people.committee_secretary,
    )


def written() -> tuple[int, ...]:
    """What a refused call must leave as it was."""
    return (
        Finding.objects.count(),
        RectificationTask.objects.count(),
        TaskEvent.objects.count(),
        ExtensionRequest.objects.count(),
        Disclosure.objects.count(),
        Inspection.objects.count(),
        InspectionTarget.objects.exclude(outcome=InspectionTarget.Outcome.PENDING).count(),
        RectificationTask.objects.filter(supervised=True).count(),
    )


def _extension(c: SimpleNamespace) -> ExtensionRequest:
    return services.extension_request(
        task=c.task, deadline=c.task.deadline + timedelta(days=5), reason="等待批复", by=c.people.branch_secretary
    )


def _problem(c: SimpleNamespace) -> Any:
    cycle = review_services.cycle_create(
        organization=c.tree.township,
        year=today().year,
        title="述职评议",
        report_due=today() + timedelta(days=10),
        scoring_due=today() + timedelta(days=20),
        ballot_opens=today(),
        ballot_closes=today() + timedelta(days=10),
        scope="branches",
        by=c.people.committee_secretary,
    )
    report = DutyReport.objects.get(cycle=cycle, organization=c.tree.branch)
    return review_services.problem_add(report=report, text="发展党员梯队不足。", by=c.people.committee_secretary)


# Each: (prepare with the allowed people, then the call the outsider makes).
COMMITTEE_ACTS: dict[str, tuple[Callable[[SimpleNamespace], Any], Callable[[SimpleNamespace, Any, User], Any]]] = {
    "finding_raise": (
        lambda c: None,
        lambda c, _x, by: services.finding_raise(
            organization=c.tree.branch,
            year=today().year,
            source=Finding.Source.SELF_CHECK,
            description="问题",
            category=c.category,
            by=by,
        ),
    ),
    "finding_from_problem": (
        _problem,
        lambda c, problem, by: services.finding_from_problem(problem=problem, category=c.category, by=by),
    ),
    "task_create": (
        lambda c: services.finding_raise(
            organization=c.tree.branch,
            year=today().year,
            source=Finding.Source.SELF_CHECK,
            description="另一问题",
            category=c.category,
            by=c.people.committee_secretary,
        ),
        lambda c, finding, by: services.task_create(
            findings=[finding],
            title="整改",
            responsible=c.people.branch_secretary,
            deadline=today() + timedelta(days=10),
            by=by,
        ),
    ),
    "task_return": (lambda c: None, lambda c, _x, by: services.task_return(task=c.task, reason="不到位", by=by)),
    "task_accept": (lambda c: None, lambda c, _x, by: services.task_accept(task=c.task, by=by)),
    "task_supervise": (lambda c: None, lambda c, _x, by: services.task_supervise(task=c.task, by=by)),
    "measure_record": (lambda c: None, lambda c, _x, by: services.measure_record(task=c.task, text="约谈", by=by)),
    "extension_decide": (
        _extension,
        lambda c, extension, by: services.extension_decide(extension=extension, approve=True, by=by),
    ),
    "disclosure_publish": (
        lambda c: None,
        lambda c, _x, by: services.disclosure_publish(
            organization=c.tree.branch, year=today().year, hide_names=True, by=by
        ),
    ),
    "disclosure_withdraw": (
        lambda c: services.disclosure_publish(
            organization=c.tree.branch, year=today().year, hide_names=True, by=c.people.committee_secretary
        ),
        lambda c, _x, by: services.disclosure_withdraw(organization=c.tree.branch, year=today().year, by=by),
    ),
    "inspection_plan": (
        lambda c: None,
        lambda c, _x, by: services.inspection_plan(
            organization=c.tree.township,
            kind=Inspection.Kind.SCHEDULED,
            title="督查",
            planned_on=today(),
            targets=[c.tree.branch],
            by=by,
        ),
    ),
    "inspection_record": (
        lambda c: c.inspection.targets.get(),
        lambda c, target, by: services.inspection_record(
            target=target, outcome=InspectionTarget.Outcome.GOOD, notes="", checked_on=today(), by=by
        ),
    ),
    "inspection_complete": (
        lambda c: None,
        lambda c, _x, by: services.inspection_complete(inspection=c.inspection, by=by),
    ),
}

KEEPER_ACTS: dict[str, Callable[[SimpleNamespace, User], Any]] = {
    "task_plan": lambda c, by: services.task_plan(
        task=c.task, measures="措施", standard="标准", commitment="承诺", by=by
    ),
    "task_progress": lambda c, by: services.task_progress(task=c.task, text="进展", by=by),
    "task_submit": lambda c, by: services.task_submit(task=c.task, text="完成", by=by),
    "extension_request": lambda c, by: services.extension_request(
        task=c.task, deadline=c.task.deadline + timedelta(days=5), reason="理由", by=by
    ),
}


@pytest.fixture
def context(
    tree: Tree,
    people: SimpleNamespace,
    task: RectificationTask,
    category: Category,
    inspection: Inspection,
) -> SimpleNamespace:
    return SimpleNamespace(tree=tree, people=people, task=task, category=category, inspection=inspection)


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("act", sorted(COMMITTEE_ACTS))
def test_the_committees_services_refuse_an_outsider_and_write_nothing(
    context: SimpleNamespace, outsiders: dict[str, User], act: str, outsider: str
) -> None:
    prepare, call = COMMITTEE_ACTS[act]
    prepared = prepare(context)
    before = written()
    with pytest.raises(PermissionDenied):
        call(context, prepared, outsiders[outsider])
    assert written() == before


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("act", sorted(KEEPER_ACTS))
def test_the_tasks_own_steps_refuse_an_outsider_and_write_nothing(
    context: SimpleNamespace, outsiders: dict[str, User], act: str, outsider: str
) -> None:
    # Each step in the state it needs, so only the actor can be what refuses it.
    status = {"task_plan": Status.AWAITING_PLAN}.get(act, Status.IN_PROGRESS)
    RectificationTask.objects.filter(pk=context.task.pk).update(status=status)
    context.task.refresh_from_db()
    before = written()
    with pytest.raises(DomainError, match="只有仍在"):
        KEEPER_ACTS[act](context, outsiders[outsider])
    assert written() == before
