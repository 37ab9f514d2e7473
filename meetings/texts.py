"""A meeting's minutes as a text compared for near-copies (相似内容): minutes copied from meeting to meeting."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting
from similarity import kinds, services

MINUTES_TEXT = "minutes"


def register() -> None:
    kinds.register(
        kinds.TextKind(
            key=MINUTES_TEXT,
            label=_("会议记录"),
            url=lambda pk: reverse("meeting_detail", args=[pk]),
            texts=all_minutes,
        )
    )


def minutes_compared(meeting: Meeting) -> None:
    """The minutes and resolutions of a held meeting, as one text."""
    if meeting.held_on is None:
        return
    services.text_saved(
        kind=MINUTES_TEXT,
        object_id=meeting.pk,
        organization=meeting.organization,
        year=meeting.held_on.year,
        content=f"{meeting.minutes}\n{meeting.resolutions}",
    )


def all_minutes() -> Iterator[kinds.TextRow]:
    meetings = (
        Meeting.objects.filter(held_on__isnull=False)
        .values_list("pk", "organization_id", "held_on", "minutes", "resolutions")
        .order_by("pk")
    )
    for pk, organization_id, held_on, minutes, resolutions in meetings.iterator(chunk_size=2000):
        if held_on is not None:
            yield kinds.TextRow(pk, organization_id, held_on.year, f"{minutes}\n{resolutions}")
