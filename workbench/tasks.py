"""Background work of the yearly PDFs: thin wrappers that take ids and call workbench.renders."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from workbench import renders
from workbench.models import RenderedReport

Status = RenderedReport.Status


# A render that hangs (a huge subtree, a stuck font lookup) is stopped and recorded as failed, and may be retried.
# No result: the row records the outcome, and waiting on a result backend would hold the web request when Redis is down.
@shared_task(name="workbench.render_report", bind=True, soft_time_limit=300, time_limit=360, ignore_result=True)
def render_report(self: Any, rendered_id: int) -> str:
    """Renders one queued RenderedReport into storage; a second delivery of the same id does nothing.

    A redelivered message (its worker was killed mid-render and the message requeued) takes the render over:
    the run that left the row "rendering" is dead, so the row goes back to the queue for this run.
    """
    if (self.request.delivery_info or {}).get("redelivered"):
        RenderedReport.objects.filter(pk=rendered_id, status=Status.RENDERING).update(status=Status.QUEUED)
    return renders.rendered_report_render(rendered_id=rendered_id)


@shared_task(name="workbench.requeue_renders", ignore_result=True)
def requeue_renders() -> int:
    """Beat's sweep: queues again the renders whose message a broker outage lost."""
    return renders.rendered_reports_requeue()
