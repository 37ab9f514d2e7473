"""One access layer for 述职评议考核: reviews.access decides, the views ask it, the templates ask the workflow, and
the services refuse a person who may not act, whoever calls them.

- The view modules hold no permission decision of their own.
- No template of the app compares a raw status string.
- `allowed_actions` follows the transition tables (reviews.workflow) and the person's role on the organization.
- Every service that acts for a person refuses an outsider: a committee outside the subtree, a sibling branch,
  a person whose position has ended.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Organization, Position, User
from accounts.services import position_assign, position_end
from reviews import access, services
from reviews.models import Cycle, DutyReport, Problem, ReviewerAssignment, RubricTemplate
from reviews.workflow import CYCLE_TRANSITIONS, REPORT_TRANSITIONS
from tests.conftest import Tree
from tests.factories import UserFactory
from tests.test_architecture import PERMISSION_DECISIONS, ROOT, view_modules

RAW_STATUS = re.compile(r"""status ?[!=]= ?['"]|status in ['"]""")


def test_the_review_views_decide_no_permission() -> None:
    paths = view_modules("reviews")
    assert {path.name for path in paths} >= {"cycles.py", "scoring.py", "reports.py", "ballots.py"}
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in paths
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(word in line for word in PERMISSION_DECISIONS) and not line.strip().startswith(("#", '"'))
    ]
    assert offenders == []


def test_every_review_view_module_asks_reviews_access() -> None:
    for path in view_modules("reviews"):
        if path.name == "__init__.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert re.search(r"^from reviews import (.*, )?access\b", text, re.MULTILINE), path.name
        assert "from reviews.access import" not in text, path.name


def test_no_review_template_compares_a_raw_status_string() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(Path(ROOT, "templates", "reviews").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if RAW_STATUS.search(line)
    ]
    assert offenders == []


