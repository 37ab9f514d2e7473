"""Fixtures for 述职评议考核 on the shared tree (see tests/conftest.py).

`open_cycle`: the township committee (甲镇党委) reviews this year every branch of its
subtree (一村, 二村, 三村) with a rubric of two standard indicators (60 + 40), a
bonus (cap 5), a deduction (cap 10) and a veto; the ballot window is open today.
`committee_member` (甲镇党委 委员) is assigned to every report.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Organization
from reviews import services
from reviews.models import Cycle, IndicatorKind, RubricTemplate
from tests.conftest import Tree


@pytest.fixture
def rubric(tree: Tree, people: SimpleNamespace) -> RubricTemplate:
    template = services.rubric_template_create(
        organization=tree.township, name="村党支部考核指标", by=people.committee_secretary
    )
    for category, name, kind, points in [
        ("组织建设", "“三会一课”落实", IndicatorKind.STANDARD, 60),
        ("作风建设", "为民办实事", IndicatorKind.STANDARD, 40),
        ("加分", "获上级表彰", IndicatorKind.BONUS, 5),
        ("扣分", "台账缺失", IndicatorKind.DEDUCTION, 10),
        ("否决", "发生严重违纪", IndicatorKind.VETO, 0),
    ]:
        services.template_indicator_add(
            template=template,
            category=category,
            name=name,
            guidance="",
            kind=kind,
            max_points=points,
            by=people.committee_secretary,
        )
    return template


@pytest.fixture
def open_cycle(tree: Tree, people: SimpleNamespace, rubric: RubricTemplate) -> Cycle:
    today = timezone.localdate()
    cycle = services.cycle_create(
        organization=tree.township,
        year=today.year,
        title=f"{today.year} 年度村党支部书记述职评议",
        report_due=today + timedelta(days=10),
        scoring_due=today + timedelta(days=20),
        ballot_opens=today - timedelta(days=1),
        ballot_closes=today + timedelta(days=10),
        scope="branches",
        template=rubric,
        by=people.committee_secretary,
    )
    services.cycle_open(cycle=cycle, by=people.committee_secretary)
    services.reviewer_assign(
        reports=cycle.reports.all(), reviewer=people.committee_member, by=people.committee_secretary
    )
    cycle.refresh_from_db()
    return cycle


def make_codes(cycle: Cycle, organization: Organization, count: int, people: SimpleNamespace) -> list[str]:
    """COUNT codes for ORGANIZATION, made by the cycle's committee (with a reason: the fixture's branches
    have fewer members on record than most tests need codes)."""
    created = services.ballot_codes_generate(
        cycle=cycle, organization=organization, count=count, by=people.committee_secretary, reason="测试：列席人员"
    )
    return [ballot_code.code for ballot_code in created]


def counted_after_window(cycle: Cycle) -> dict[int, Counter[str]]:
    """Per organization, the ratings counted so far, read as the committee may once the window has closed
    (the window is moved into the past for the reading; the test's own data only)."""
    Cycle.objects.filter(pk=cycle.pk).update(ballot_closes=timezone.localdate() - timedelta(days=1))
    cycle.refresh_from_db()
    return {
        organization_id: Counter({rating: count for rating, count in counts.counts.items() if count})
        for organization_id, counts in services.ballot_counts(cycle).items()
        if counts.valid
    }


def close_cycle(cycle: Cycle, by: Any) -> Cycle:
    """Closes the cycle as its committee would on the closing page, giving a reason for every gap that needs one."""
    reasons = {gap.key: f"测试说明：{gap.label}" for gap in services.closing_gaps(cycle) if gap.needs_reason}
    return services.cycle_close(cycle=cycle, by=by, reasons=reasons)
