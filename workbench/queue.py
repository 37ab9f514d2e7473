"""我的工作's queue: everything waiting for the person, across the year's stages, each one tap from its page.

Built from what the home page already counts (no query of its own). Returned work and what is late come
first, then what others wait on the person for, then the person's own next steps, so the oldest and the
most urgent are on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from meetings.selectors import HomeLife
from rectification.selectors.tasks import HomeTasks
from responsibility.selectors import HomeWaiting
from reviews.selectors import HomeReviews


@dataclass(frozen=True)
class QueueLine:
    text: str
    href: str
    urgent: bool = False


def home_queue(
    *,
    waiting: HomeWaiting,
    reviews: HomeReviews,
    rectification: HomeTasks,
    life: HomeLife,
    returned_reports: set[int],
) -> list[QueueLine]:
    """The lines of the queue, most urgent first; empty when nothing waits."""
    lines: list[QueueLine] = []

    def add(count: Any, message: Any, href: str, *, urgent: bool = False) -> None:
        if count:
            lines.append(QueueLine(str(message % {"count": count}), href, urgent))

    add(
        rectification.overdue_count,
        ngettext_lazy("%(count)d 项整改任务已逾期", "%(count)d 项整改任务已逾期", "count"),
        reverse("my_tasks"),
        urgent=True,
    )
    add(
        waiting.returned_count,
        ngettext_lazy("%(count)d 条履责记实被退回，待修改", "%(count)d 条履责记实被退回，待修改", "count"),
        reverse("my_list"),
        urgent=True,
    )
    for report in reviews.reports:
        if report.pk in returned_reports:
            lines.append(
                QueueLine(
                    _("述职报告被退回：%(organization)s") % {"organization": report.organization.name},
                    reverse("report_edit", args=[report.pk]),
                    urgent=True,
                )
            )
    add(
        len(life.awaiting),
        ngettext_lazy("%(count)d 个会议等待您签到", "%(count)d 个会议等待您签到", "count"),
        reverse("meeting_sign_in", args=[life.awaiting[0].pk]) if len(life.awaiting) == 1 else reverse("meeting_home"),
    )
    # Others wait on the person for these (a committee's decisions), every year's, not only the chosen one.
    add(
        rectification.to_accept,
        ngettext_lazy("%(count)d 项整改任务申请销号，待验收", "%(count)d 项整改任务申请销号，待验收", "count"),
        reverse("rectification_board") + "?status=awaiting_acceptance&all_years=on",
    )
    add(
        rectification.extension_count,
        ngettext_lazy("%(count)d 项延期申请待审批", "%(count)d 项延期申请待审批", "count"),
        # Each request is decided on its task's page; several are listed in the home page's rectification card.
        reverse("task_detail", args=[rectification.extensions[0].task_id])
        if rectification.extension_count == 1 and rectification.extensions
        else "#rectification",
    )
    add(
        waiting.lists_to_approve,
        ngettext_lazy("%(count)d 份责任清单待审核", "%(count)d 份责任清单待审核", "count"),
        reverse("list_review_queue"),
    )
    add(
        waiting.records_to_review,
        ngettext_lazy("%(count)d 条履责记实待审阅", "%(count)d 条履责记实待审阅", "count"),
        reverse("record_review_queue"),
    )
    add(
        reviews.to_score,
        ngettext_lazy("%(count)d 份述职报告待您评分", "%(count)d 份述职报告待您评分", "count"),
        reverse("review_queue"),
    )
    add(
        rectification.open_count - rectification.overdue_count,
        ngettext_lazy("%(count)d 项整改任务由您负责，按期推进", "%(count)d 项整改任务由您负责，按期推进", "count"),
        reverse("my_tasks"),
    )
    return lines
