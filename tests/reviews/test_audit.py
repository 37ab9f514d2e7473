"""述职评议 on the audit page (操作日志): each row shows a reader only what the review's own pages show them then.

A report's text is its organization's until submitted; the committee's 点评意见, daily score and problems
reach the organization once the cycle is closed; ballot codes and their batches stay with the cycle's
committee (reviews/audit.py).
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Position, User
from reviews import audit, services
from reviews.models import BallotBatch, BallotCode, ClosingNote, Cycle, DutyReport, Indicator, Result
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import UserFactory
from tests.reviews.conftest import close_cycle, make_codes

DRAFT_TEXT = "草稿中尚未提交的述职内容"
COMMENT = "县委点评：组织生活会质量不高"
DAILY_REASON = "县委评定理由：台账补录较多"
DAILY_SCORE = "61.3"
PROBLEM = "县委发现：党费收缴台账不全"


def audit_page(user: Any, model: str) -> tuple[str, set[int], list[Any]]:
    """The audit page of one model as USER sees it: its text, the history ids shown and the rows."""
    response = signed_in(user).get(reverse("audit_log"), {"model": model})
    assert response.status_code == 200
    rows = list(response.context["items"])
    return response.content.decode(), {row.history_id for row in rows}, rows


def shown_values(rows: list[Any]) -> str:
    """Every value the rows carry into the page, hidden or not (a hidden one must carry none)."""
    return " ".join(f"{change.old} {change.new}" for row in rows for change in row.changes)


def report_of(cycle: Cycle, organization: Any) -> DutyReport:
    return cycle.reports.select_related("cycle", "organization").get(organization=organization)


def write(report: DutyReport, text: str, by: Any) -> DutyReport:
    report.refresh_from_db()
    titles = report.cycle.section_titles()
    return services.report_save(
        report=report, sections=dict.fromkeys(titles, f"<p>{text}</p>"), revision=report.revision, by=by
    )


@pytest.fixture
def county_secretary(tree: Tree) -> User:
    person = UserFactory(username="county_secretary", full_name="县委书记")
    account_services.position_assign(person=person, organization=tree.county, role=Position.Role.SECRETARY)
    return person


@pytest.fixture
def county_cycle(tree: Tree, county_secretary: User) -> Cycle:
    """The county reviews the township committee (甲镇党委) this year; its report is the township's own."""
    today = timezone.localdate()
    cycle = services.cycle_create(
        organization=tree.county,
        year=today.year,
        title="乡镇党委书记述职评议",
        report_due=today + timedelta(days=10),
        scoring_due=today + timedelta(days=20),
        ballot_opens=today - timedelta(days=1),
        ballot_closes=today + timedelta(days=10),
        participants=[tree.township],
        by=county_secretary,
    )
    Indicator.objects.create(cycle=cycle, category="组织建设", name="基层组织建设", max_points=100)
    services.cycle_open(cycle=cycle, by=county_secretary)
    cycle.refresh_from_db()
    return cycle


@pytest.fixture
def county_comment(county_cycle: Cycle, county_secretary: User, tree: Tree) -> DutyReport:
    """The county's 点评意见, daily score and a problem on the township's report, before closing."""
    report = report_of(county_cycle, tree.township)
    services.report_comment_save(report=report, comment="", by=county_secretary)
    services.report_comment_save(
        report=report, comment=COMMENT, daily_score=DAILY_SCORE, daily_reason=DAILY_REASON, by=county_secretary
    )
    services.problem_add(report=report, text=PROBLEM, by=county_secretary)
    return report


def test_every_field_of_a_report_has_its_audience() -> None:
    """A field added to the report is hidden from everyone on the audit page until someone says who reads it."""
    fields = {field.name for field in DutyReport._meta.concrete_fields} - {"id"}
    assert fields == audit.REPORT_STATE | audit.REPORT_TEXT | audit.COMMITTEE_PART
    assert not audit.REPORT_STATE & (audit.REPORT_TEXT | audit.COMMITTEE_PART)


