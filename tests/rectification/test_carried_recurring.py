"""Next year's duty report marks last year's tasks whose problem the committee confirmed as 年年是问题."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from rectification import selectors, services
from rectification.models import Finding, RectificationTask
from responsibility.models import Category
from tests.conftest import Tree


def raised(tree: Tree, people: SimpleNamespace, category: Category, year: int, text: str) -> Finding:
    return services.finding_raise(
        organization=tree.branch,
        year=year,
        source=Finding.Source.INSPECTION,
        description=text,
        category=category,
        by=people.committee_secretary,
    )


def test_a_confirmed_repeat_is_marked_in_the_carried_tasks_and_a_suggested_one_is_not(
    tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    last_year = timezone.localdate().year - 1
    raised(tree, people, category, last_year - 1, "党费台账未按月登记")
    repeat = raised(tree, people, category, last_year, "党费收缴台账登记不及时，未做到按月登记")
    assert repeat.recurring_of is not None
    task = services.task_create(
        findings=[repeat],
        title="规范党费台账",
        responsible=people.branch_secretary,
        deadline=timezone.localdate() + timedelta(days=30),
        by=people.committee_secretary,
    )
    RectificationTask.objects.filter(pk=task.pk).update(year=last_year)
    assert [row.recurring for row in selectors.carried_tasks(tree.branch, last_year)] == [False]
    services.finding_recurrence_confirm(finding=repeat, by=people.committee_secretary)
    assert [row.recurring for row in selectors.carried_tasks(tree.branch, last_year)] == [True]