def test_the_long_modules_of_reviews_are_split_or_say_why() -> None:
    for path in sorted(Path(ROOT, "reviews").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 600:
            assert "on purpose" in text.split('"""')[1], path


# allowed_actions against the transition tables --------------------------------------------------------------


def fresh(user: User) -> User:
    """The person as the next request loads them (the scope is cached on the user object for one request)."""
    return User.objects.get(pk=user.pk)


def with_status(cycle: Cycle, status: str) -> Cycle:
    Cycle.objects.filter(pk=cycle.pk).update(status=status)
    return Cycle.objects.select_related("organization").get(pk=cycle.pk)


def report_with(cycle: Cycle, organization: Organization, status: str) -> DutyReport:
    DutyReport.objects.filter(cycle=cycle, organization=organization).update(status=status)
    return DutyReport.objects.select_related("cycle__organization", "organization").get(
        cycle=cycle, organization=organization
    )


@pytest.mark.parametrize("status", list(Cycle.Status))
@pytest.mark.parametrize(
    ("who", "acts"),
    [
        ("committee_secretary", True),
        ("committee_staff", True),
        ("admin", True),
        ("committee_party_member", False),
        ("grantee", False),
        ("branch_secretary", False),
        ("outsider", False),
    ],
)
def test_the_cycles_committee_has_the_tables_actions_from_each_state(
    open_cycle: Cycle, people: SimpleNamespace, status: str, who: str, acts: bool
) -> None:
    cycle = with_status(open_cycle, status)
    from_table = {action for action, (sources, _target) in CYCLE_TRANSITIONS.items() if status in sources}
    assert access.allowed_actions(fresh(getattr(people, who)), cycle) == (from_table if acts else set())


@pytest.mark.parametrize("status", list(DutyReport.Status))
@pytest.mark.parametrize(
    ("who", "role"),
    [
        ("branch_secretary", "keeps"),
        ("branch_staff", "keeps"),
        ("committee_secretary", "assesses"),
        ("committee_member", "assesses"),
        ("grantee", "assesses"),
        ("admin", "both"),
        ("branch_member", None),
        ("committee_party_member", None),
        ("outsider", None),
    ],
)
def test_a_report_offers_submit_to_its_keepers_and_return_to_its_assessors(
    open_cycle: Cycle, tree: Tree, people: SimpleNamespace, status: str, who: str, role: str | None
) -> None:
    report = report_with(open_cycle, tree.branch, status)
    from_table = {action for action, (sources, _target) in REPORT_TRANSITIONS.items() if status in sources}
    allowed = {"keeps": {"submit"}, "assesses": {"return"}, "both": {"submit", "return"}}.get(role or "", set())
    assert access.allowed_actions(fresh(getattr(people, who)), report) == from_table & allowed


@pytest.mark.parametrize("status", list(DutyReport.Status))
def test_a_closed_cycles_reports_offer_nothing(
    open_cycle: Cycle, tree: Tree, people: SimpleNamespace, status: str
) -> None:
    with_status(open_cycle, Cycle.Status.CLOSED)
    report = report_with(open_cycle, tree.branch, status)
    assert access.allowed_actions(fresh(people.admin), report) == frozenset()


def test_a_draft_cycles_report_cannot_be_submitted_yet(open_cycle: Cycle, tree: Tree, people: SimpleNamespace) -> None:
    with_status(open_cycle, Cycle.Status.DRAFT)
    report = report_with(open_cycle, tree.branch, DutyReport.Status.DRAFT)
    assert access.allowed_actions(fresh(people.branch_secretary), report) == frozenset()


# services refuse an outsider -----------------------------------------------------------------------------------


@pytest.fixture
def outsiders(tree: Tree, people: SimpleNamespace) -> dict[str, User]:
    """A committee outside the subtree (乙镇党委's secretary), a sibling branch's secretary (二村), and the
    township's and 一村's secretaries after their positions have ended."""
    sibling_committee = UserFactory(username="sibling_committee", full_name="sibling_committee")
    position_assign(person=sibling_committee, organization=tree.sibling_township, role=Position.Role.SECRETARY)
    sibling_branch = UserFactory(username="sibling_branch", full_name="sibling_branch")
    position_assign(person=sibling_branch, organization=tree.branch_sibling, role=Position.Role.SECRETARY)
    for person in (people.committee_deputy, people.branch_deputy):
        for position in Position.objects.current().filter(person=person):
            position_end(position=position)
    return {
        "committee outside the subtree": fresh(sibling_committee),
        "sibling branch": fresh(sibling_branch),
        "ended committee position": fresh(people.committee_deputy),
        "ended branch position": fresh(people.branch_deputy),
    }


def draft_cycle(tree: Tree, people: SimpleNamespace, open_cycle: Cycle) -> Cycle:
    return services.cycle_create(
        organization=tree.township,
        year=open_cycle.year,
        title="草稿考核",
        report_due=open_cycle.report_due,
        scoring_due=open_cycle.scoring_due,
        ballot_opens=open_cycle.ballot_opens,
        ballot_closes=open_cycle.ballot_closes,
        by=people.committee_secretary,
    )


@pytest.fixture
def world(open_cycle: Cycle, tree: Tree, people: SimpleNamespace, rubric: RubricTemplate) -> SimpleNamespace:
    """A draft cycle beside the open one, 一村's report submitted with a problem, an unsubmitted assignment."""
    submitted = open_cycle.reports.select_related("cycle", "organization").get(organization=tree.branch)
    sections = {title: f"<p>{title}</p>" for title in open_cycle.section_titles()}
    services.report_save(report=submitted, sections=sections, revision=0, by=people.branch_secretary)
    submitted = services.report_submit(report=submitted, by=people.branch_secretary)
    problem = services.problem_add(report=submitted, text="问题", by=people.committee_secretary)
    return SimpleNamespace(
        cycle=open_cycle,
        draft_cycle=draft_cycle(tree, people, open_cycle),
        rubric=rubric,
        submitted=submitted,
        problem=problem,
        assignment=ReviewerAssignment.objects.select_related("report__cycle").get(
            report=submitted, reviewer=people.committee_member
        ),
        reviewer=people.committee_member,
        tree=tree,
    )


INDICATOR = {"category": "新", "name": "新指标", "guidance": "", "kind": "standard", "max_points": "10"}

ACTS: dict[str, Callable[[SimpleNamespace, User], Any]] = {
    "rubric_template_create": lambda w, by: services.rubric_template_create(
        organization=w.tree.township, name="模板", by=by
    ),
    "template_indicator_add": lambda w, by: services.template_indicator_add(template=w.rubric, by=by, **INDICATOR),
    "cycle_create": lambda w, by: services.cycle_create(
        organization=w.tree.township,
        year=w.cycle.year,
        title="另一考核",
        report_due=w.cycle.report_due,
        scoring_due=w.cycle.scoring_due,
        ballot_opens=w.cycle.ballot_opens,
        ballot_closes=w.cycle.ballot_closes,
        by=by,
    ),
    "cycle_update": lambda w, by: services.cycle_update(cycle=w.draft_cycle, by=by, title="改名"),
    "indicator_add": lambda w, by: services.indicator_add(cycle=w.draft_cycle, by=by, **INDICATOR),
    "cycle_open": lambda w, by: services.cycle_open(cycle=w.draft_cycle, by=by),
    "reviewer_assign": lambda w, by: services.reviewer_assign(reports=[w.submitted], reviewer=w.reviewer, by=by),
    "reviewer_unassign": lambda w, by: services.reviewer_unassign(assignment=w.assignment, by=by),
    "report_save": lambda w, by: services.report_save(
        report=w.submitted, sections={"履职情况": "<p>改</p>"}, revision=w.submitted.revision, by=by
    ),
    "self_assessment_save": lambda w, by: services.self_assessment_save(
        report=w.submitted, indicator=w.cycle.indicators.first(), points="1", note="", record_ids=[], by=by
    ),
    "report_submit": lambda w, by: services.report_submit(report=w.submitted, by=by),
    "report_return": lambda w, by: services.report_return(report=w.submitted, reason="退回", by=by),
    "report_comment_save": lambda w, by: services.report_comment_save(report=w.submitted, comment="点评", by=by),
    "problem_add": lambda w, by: services.problem_add(report=w.submitted, text="另一问题", by=by),
    "problem_remove": lambda w, by: services.problem_remove(problem=w.problem, by=by),
}

# The reviewer's scores, the ballot codes and the closing refuse with a DomainError of their own (their
# messages are pinned by test_reviewer_leaves, test_ballot_views and test_services); those above raise
# PermissionDenied.


def snapshot(world: SimpleNamespace) -> tuple[Any, ...]:
    return (
        RubricTemplate.objects.count(),
        Cycle.objects.count(),
        list(Cycle.objects.order_by("pk").values_list("title", "status")),
        list(DutyReport.objects.order_by("pk").values_list("status", "revision", "comment")),
        Problem.objects.count(),
        ReviewerAssignment.objects.count(),
        world.draft_cycle.indicators.count(),
        world.rubric.indicators.count(),
    )


@pytest.mark.parametrize("act", sorted(ACTS))
@pytest.mark.parametrize(
    "outsider",
    ["committee outside the subtree", "sibling branch", "ended committee position", "ended branch position"],
)
def test_every_review_service_refuses_an_outsider_and_changes_nothing(
    world: SimpleNamespace, outsiders: dict[str, User], act: str, outsider: str
) -> None:
    before = snapshot(world)
    with pytest.raises(PermissionDenied):
        ACTS[act](world, outsiders[outsider])
    assert snapshot(world) == before