# The reported cases ------------------------------------------------------------------------------


def test_a_committee_does_not_read_a_branchs_draft_in_the_audit_log(
    open_cycle: Cycle, tree: Tree, people: SimpleNamespace
) -> None:
    report = report_of(open_cycle, tree.branch)
    write(report, "第一稿", people.branch_secretary)
    write(report, DRAFT_TEXT, people.branch_secretary)
    latest = report.history.latest()

    for reader in (people.committee_secretary, people.committee_member, people.grantee):
        text, shown, rows = audit_page(reader, "reviews.DutyReport")
        assert latest.history_id in shown  # the row is there: someone changed the report, then
        assert DRAFT_TEXT not in text
        assert "第一稿" not in text
        assert DRAFT_TEXT not in shown_values(rows)
        row = next(row for row in rows if row.history_id == latest.history_id)
        hidden = next(change for change in row.changes if change.label == "报告内容")
        assert hidden.old_hidden
        assert hidden.new_hidden
        assert "（无权查看）" in text

    text, _shown, _rows = audit_page(people.admin, "reviews.DutyReport")
    assert DRAFT_TEXT in text


def test_the_committee_reads_the_text_once_submitted_but_not_the_revision_after_a_return(
    open_cycle: Cycle, tree: Tree, people: SimpleNamespace
) -> None:
    report = report_of(open_cycle, tree.branch)
    write(report, "第一稿", people.branch_secretary)
    write(report, "提交的正文", people.branch_secretary)
    services.report_submit(report=report, by=people.branch_secretary)
    # A change made while submitted (an administrator's correction) is the committee's to read.
    report.refresh_from_db()
    report.sections = dict.fromkeys(report.cycle.section_titles(), "<p>更正后的提交正文</p>")
    report.save()
    services.report_return(report=report, by=people.committee_secretary, reason="请补充存在问题")
    write(report, "退回后正在修改的稿子", people.branch_secretary)

    text, _shown, rows = audit_page(people.committee_secretary, "reviews.DutyReport")
    assert "更正后的提交正文" in text  # new, in a submitted row
    assert "提交的正文" in text  # old, in the submitted row before it
    assert "第一稿" not in shown_values(rows)
    assert "退回后正在修改的稿子" not in text
    assert "退回后正在修改的稿子" not in shown_values(rows)
    assert "请补充存在问题" in text  # the committee's own reason


def test_a_township_does_not_read_the_countys_comment_and_score_until_the_cycle_is_closed(
    county_comment: DutyReport, county_cycle: Cycle, county_secretary: User, tree: Tree, people: SimpleNamespace
) -> None:
    problem = county_comment.problems.get()
    problem_row = problem.history.get().history_id
    secrets = (COMMENT, DAILY_REASON, DAILY_SCORE, PROBLEM)

    for reader in (people.committee_secretary, people.committee_deputy, people.grantee):
        text, shown, rows = audit_page(reader, "reviews.DutyReport")
        assert county_comment.history.latest().history_id in shown
        for secret in secrets:
            assert secret not in text
            assert secret not in shown_values(rows)
        text, shown, _rows = audit_page(reader, "reviews.Problem")
        assert problem_row not in shown
        assert PROBLEM not in text

    text, _shown, _rows = audit_page(county_secretary, "reviews.DutyReport")
    for secret in (COMMENT, DAILY_REASON, DAILY_SCORE):
        assert secret in text
    assert problem_row in audit_page(county_secretary, "reviews.Problem")[1]

    close_cycle(county_cycle, county_secretary)
    for reader in (people.committee_secretary, people.grantee):
        text, _shown, _rows = audit_page(reader, "reviews.DutyReport")
        for secret in (COMMENT, DAILY_REASON, DAILY_SCORE):
            assert secret in text
        assert problem_row in audit_page(reader, "reviews.Problem")[1]


# The other reviews models ------------------------------------------------------------------------


