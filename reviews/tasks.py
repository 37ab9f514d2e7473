"""Background work for 述职评议考核: thin wrappers that take ids and call reviews.pdf or reviews.services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db.models import Exists, OuterRef
from django.utils import timezone

from reviews import pdf, services
from reviews.models import Cycle, PendingBallot, RenderedReport

Status = RenderedReport.Status


# A render that hangs (a huge subtree, a stuck font lookup) is stopped and recorded as failed, and may be retried.
# No result: the row records the outcome, and waiting on a result backend would hold the web request when Redis is down.
@shared_task(name="reviews.render_report", bind=True, soft_time_limit=300, time_limit=360, ignore_result=True)
def render_report(self: Any, rendered_id: int) -> str:
    """Renders one queued RenderedReport into storage; a second delivery of the same id does nothing.

    A redelivered message (its worker was killed mid-render and the message requeued) takes the render over:
    the run that left the row "rendering" is dead, so the row goes back to the queue for this run.
    """
    if (self.request.delivery_info or {}).get("redelivered"):
        RenderedReport.objects.filter(pk=rendered_id, status=Status.RENDERING).update(status=Status.QUEUED)
    return pdf.rendered_report_render(rendered_id=rendered_id)


@shared_task(name="reviews.requeue_renders", ignore_result=True)
def requeue_renders() -> int:
    """Beat's sweep: queues again the renders whose message a broker outage lost."""
    return pdf.rendered_reports_requeue()


@shared_task(name="reviews.count_ballots", ignore_result=True)
def count_ballots() -> int:
    """Beat's nightly pass: adds the votes still waiting in closed ballot windows to their tallies."""
    waiting = PendingBallot.objects.filter(cycle=OuterRef("pk"))
    cycles = Cycle.objects.filter(Exists(waiting), ballot_closes__lt=timezone.localdate())
    return sum(services.ballots_count(cycle=cycle) for cycle in cycles)
