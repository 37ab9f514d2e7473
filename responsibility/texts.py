"""The duty record as a text compared for near-copies (相似内容): the same words month after month.

Records are compared with the organization's own records only (any year): a record is short and written
against one branch's list, and the province's millions of them would fill the buckets that find copies
across organizations with the same few formulas.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from responsibility.models import DutyRecord
from similarity import kinds, services

RECORD_TEXT = "record"


def register() -> None:
    kinds.register(
        kinds.TextKind(
            key=RECORD_TEXT,
            label=_("履责记实"),
            url=lambda pk: reverse("record_detail", args=[pk]),
            across_organizations=False,
            texts=all_records,
        )
    )


def record_compared(record: DutyRecord) -> None:
    services.text_saved(
        kind=RECORD_TEXT,
        object_id=record.pk,
        organization=record.organization,
        year=record.occurred_on.year,
        content=record.content,
    )


def all_records() -> Iterator[kinds.TextRow]:
    records = DutyRecord.objects.values_list("pk", "organization_id", "occurred_on", "content").order_by("pk")
    for pk, organization_id, occurred_on, content in records.iterator(chunk_size=2000):
        yield kinds.TextRow(pk, organization_id, occurred_on.year, content)
