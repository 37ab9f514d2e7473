"""The events people must hear of reach them as notifications, written with the event itself."""

from __future__ import annotations

from types import SimpleNamespace

from django.utils import timezone

from notifications.models import Notification
from rectification import services as rectification_services
from rectification.models import RectificationTask, TaskEvent, TaskEvidence
from responsibility import services as responsibility_services
from responsibility.models import ResponsibilityList
from reviews import services as review_services
from reviews.models import Cycle
from tests.conftest import Tree
from tests.rectification.conftest import finding, task
from tests.responsibility.conftest import branch_list, category, year
from tests.reviews.conftest import open_cycle, rubric

# The fixtures of the three apps, shared here because an event of each reaches a person.
__all__ = ["branch_list", "category", "finding", "open_cycle", "rubric", "task", "year"]


def kinds_for(person: object) -> list[str]:
    return list(Notification.objects.filter(recipient=person).order_by("id").values_list("kind", flat=True))


def test_the_author_hears_that_a_record_was_returned_and_why(
    branch_list: ResponsibilityList, people: SimpleNamespace
) -> None:
    item = branch_list.items.first()
    assert item is not None
    record = responsibility_services.record_add(
        item=item,
        occurred_on=timezone.localdate(),
        content="召开支委会",
        done_by=people.branch_secretary,
        by=people.branch_secretary,
    )
    responsibility_services.record_return(record=record, by=people.committee_secretary, reason="请补充会议记录")

    notice = Notification.objects.get(recipient=people.branch_secretary, kind="record_returned")
    assert notice.body == "请补充会议记录"
    assert notice.url.endswith(f"/records/{record.pk}/")


def test_the_secretary_hears_that_the_list_was_returned(
    tree: Tree, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    responsibility_services.list_revise(responsibility_list=branch_list, by=people.branch_secretary)
    responsibility_services.list_submit(responsibility_list=branch_list, by=people.branch_secretary)
    responsibility_services.list_return(
        responsibility_list=branch_list, by=people.committee_secretary, comment="目标不够量化"
    )

    assert "list_returned" in kinds_for(people.branch_secretary)


def test_the_secretary_hears_that_the_duty_report_was_returned(
    open_cycle: Cycle, tree: Tree, people: SimpleNamespace
) -> None:
    report = open_cycle.reports.get(organization=tree.branch)
    sections = {title: f"<p>{title}</p>" for title in open_cycle.section_titles()}
    report = review_services.report_save(report=report, sections=sections, revision=0, by=people.branch_secretary)
    review_services.report_submit(report=report, by=people.branch_secretary)
    review_services.report_return(report=report, by=people.committee_secretary, reason="问题查摆不具体")

    notice = Notification.objects.get(recipient=people.branch_secretary, kind="report_returned")
    assert notice.body == "问题查摆不具体"


def test_the_responsible_person_hears_of_a_task_its_return_and_its_acceptance(
    task: RectificationTask, people: SimpleNamespace
) -> None:
    rectification_services.task_plan(
        task=task, measures="逐月检查记录", standard="记录齐全", commitment="按期完成", by=people.branch_secretary
    )
    event = rectification_services.task_progress(task=task, text="已补齐签到", by=people.branch_secretary)
    TaskEvidence.objects.create(
        event=event, file="rectification/x.png", original_name="x.png", content_type="image/png", size=1
    )
    rectification_services.task_submit(task=task, text="完成", by=people.branch_secretary)
    rectification_services.task_return(task=task, reason="缺少照片", by=people.committee_secretary)

    assert kinds_for(people.branch_secretary) == ["task_created", "task_returned"]
    assert TaskEvent.objects.filter(task=task, kind=TaskEvent.Kind.RETURNED).exists()
