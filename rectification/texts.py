"""整改措施 and 整改完成情况 as texts compared for near-copies (相似内容): measures copied from last year's
task, or from a neighbour's, and a completion report that says what the last one said."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from rectification.models import RectificationTask, TaskEvent
from similarity import kinds, selectors, services
from similarity.selectors import Likeness

MEASURE_TEXT = "measure"
RESULT_TEXT = "result"


def _task_url(pk: int) -> str:
    return reverse("task_detail", args=[pk])


def register() -> None:
    kinds.register(kinds.TextKind(key=MEASURE_TEXT, label=_("整改措施"), url=_task_url, texts=all_measures))
    kinds.register(kinds.TextKind(key=RESULT_TEXT, label=_("整改完成情况"), url=_task_url, texts=all_results))


def measures_compared(task: RectificationTask) -> None:
    services.text_saved(
        kind=MEASURE_TEXT, object_id=task.pk, organization=task.organization, year=task.year, content=task.measures
    )


def result_compared(task: RectificationTask, text: str) -> None:
    """The latest 申请销号 of the task: what it says was done."""
    services.text_saved(
        kind=RESULT_TEXT, object_id=task.pk, organization=task.organization, year=task.year, content=text
    )


def task_likenesses(user: Any, task: RectificationTask) -> list[Likeness]:
    """What the task's measures and its completion report repeat, as USER may see it."""
    return selectors.likenesses(user, (MEASURE_TEXT, RESULT_TEXT), [task.pk]).get(task.pk, [])


def all_measures() -> Iterator[kinds.TextRow]:
    tasks = RectificationTask.objects.exclude(measures="").values_list("pk", "organization_id", "year", "measures")
    for pk, organization_id, year, measures in tasks.order_by("pk").iterator(chunk_size=2000):
        yield kinds.TextRow(pk, organization_id, year, measures)


def all_results() -> Iterator[kinds.TextRow]:
    events = (
        TaskEvent.objects.filter(kind=TaskEvent.Kind.SUBMITTED)
        .values_list("task_id", "task__organization_id", "task__year", "text")
        .order_by("task_id", "-at", "-id")
    )
    last = None
    for task_id, organization_id, year, text in events.iterator(chunk_size=2000):
        if task_id != last:
            last = task_id
            yield kinds.TextRow(task_id, organization_id, year, text)