def test_ballot_codes_and_batches_stay_with_the_cycles_committee(
    open_cycle: Cycle, tree: Tree, people: SimpleNamespace, county_secretary: User
) -> None:
    [code] = make_codes(open_cycle, tree.branch, 1, people)
    ballot_code = BallotCode.objects.get(code=code)
    # Codes never change in the product; an edit through the database is the worst case: old → new code.
    ballot_code.code = "PROBECODE01"
    ballot_code.save()
    services.ballot_batch_printed(
        cycle=open_cycle, organization_id=tree.branch.pk, number=1, by=people.committee_secretary
    )
    code_rows = set(BallotCode.history.values_list("history_id", flat=True))
    batch_rows = set(BallotBatch.history.values_list("history_id", flat=True))

    text, shown, _rows = audit_page(people.committee_secretary, "reviews.BallotCode")
    assert code_rows <= shown
    assert "PROBECODE01" in text
    assert code in text
    assert batch_rows <= audit_page(people.committee_secretary, "reviews.BallotBatch")[1]

    # A committee above (the county), a grantee and the committee's reviewers follow the cycle, but
    # none of them is its committee's staff: no code, no batch.
    for reader in (county_secretary, people.grantee):
        text, shown, _rows = audit_page(reader, "reviews.BallotCode")
        assert not shown & code_rows
        assert "PROBECODE01" not in text
        assert code not in text
        assert not audit_page(reader, "reviews.BallotBatch")[1] & batch_rows


def test_a_cycle_and_its_closing_notes_are_for_those_who_follow_it(
    county_comment: DutyReport, county_cycle: Cycle, county_secretary: User, people: SimpleNamespace
) -> None:
    close_cycle(county_cycle, county_secretary)
    notes = set(ClosingNote.history.values_list("history_id", flat=True))
    assert notes
    cycle_rows = set(county_cycle.history.values_list("history_id", flat=True))
    assert notes <= audit_page(county_secretary, "reviews.ClosingNote")[1]
    assert cycle_rows <= audit_page(county_secretary, "reviews.Cycle")[1]
    # The township takes part but does not follow the county's cycle: it reads its result instead.
    assert not audit_page(people.committee_secretary, "reviews.ClosingNote")[1] & notes
    assert not audit_page(people.committee_secretary, "reviews.Cycle")[1] & cycle_rows


def test_a_results_ballot_counts_below_the_minimum_are_shown_to_nobody(
    county_comment: DutyReport, county_cycle: Cycle, county_secretary: User, people: SimpleNamespace
) -> None:
    close_cycle(county_cycle, county_secretary)
    result = Result.objects.get(report=county_comment)
    assert not result.ballots_published
    # Results are written once; an edit through the database is the worst case for what a row may show.
    result.ballots_valid, result.ballots_poor = 3, 2
    result.save()
    result.ballots_valid, result.ballots_poor = 4, 3
    result.save()
    latest = result.history.latest().history_id
    for reader in (county_secretary, people.committee_secretary, people.admin):
        _text, _shown, rows = audit_page(reader, "reviews.Result")
        [row] = [row for row in rows if row.history_id == latest]
        changes = {change.label: change for change in row.changes}
        assert set(changes) == {"有效票数", "“差”票数"}
        assert all(change.old_hidden and change.new_hidden for change in changes.values())
        assert all(change.old is None and change.new is None for change in changes.values())


def test_rows_a_reader_may_not_see_do_not_crowd_out_their_own(
    open_cycle: Cycle,
    county_cycle: Cycle,
    tree: Tree,
    people: SimpleNamespace,
    county_secretary: User,
    monkeypatch: Any,
) -> None:
    """The page reads the latest rows of each model; the township's newer codes must not take the county's places."""
    own = services.ballot_codes_generate(
        cycle=county_cycle, organization=tree.township, count=1, by=county_secretary, reason="列席"
    )
    make_codes(open_cycle, tree.branch, 3, people)
    monkeypatch.setattr("accounts.audit_views.LATEST_PER_MODEL", 1)
    _text, shown, _rows = audit_page(county_secretary, "reviews.BallotCode")
    assert shown == {own[0].history.get().history_id}
