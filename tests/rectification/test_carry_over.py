"""上年度整改落实情况: a year's rectification tasks show, read-only, in the next year's duty report."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from rectification import services
from rectification.models import Finding, RectificationTask
from rectification.selectors import carried_tasks
from responsibility.models import Category
from reviews import services as review_services
from reviews.models import Cycle, DutyReport, IndicatorKind
from reviews.selectors import rectification_summary, report_document, report_facts
from tests.conftest import Tree
from tests.rectification.test_services import png_file


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def next_cycle(tree: Tree, people: SimpleNamespace) -> Cycle:
    """The township's review of the year after the task's, over every branch of its subtree."""
    by = people.committee_secretary
    template = review_services.rubric_template_create(organization=tree.township, name="考核指标", by=by)
    review_services.template_indicator_add(
        template=template, category="组织建设", name="“三会一课”", guidance="", kind=IndicatorKind.STANDARD,
        max_points=100, by=by,
    )  # fmt: skip
    year = today().year + 1
    cycle = review_services.cycle_create(
        organization=tree.township,
        year=year,
        title=f"{year} 年度述职评议",
        report_due=date(year, 12, 20),
        scoring_due=date(year + 1, 1, 10),
        ballot_opens=date(year, 12, 25),
        ballot_closes=date(year + 1, 1, 5),
        scope="branches",
        template=template,
        by=by,
    )
    return review_services.cycle_open(cycle=cycle, by=by)


def report_of(cycle: Cycle, organization: Organization) -> DutyReport:
    return cycle.reports.select_related("cycle", "organization").get(organization=organization)


def body_of(client: Client, user: object, url: str) -> str:
    client.force_login(user)  # type: ignore[arg-type]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def accept(task: RectificationTask, people: SimpleNamespace) -> RectificationTask:
    secretary = people.branch_secretary
    task = services.task_plan(
        task=task, measures="建立会议签到台账，每月检查。", standard="记录齐全。", commitment="按期完成。", by=secretary
    )
    services.task_progress(task=task, text="已补齐签到表。", by=secretary, files=[png_file()])
    task = services.task_submit(task=task, text="整改完成。", by=secretary)
    return services.task_accept(task=task, by=people.committee_secretary)


def more_tasks(tree: Tree, people: SimpleNamespace, category: Category, count: int) -> None:
    for number in range(count):
        findings = [
            services.finding_raise(
                organization=tree.branch,
                year=today().year,
                source=Finding.Source.FEEDBACK,
                description=f"群众反映问题 {number}-{part}",
                category=category,
                by=people.committee_secretary,
            )
            for part in range(2)
        ]
        services.task_create(
            findings=findings,
            title=f"整改 {number}",
            responsible=people.branch_secretary,
            deadline=today() + timedelta(days=10 + number),
            by=people.committee_secretary,
        )


def test_an_accepted_task_shows_in_next_years_report_with_its_problem_measures_state_and_closing_date(
    client: Client, tree: Tree, people: SimpleNamespace, task: RectificationTask, next_cycle: Cycle
) -> None:
    task = accept(task, people)
    report = report_of(next_cycle, tree.branch)
    body = body_of(client, people.branch_secretary, reverse("report_detail", args=[report.pk]))
    assert "上年度整改落实情况" in body
    assert "“三会一课”记录不规范，个别会议缺少签到。" in body
    assert "建立会议签到台账，每月检查。" in body
    assert "已销号" in body
    assert timezone.localdate(task.accepted_at).strftime("%Y-%m-%d") in body
    assert reverse("task_detail", args=[task.pk]) in body
    assert "上年度无整改任务。" not in body


def test_an_open_overdue_task_shows_its_state_and_days_overdue(
    tree: Tree, people: SimpleNamespace, task: RectificationTask, next_cycle: Cycle
) -> None:
    RectificationTask.objects.filter(pk=task.pk).update(deadline=today() - timedelta(days=9))
    facts = report_facts(report_of(next_cycle, tree.branch))
    summary = facts.rectification
    assert summary is not None
    assert (summary.total, summary.accepted, summary.open, summary.overdue) == (1, 0, 1, 1)
    row = summary.rows[0]
    assert row.status_label == "待制定方案"
    assert row.overdue_days == 9
    assert row.accepted_on is None
    assert row.measures == ""


def test_a_task_accepted_after_its_deadline_keeps_its_late_mark(
    people: SimpleNamespace, task: RectificationTask, tree: Tree
) -> None:
    task = accept(task, people)
    RectificationTask.objects.filter(pk=task.pk).update(deadline=today() - timedelta(days=3))
    [row] = carried_tasks(tree.branch, today().year)
    assert row.is_accepted
    assert row.overdue_days == 3
    assert row.is_overdue


def test_the_report_of_another_organization_does_not_show_the_task(
    client: Client, tree: Tree, people: SimpleNamespace, task: RectificationTask, next_cycle: Cycle
) -> None:
    other = report_of(next_cycle, tree.branch_sibling)
    body = body_of(client, people.admin, reverse("report_detail", args=[other.pk]))
    assert "“三会一课”记录不规范" not in body
    assert "上年度无整改任务。" in body
    assert rectification_summary(tree.branch_sibling, today().year) is None


def test_only_the_year_before_the_report_is_carried(
    tree: Tree, people: SimpleNamespace, task: RectificationTask
) -> None:
    assert rectification_summary(tree.branch, today().year) is not None
    assert rectification_summary(tree.branch, today().year - 1) is None
    assert rectification_summary(tree.branch, today().year + 1) is None


def test_the_secretary_cannot_remove_it_it_is_not_a_section_and_saving_keeps_it(
    client: Client, tree: Tree, people: SimpleNamespace, task: RectificationTask, next_cycle: Cycle
) -> None:
    report = report_of(next_cycle, tree.branch)
    assert "上年度整改落实情况" not in next_cycle.section_titles()
    client.force_login(people.branch_secretary)
    response = client.post(
        reverse("report_edit", args=[report.pk]),
        {"revision": "0", "section_0": "<p>履职</p>", "section_1": "", "section_2": "", "section_3": ""},
    )
    assert response.status_code == 302
    body = body_of(client, people.branch_secretary, reverse("report_edit", args=[report.pk]))
    form_html = body[body.index("<form") : body.index("</form>")]
    assert "“三会一课”记录不规范" in body
    assert "“三会一课”记录不规范" not in form_html  # beside the editable sections, never inside them
    assert report_document(report).facts.rectification is not None


def test_the_report_pages_cost_the_same_queries_with_one_task_or_many(
    client: Client, tree: Tree, people: SimpleNamespace, task: RectificationTask, next_cycle: Cycle, category: Category
) -> None:
    report = report_of(next_cycle, tree.branch)
    client.force_login(people.branch_secretary)
    urls = [reverse("report_detail", args=[report.pk]), reverse("report_edit", args=[report.pk])]

    def counts() -> list[int]:
        measured = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            measured.append(len(queries))
        return measured

    few = counts()
    more_tasks(tree, people, category, 5)
    accept(task, people)
    assert counts() == few
    assert len(carried_tasks(tree.branch, today().year)) == 6


def test_carried_tasks_costs_two_queries(
    tree: Tree, people: SimpleNamespace, task: RectificationTask, category: Category, django_assert_num_queries: object
) -> None:
    more_tasks(tree, people, category, 3)
    with django_assert_num_queries(2):  # type: ignore[operator]
        rows = carried_tasks(tree.branch, today().year)
    assert [len(row.problems) for row in rows] == [2, 2, 2, 1]  # by deadline: the fixture's task is due last
