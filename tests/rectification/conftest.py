"""Fixtures for 整改 on the shared tree (see tests/conftest.py).

`finding`: the township committee raised an inspection-free finding (组织建设) at
一村党支部 (tree.branch) this year. `task`: that finding as a task for the branch
secretary, due in 30 days, awaiting a plan.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from rectification import services
from rectification.models import Finding, RectificationTask
from responsibility.models import Category
from tests.conftest import Tree


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.get(name="组织建设")


@pytest.fixture
def finding(tree: Tree, people: SimpleNamespace, category: Category) -> Finding:
    return services.finding_raise(
        organization=tree.branch,
        year=timezone.localdate().year,
        source=Finding.Source.SELF_CHECK,
        description="“三会一课”记录不规范，个别会议缺少签到。",
        category=category,
        by=people.committee_secretary,
    )


@pytest.fixture
def task(finding: Finding, people: SimpleNamespace) -> RectificationTask:
    return services.task_create(
        findings=[finding],
        title="规范“三会一课”记录",
        responsible=people.branch_secretary,
        leader=people.branch_deputy,
        deadline=timezone.localdate() + timedelta(days=30),
        by=people.committee_secretary,
    )
