"""Background work for 述职评议考核: thin wrappers that take ids and call reviews.pdf."""

from __future__ import annotations

from celery import shared_task

from reviews import pdf


# A render that hangs (a huge subtree, a stuck font lookup) is stopped and recorded as failed, and may be retried.
@shared_task(name="reviews.render_report", soft_time_limit=300, time_limit=360)
def render_report(rendered_id: int) -> str:
    """Renders one queued RenderedReport into storage; a second delivery of the same id does nothing."""
    return pdf.rendered_report_render(rendered_id=rendered_id)
