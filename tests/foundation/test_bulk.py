"""foundation/bulk.py: many rows written at once, the same on SQLite and on PostgreSQL (COPY there)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from foundation import bulk
from foundation.bulk import db_value, insert_rows
from notifications.models import Notification
from reminders.models import ReminderLog

AWKWARD = [
    "",
    "一行\n二行\r\n三行",
    "制表\t符",
    "反斜杠 \\N 与 \\\\ 和 \\t",
    "\\N",
    "引号 \" ' 逗号 , 分号 ;",
    "长" * 200,
]


def test_rows_come_back_as_written_in_their_order_whatever_they_hold(people: SimpleNamespace) -> None:
    now = timezone.now()
    created_at = db_value(Notification, "created_at", now)
    recipient = people.branch_secretary.pk
    rows = [(recipient, "test", "", "{}", f"第 {n} 条", body, "", created_at) for n, body in enumerate(AWKWARD)]

    written = insert_rows(
        Notification,
        ["recipient_id", "kind", "message_key", "params", "title", "body", "url", "created_at"],
        rows,
        returning=["id", "title"],
    )

    assert [title for _pk, title in written] == [f"第 {n} 条" for n in range(len(AWKWARD))]
    stored = Notification.objects.in_bulk([pk for pk, _title in written])
    assert [stored[pk].stored_body for pk, _title in written] == AWKWARD
    assert {stored[pk].created_at for pk, _title in written} == {now}
    assert all(stored[pk].read_at is None for pk, _title in written)


def test_none_is_null_and_an_empty_string_stays_empty(people: SimpleNamespace) -> None:
    created_at = db_value(ReminderLog, "created_at", timezone.now())
    insert_rows(
        ReminderLog,
        ["deadline_key", "threshold", "recipient_id", "notification_id", "created_at"],
        [("", -3, people.branch_secretary.pk, None, created_at)],
    )
    log = ReminderLog.objects.get()
    assert (log.deadline_key, log.threshold, log.notification_id) == ("", -3, None)


def test_skipped_conflicts_are_not_returned_and_others_are(people: SimpleNamespace) -> None:
    created_at = db_value(ReminderLog, "created_at", timezone.now())
    columns = ["deadline_key", "threshold", "recipient_id", "created_at"]
    person = people.branch_secretary.pk
    ReminderLog.objects.create(deadline_key="item:1:2026-12-01", threshold=-3, recipient_id=person)

    written = insert_rows(
        ReminderLog,
        columns,
        [(f"item:{n}:2026-12-01", -3, person, created_at) for n in range(3)],
        returning=["deadline_key"],
        skip_conflicts=True,
    )

    assert written == [("item:0:2026-12-01",), ("item:2:2026-12-01",)]
    assert ReminderLog.objects.count() == 3
    # Without skip_conflicts a conflict is an error, and the rows before it in the statement are not written.
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(ReminderLog, columns, [("item:9:2026-12-01", -3, person, created_at)] * 2)
    assert ReminderLog.objects.count() == 3


@pytest.mark.parametrize("count", [0, 1, 7, 23])
def test_the_number_of_statements_does_not_grow_with_the_rows(
    people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    monkeypatch.setattr(bulk, "WRITE_BATCH", 10)
    created_at = db_value(Notification, "created_at", timezone.now())
    rows = [(people.branch_secretary.pk, "test", "", "{}", f"{n}", "", "", created_at) for n in range(count)]
    with CaptureQueriesContext(connection) as queries:
        written = insert_rows(
            Notification,
            ["recipient_id", "kind", "message_key", "params", "title", "body", "url", "created_at"],
            rows,
            returning=["id"],
        )
    assert len(written) == count == Notification.objects.count()
    if connection.vendor == "postgresql":
        # Create the staging table, copy into it, insert from it, drop it: whatever the count.
        assert len(queries) == (4 if count else 0)
    else:
        # One INSERT … VALUES a batch of WRITE_BATCH rows.
        assert len(queries) == -(-count // 10)
