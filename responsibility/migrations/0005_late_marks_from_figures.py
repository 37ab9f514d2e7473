"""Marks for the lateness items already show: every item with late or missed periods gets a LateMark
for each of them, so no edit made after this release can lower the figures it had.

What is known is the item's target and records and the day its figures were computed (state_date):
the periods are judged again as of that day, which gives back the stored counts. The arithmetic is
copied from responsibility/progress.py as it stands, so this migration does not change if that
module does.
"""

import calendar
from collections import defaultdict
from datetime import date

from django.db import migrations
from django.utils import timezone

MONTHS_PER_PERIOD = {"month": 1, "quarter": 3, "half": 6, "year": 12}
CHUNK = 2000


def spans_of(year, period, due_date):
    if period == "once":
        return [(date(year, 1, 1), due_date or date(year, 12, 31))]
    months = MONTHS_PER_PERIOD[period]
    spans = []
    for first_month in range(1, 13, months):
        last_month = first_month + months - 1
        spans.append((date(year, first_month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])))
    return spans


def late_and_missed(year, period, target, due_date, records, today):
    """(start, end, outcome) of each period met after its end ("late") or ended unmet ("missed")."""
    spans = spans_of(year, period, due_date)
    submitted = [[] for _ in spans]
    for occurred_on, submitted_on in records:
        if period == "once":
            if occurred_on.year == year:
                submitted[0].append(submitted_on)
            continue
        for index, (start, end) in enumerate(spans):
            if start <= occurred_on <= end:
                submitted[index].append(submitted_on)
                break
    for (start, end), dates in zip(spans, submitted):
        dates.sort()
        if len(dates) >= target:
            if dates[target - 1] > end:
                yield start, end, "late"
        elif end < today:
            yield start, end, "missed"


def create_marks(apps, schema_editor):
    ListItem = apps.get_model("responsibility", "ListItem")
    DutyRecord = apps.get_model("responsibility", "DutyRecord")
    LateMark = apps.get_model("responsibility", "LateMark")
    now = timezone.now()
    late_items = (
        ListItem.objects.filter(state_date__isnull=False)
        .exclude(late_periods=0, missed_periods=0)
        .order_by("id")
        .values_list("id", flat=True)
    )
    item_ids = list(late_items)
    for start in range(0, len(item_ids), CHUNK):
        chunk = item_ids[start : start + CHUNK]
        records = defaultdict(list)
        counting = DutyRecord.objects.filter(item_id__in=chunk).exclude(status="returned")
        for item_id, occurred_on, submitted_at in counting.values_list("item_id", "occurred_on", "submitted_at"):
            records[item_id].append((occurred_on, timezone.localtime(submitted_at).date()))
        marks = []
        items = ListItem.objects.filter(id__in=chunk).values_list(
            "id", "list_id", "list__year", "content", "target_period", "target_count", "due_date", "state_date"
        )
        for item_id, list_id, year, content, period, target, due_date, state_date in items:
            for period_start, period_end, outcome in late_and_missed(
                year, period, target, due_date, records[item_id], state_date
            ):
                marks.append(
                    LateMark(
                        list_id=list_id,
                        item_id=item_id,
                        content=content,
                        target_period=period,
                        target_count=target,
                        due_date=due_date,
                        period_start=period_start,
                        period_end=period_end,
                        outcome=outcome,
                        recorded_at=now,
                    )
                )
        LateMark.objects.bulk_create(marks, batch_size=500, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("responsibility", "0004_late_marks")]

    operations = [migrations.RunPython(create_marks, migrations.RunPython.noop)]
