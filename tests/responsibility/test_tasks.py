"""The nightly warning refresh: the Celery task and `manage.py refresh_warnings`."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from responsibility.models import Light, ListItem, ResponsibilityList
from responsibility.tasks import refresh_warnings


def make_stale(responsibility_list: ResponsibilityList) -> None:
    """As if the colours were last computed yesterday and were wrong."""
    yesterday = timezone.localdate() - timedelta(days=1)
    responsibility_list.items.update(state_date=yesterday, warning=Light.YELLOW, required_total=0)


def test_the_task_runs_in_process_and_refreshes_stale_items(branch_list: ResponsibilityList) -> None:
    make_stale(branch_list)

    result = refresh_warnings.delay()

    assert result.get(timeout=5) == 4
    today = timezone.localdate()
    assert set(branch_list.items.values_list("state_date", flat=True)) == {today}
    assert not branch_list.items.filter(required_total=0).exists()
    branch_list.refresh_from_db()
    assert branch_list.required_total == 12 + 4 + 2 + 2


def test_the_task_is_idempotent(branch_list: ResponsibilityList) -> None:
    make_stale(branch_list)
    assert refresh_warnings.delay().get(timeout=5) == 4
    states = list(ListItem.objects.order_by("id").values())
    branch_list.refresh_from_db()
    totals = (branch_list.warning, branch_list.required_total, branch_list.done_total)

    assert refresh_warnings.delay().get(timeout=5) == 0
    assert refresh_warnings.apply().get() == 0

    assert list(ListItem.objects.order_by("id").values()) == states
    branch_list.refresh_from_db()
    assert (branch_list.warning, branch_list.required_total, branch_list.done_total) == totals


def test_the_task_leaves_closed_lists_alone(branch_list: ResponsibilityList) -> None:
    make_stale(branch_list)
    ResponsibilityList.objects.filter(pk=branch_list.pk).update(closed_at=timezone.now())
    assert refresh_warnings.delay().get(timeout=5) == 0
    assert set(branch_list.items.values_list("warning", flat=True)) == {Light.YELLOW}


def test_the_task_is_registered_under_its_scheduled_name() -> None:
    from config.celery import app

    assert "responsibility.refresh_warnings" in app.tasks
    schedule = app.conf.beat_schedule["responsibility-refresh-warnings"]
    assert schedule["task"] == "responsibility.refresh_warnings"


def test_the_command_reports_how_many_items_it_refreshed(branch_list: ResponsibilityList) -> None:
    make_stale(branch_list)
    out = StringIO()
    call_command("refresh_warnings", stdout=out)
    assert "已重新计算 4 个条目的预警。" in out.getvalue()

    out = StringIO()
    call_command("refresh_warnings", stdout=out)
    assert "已重新计算 0 个条目的预警。" in out.getvalue()


def test_the_command_computes_for_a_given_day(branch_list: ResponsibilityList, year: int) -> None:
    day = date(year + 1, 1, 1)
    out = StringIO()
    call_command("refresh_warnings", "--date", day.isoformat(), stdout=out)
    assert "已重新计算 4 个条目的预警。" in out.getvalue()
    # After the year, every period without its records is missed.
    assert set(branch_list.items.values_list("state_date", "warning")) == {(day, Light.RED)}


def test_the_command_refuses_a_bad_date(db: None) -> None:
    with pytest.raises(CommandError, match="日期 31/12 无效"):
        call_command("refresh_warnings", "--date", "31/12")
