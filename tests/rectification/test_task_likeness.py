"""整改措施 copied from last year's task of the same organization: the committee sees it on the task before
accepting, side by side."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.urls import reverse
from django.utils import timezone

from rectification import services
from rectification.models import Finding, RectificationTask
from responsibility.models import Category
from similarity.models import TextPair
from tests.clients import signed_in
from tests.conftest import Tree

MEASURES = (
    "一是支部书记牵头，逐次补齐“三会一课”会议记录和签到表；二是明确专人负责会议记录，会后三日内整理归档；"
    "三是每季度由支委会对会议记录进行一次自查，发现问题及时纠正。"
)


def planned(task: RectificationTask, people: SimpleNamespace, measures: str) -> RectificationTask:
    return services.task_plan(
        task=task, measures=measures, standard="记录完整规范", commitment="按期完成", by=people.branch_secretary
    )


def test_measures_copied_from_last_years_task_are_shown_to_the_committee(
    task: RectificationTask, tree: Tree, people: SimpleNamespace, category: Category
) -> None:
    last_year = timezone.localdate().year - 1
    earlier_finding = services.finding_raise(
        organization=tree.branch,
        year=last_year,
        source=Finding.Source.SELF_CHECK,
        description="会议记录不全。",
        category=category,
        by=people.committee_secretary,
    )
    earlier = services.task_create(
        findings=[earlier_finding],
        title="补齐会议记录",
        responsible=people.branch_secretary,
        deadline=timezone.localdate() + timedelta(days=10),
        by=people.committee_secretary,
    )
    RectificationTask.objects.filter(pk=earlier.pk).update(year=last_year)
    earlier.refresh_from_db()
    planned(earlier, people, MEASURES)
    planned(task, people, MEASURES.replace("三日", "五日"))
    pair = TextPair.objects.get(kind="measure")
    assert (pair.text.object_id, pair.other.object_id) == (task.pk, earlier.pk)
    body = signed_in(people.committee_secretary).get(reverse("task_detail", args=[task.pk])).content.decode()
    assert f"与 {last_year} 年本组织整改措施相似 100%" in body
    assert reverse("similar_pair", args=[pair.pk]) in body


def test_measures_in_their_own_words_are_not_flagged(task: RectificationTask, people: SimpleNamespace) -> None:
    planned(task, people, MEASURES)
    body = signed_in(people.committee_secretary).get(reverse("task_detail", args=[task.pk])).content.decode()
    assert "对照查看" not in body
