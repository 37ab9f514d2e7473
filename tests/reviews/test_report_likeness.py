"""A duty report that repeats last year's or a neighbour's: the secretary is told before submitting, the
reviewer sees "与 2025 年本组织述职报告相似 N%" with the pair side by side, and nobody else's text leaks."""

from __future__ import annotations

from types import SimpleNamespace

from django.urls import reverse

from reviews import services
from reviews.models import Cycle, DutyReport
from similarity import services as similarity
from similarity.models import TextPair
from tests.clients import signed_in
from tests.conftest import Tree
from tests.similarity.test_services import REPORT_2025, REPORT_2026_COPY

LAST_YEARS_REPORT = 10**6
"""The id under which last year's report was compared (its cycle is not part of these tests)."""


def copied_report(cycle: Cycle, tree: Tree, people: SimpleNamespace) -> DutyReport:
    similarity.text_saved(
        kind="report", object_id=LAST_YEARS_REPORT, organization=tree.branch, year=cycle.year - 1, content=REPORT_2025
    )
    report = cycle.reports.get(organization=tree.branch)
    titles = cycle.section_titles()
    sections = dict.fromkeys(titles, "")
    sections[titles[0]] = REPORT_2026_COPY.replace("\n", "<br>")
    for title in titles[1:]:
        sections[title] = "<p>见上。</p>"
    return services.report_save(report=report, sections=sections, revision=report.revision, by=people.branch_secretary)


def test_saving_a_report_compares_it_with_last_years(open_cycle: Cycle, tree: Tree, people: SimpleNamespace) -> None:
    report = copied_report(open_cycle, tree, people)
    pair = TextPair.objects.get(text__object_id=report.pk)
    assert pair.other.object_id == LAST_YEARS_REPORT
    assert pair.text_share >= 90


def test_the_secretary_is_told_before_submitting(open_cycle: Cycle, tree: Tree, people: SimpleNamespace) -> None:
    report = copied_report(open_cycle, tree, people)
    client = signed_in(people.branch_secretary)
    for name in ("report_submit", "report_edit"):
        body = client.get(reverse(name, args=[report.pk])).content.decode()
        assert "提交前请注意：内容重复" in body
        assert f"与 {open_cycle.year - 1} 年本组织述职报告相似" in body


def test_the_reviewer_sees_the_likeness_beside_the_scores(
    open_cycle: Cycle, tree: Tree, people: SimpleNamespace
) -> None:
    report = copied_report(open_cycle, tree, people)
    services.report_submit(report=report, by=people.branch_secretary)
    assignment = report.assignments.get(reviewer=people.committee_member)
    body = signed_in(people.committee_member).get(reverse("report_score", args=[assignment.pk])).content.decode()
    assert f"与 {open_cycle.year - 1} 年本组织述职报告相似" in body
    pair = TextPair.objects.get(text__object_id=report.pk)
    assert reverse("similar_pair", args=[pair.pk]) in body
    detail = signed_in(people.committee_secretary).get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "对照查看" in detail


def test_a_neighbours_copy_is_named_only_to_whoever_may_read_both(
    open_cycle: Cycle, tree: Tree, people: SimpleNamespace
) -> None:
    report = copied_report(open_cycle, tree, people)
    neighbour = open_cycle.reports.get(organization=tree.branch_sibling)
    similarity.text_saved(
        kind="report",
        object_id=neighbour.pk,
        organization=tree.branch_sibling,
        year=open_cycle.year,
        content=REPORT_2026_COPY,
    )
    secretary = signed_in(people.branch_secretary).get(reverse("report_edit", args=[report.pk])).content.decode()
    assert "二村党支部" not in secretary
    services.report_submit(report=report, by=people.branch_secretary)
    committee = signed_in(people.committee_secretary).get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "与二村党支部今年述职报告相似" in committee
