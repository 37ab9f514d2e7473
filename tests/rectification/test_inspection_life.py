"""An inspected organization's page shows its year of organizational life (the first thing an inspection
checks: 三会一课, 主题党日, attendance), the same facts as its duty report, before the inspector's result."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services as meetings
from meetings.models import MeetingKind
from rectification import services
from rectification.models import Inspection
from tests.clients import signed_in
from tests.meetings.conftest import branch_roll, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def life(tree: Any, people: SimpleNamespace) -> SimpleNamespace:
    """The branch's roll, as tests/meetings builds it."""
    return branch_roll(tree, people)


@pytest.fixture
def inspection(tree: Any, people: SimpleNamespace) -> Inspection:
    return services.inspection_plan(
        organization=tree.township,
        kind=Inspection.Kind.SCHEDULED,
        title="定期检查",
        planned_on=timezone.localdate(),
        targets=[tree.branch, tree.direct_branch],
        checklist=["“三会一课”", "主题党日"],
        by=people.committee_secretary,
    )


def test_the_inspected_branch_shows_its_years_meetings(
    tree: Any, people: SimpleNamespace, life: SimpleNamespace, inspection: Inspection
) -> None:
    meeting = plan(tree.branch, people.branch_secretary, MeetingKind.THEME_DAY)
    for member in (life.secretary, life.member):
        meetings.attendance_mark(
            row=meeting.attendances.get(member=member), by=people.branch_secretary, status="present"
        )
    meetings.meeting_close(meeting=meeting, by=people.branch_secretary, minutes="主题党日活动记录")
    target = inspection.targets.get(organization=tree.branch)
    page = signed_in(people.committee_secretary).get(reverse("inspection_target", args=[target.pk])).content.decode()
    assert f"组织生活（{inspection.year} 年度，系统填写）" in page
    assert 'data-kind="theme_day"' in page
    assert "实到 2 / 应到 6 人次" in page
    assert "4 人（共 6 人）" in page
    # The facts come before the inspector's result form.
    assert page.index("组织生活（") < page.index("保存检查结果")


def test_an_organization_without_meetings_says_so(tree: Any, people: SimpleNamespace, inspection: Inspection) -> None:
    target = inspection.targets.get(organization=tree.direct_branch)
    page = signed_in(people.committee_secretary).get(reverse("inspection_target", args=[target.pk])).content.decode()
    assert f"本组织没有 {inspection.year} 年度组织生活记录。" in page
