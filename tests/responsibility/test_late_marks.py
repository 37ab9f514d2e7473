"""逾期记录: lateness is recorded once as a LateMark and no edit, revision, removal or admin action erases it."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from accounts.models import User
from foundation.errors import DomainError
from responsibility import exports, progress, selectors, services
from responsibility.models import (
    Category,
    DutyRecord,
    DutyType,
    LateMark,
    ListItem,
    Period,
    ResponsibilityList,
)
from tests.conftest import Tree

SetDay = Callable[[date], None]


def add_item(responsibility_list: ResponsibilityList, by: User, category: Category, **fields: Any) -> ListItem:
    values: dict[str, Any] = {
        "category": category,
        "duty_type": DutyType.ORGANIZATION,
        "content": "每月召开支委会",
        "target_period": Period.MONTH,
        "target_count": 1,
    }
    values.update(fields)
    return services.list_item_add(responsibility_list=responsibility_list, by=by, **values)


def update_item(item: ListItem, by: User, **changes: Any) -> ListItem:
    """list_item_update with the item's own values except CHANGES."""
    values: dict[str, Any] = {
        "category": item.category,
        "duty_type": item.duty_type,
        "content": item.content,
        "target_period": item.target_period,
        "target_count": item.target_count,
        "due_date": item.due_date,
        "work_point": item.work_point,
        "responsible": item.responsible,
    }
    values.update(changes)
    return services.list_item_update(item=item, by=by, **values)


def approve(responsibility_list: ResponsibilityList, people: SimpleNamespace) -> ResponsibilityList:
    services.list_submit(responsibility_list=responsibility_list, by=people.branch_secretary)
    return services.list_approve(responsibility_list=responsibility_list, by=people.committee_secretary)


def revise(responsibility_list: ResponsibilityList, people: SimpleNamespace) -> ResponsibilityList:
    return services.list_revise(responsibility_list=responsibility_list, by=people.branch_secretary)


def record(item: ListItem, occurred_on: date, submitted_on: date) -> DutyRecord:
    """A record submitted at 10 o'clock on `submitted_on`, written as a service would (the refresh comes after)."""
    secretary = User.objects.get(username="branch_secretary")
    return DutyRecord.objects.create(
        item=item,
        organization_id=item.list.organization_id,
        occurred_on=occurred_on,
        content="记实",
        done_by=secretary,
        created_by=secretary,
        submitted_at=timezone.make_aware(datetime.combine(submitted_on, time(10))),
    )


def marks_of(item: ListItem) -> list[tuple[date, date, str]]:
    return list(item.late_marks.values_list("period_start", "period_end", "outcome"))


def every_mark() -> dict[int, tuple[Any, ...]]:
    """Every mark by id with every field, to see that none disappears or changes."""
    return {row[0]: row for row in LateMark.objects.order_by("id").values_list()}


@pytest.fixture
def new_list(tree: Tree, people: SimpleNamespace, year: int) -> ResponsibilityList:
    return services.list_start(organization=tree.branch, year=year, by=people.branch_secretary)


# The reported defect ------------------------------------------------------------------------------


def test_moving_a_due_date_in_a_revision_keeps_the_list_at_three_late_items(
    client: Client,
    people: SimpleNamespace,
    new_list: ResponsibilityList,
    category: Category,
    year: int,
    on_day: SetDay,
) -> None:
    secretary = people.branch_secretary
    on_day(date(year, 12, 3))
    moved = add_item(
        new_list, secretary, category, content="完成换届选举", target_period=Period.ONCE, due_date=date(year, 11, 23)
    )
    add_item(
        new_list, secretary, category, content="完成党员档案整理", target_period=Period.ONCE, due_date=date(year, 9, 30)
    )
    add_item(new_list, secretary, category, content="每月召开支委会")
    add_item(new_list, secretary, category, content="每年走访党员", target_period=Period.YEAR)
    approve(new_list, people)
    new_list.refresh_from_db()
    assert new_list.late_items == 3

    revise(new_list, people)
    moved.refresh_from_db()
    update_item(moved, secretary, due_date=date(year, 12, 31))
    services.list_submit(responsibility_list=new_list, by=secretary)
    # The approver sees the move, and the item's mark beside it.
    client.force_login(people.committee_secretary)
    body = client.get(reverse("list_detail", args=[new_list.pk])).content.decode()
    assert f"完成期限：<del>{year}年11月23日</del> → <ins>{year}年12月31日</ins>" in body
    assert f"01-01–11-23 逾期未完成（当时目标：{year}年11月23日 前完成）" in body
    services.list_approve(responsibility_list=new_list, by=people.committee_secretary)

    new_list.refresh_from_db()
    assert new_list.late_items == 3
    moved.refresh_from_db()
    assert moved.due_date == date(year, 12, 31)
    assert moved.was_overdue
    mark = moved.late_marks.get()
    assert (mark.period_start, mark.period_end, mark.outcome) == (date(year, 1, 1), date(year, 11, 23), "missed")
    assert mark.due_date == date(year, 11, 23)
    assert mark.target_label() != moved.target_label()


def test_every_page_and_export_still_counts_the_item_whose_due_date_moved(
    tree: Tree, people: SimpleNamespace, new_list: ResponsibilityList, category: Category, year: int, on_day: SetDay
) -> None:
    secretary = people.branch_secretary
    on_day(date(year, 12, 3))
    moved = add_item(
        new_list, secretary, category, content="完成换届选举", target_period=Period.ONCE, due_date=date(year, 11, 23)
    )
    add_item(new_list, secretary, category, content="每年走访党员", target_period=Period.YEAR)
    approve(new_list, people)
    new_list = revise(new_list, people)
    update_item(moved, secretary, due_date=date(year, 12, 31))
    approve(new_list, people)

    filters = selectors.ProgressFilters(year=year)
    assert [row.list_late for row in selectors.progress_table([tree.branch], filters)] == [1]
    assert sum(figures.late for figures in selectors.progress_by_group([tree.general], filters).values()) == 1
    sheet = load_workbook(exports.list_workbook(new_list)).active
    assert sheet is not None
    overdue = {row[2]: row[-1] for row in sheet.iter_rows(values_only=True) if row and row[0] == category.name}
    assert overdue == {"完成换届选举": "是", "每年走访党员": None}


def test_a_due_date_moved_before_the_nightly_refresh_saw_the_miss_still_leaves_a_mark(
    people: SimpleNamespace, new_list: ResponsibilityList, category: Category, year: int, on_day: SetDay
) -> None:
    secretary = people.branch_secretary
    on_day(date(year, 11, 20))
    item = add_item(new_list, secretary, category, target_period=Period.ONCE, due_date=date(year, 11, 23))
    approve(new_list, people)
    assert not item.late_marks.exists()

    # 25 November: the due date has passed and no refresh has run since.
    on_day(date(year, 11, 25))
    revise(new_list, people)
    item.refresh_from_db()
    update_item(item, secretary, due_date=date(year, 12, 31))

    assert marks_of(item) == [(date(year, 1, 1), date(year, 11, 23), "missed")]
    new_list.refresh_from_db()
    assert new_list.late_items == 1


def test_the_item_page_lists_the_mark_under_the_due_date_it_was_recorded_with(
    client: Client,
    people: SimpleNamespace,
    new_list: ResponsibilityList,
    category: Category,
    year: int,
    on_day: SetDay,
) -> None:
    secretary = people.branch_secretary
    on_day(date(year, 12, 3))
    item = add_item(
        new_list, secretary, category, content="完成换届选举", target_period=Period.ONCE, due_date=date(year, 11, 23)
    )
    item = update_item(item, secretary, due_date=date(year, 12, 31))

    client.force_login(people.branch_member)
    body = client.get(reverse("item_detail", args=[item.pk])).content.decode()

    assert "逾期记录" in body
    assert f"{year}-01-01 – {year}-11-23" in strip_tags(body)  # each date a <time>
    assert f"{year}年11月23日 前完成" in body  # the target at the time
    assert f"{year}年12月31日 前完成" in body  # the target now
    assert 'data-mark="missed"' in body


# Edits of target, period, content -----------------------------------------------------------------


def test_changing_content_period_and_target_keeps_the_marks_as_they_were_recorded(
    people: SimpleNamespace, new_list: ResponsibilityList, category: Category, year: int, on_day: SetDay
) -> None:
    secretary = people.branch_secretary
    on_day(date(year, 4, 10))
    item = add_item(new_list, secretary, category, content="每月召开支委会")
    before = every_mark()
    assert [(start.month, outcome) for start, _end, outcome in marks_of(item)] == [
        (1, "missed"),
        (2, "missed"),
        (3, "missed"),
    ]

    item = update_item(item, secretary, content="每年召开一次党员大会", target_period=Period.YEAR, target_count=2)

    assert every_mark() == before
    assert set(item.late_marks.values_list("content", "target_period", "target_count")) == {
        ("每月召开支委会", "month", 1)
    }
    item.refresh_from_db()
    assert (item.missed_periods, item.late_periods, item.was_overdue) == (3, 0, True)
    new_list.refresh_from_db()
    assert new_list.late_items == 1

    item = update_item(item, secretary, target_period=Period.QUARTER, target_count=1)
    # The first quarter, missed under the new target, is a period of its own.
    assert every_mark().items() >= before.items()
    assert (date(year, 1, 1), date(year, 3, 31), "missed") in marks_of(item)
    item.refresh_from_db()
    assert item.missed_periods == 4


def test_a_missed_period_completed_afterwards_gets_a_second_mark_and_counts_once_as_late(
    january_list: ResponsibilityList, year: int
) -> None:
    item = january_list.items.get(target_period=Period.MONTH)
    progress.refresh_items([item.id], today=date(year, 2, 3))
    assert marks_of(item) == [(date(year, 1, 1), date(year, 1, 31), "missed")]

    record(item, date(year, 1, 20), date(year, 2, 5))
    progress.refresh_items([item.id], today=date(year, 2, 6))

    assert marks_of(item) == [
        (date(year, 1, 1), date(year, 1, 31), "missed"),
        (date(year, 1, 1), date(year, 1, 31), "late"),
    ]
    item.refresh_from_db()
    assert (item.late_periods, item.missed_periods) == (1, 0)


def test_a_returned_record_does_not_take_back_a_late_mark(january_list: ResponsibilityList, year: int) -> None:
    item = january_list.items.get(target_period=Period.QUARTER)
    late = record(item, date(year, 3, 30), date(year, 4, 2))
    progress.refresh_items([item.id], today=date(year, 4, 3))
    assert marks_of(item) == [(date(year, 1, 1), date(year, 3, 31), "late")]

    DutyRecord.objects.filter(pk=late.pk).update(status=DutyRecord.Status.RETURNED)
    progress.refresh_items([item.id], today=date(year, 4, 4))

    assert marks_of(item) == [
        (date(year, 1, 1), date(year, 3, 31), "late"),
        (date(year, 1, 1), date(year, 3, 31), "missed"),
    ]
    january_list.refresh_from_db()
    assert january_list.late_items == 1


# Removal ------------------------------------------------------------------------------------------


def test_an_item_with_late_marks_cannot_be_removed_once_the_list_was_approved(
    people: SimpleNamespace, new_list: ResponsibilityList, category: Category, year: int, on_day: SetDay
) -> None:
    on_day(date(year, 1, 20))
    item = add_item(new_list, people.branch_secretary, category)
    revise(approve(new_list, people), people)
    on_day(date(year, 3, 5))
    before = every_mark()

    with pytest.raises(DomainError, match="该条目有 2 条逾期记录，是本年度履责情况的一部分，不能删除"):
        services.list_item_remove(item=item, by=people.branch_secretary)

    assert ListItem.objects.filter(pk=item.pk).exists()
    assert every_mark() == before


def test_removal_judges_periods_that_ended_since_the_last_refresh(
    people: SimpleNamespace, new_list: ResponsibilityList, category: Category, year: int, on_day: SetDay
) -> None:
    on_day(date(year, 1, 20))
    item = add_item(new_list, people.branch_secretary, category)
    revise(approve(new_list, people), people)
    assert not item.late_marks.exists()

    on_day(date(year, 2, 3))
    with pytest.raises(DomainError, match="逾期记录"):
        services.list_item_remove(item=item, by=people.branch_secretary)
    assert ListItem.objects.filter(pk=item.pk).exists()


def test_an_item_withdrawn_from_a_first_draft_takes_its_marks_along(
    people: SimpleNamespace, new_list: ResponsibilityList, category: Category, year: int, on_day: SetDay
) -> None:
    """Before its first approval a list is a proposal: an item added late in the year, whose earlier months
    are already past, or by mistake, can be withdrawn; the year's record starts with the approved list."""
    on_day(date(year, 11, 20))
    item = add_item(new_list, people.branch_secretary, category)
    assert item.late_marks.count() == 10

    services.list_item_remove(item=item, by=people.branch_secretary)

    assert not ListItem.objects.filter(pk=item.pk).exists()
    assert not LateMark.objects.filter(list=new_list).exists()
    new_list.refresh_from_db()
    assert new_list.late_items == 0


def test_an_item_without_marks_or_records_can_still_be_removed(
    people: SimpleNamespace, new_list: ResponsibilityList, category: Category, year: int, on_day: SetDay
) -> None:
    on_day(date(year, 1, 20))
    item = add_item(new_list, people.branch_secretary, category)
    services.list_item_remove(item=item, by=people.branch_secretary)
    assert not new_list.items.exists()


def test_the_page_says_why_an_item_with_marks_stays(
    client: Client, people: SimpleNamespace, new_list: ResponsibilityList, category: Category, year: int, on_day: SetDay
) -> None:
    on_day(date(year, 1, 20))
    item = add_item(new_list, people.branch_secretary, category)
    revise(approve(new_list, people), people)
    on_day(date(year, 3, 5))
    client.force_login(people.branch_secretary)
    body = client.post(reverse("list_item_remove", args=[item.pk]), follow=True).content.decode()
    assert "是本年度履责情况的一部分，不能删除" in body
    assert ListItem.objects.filter(pk=item.pk).exists()


def test_the_database_refuses_to_delete_a_marked_item_on_its_own(
    people: SimpleNamespace, new_list: ResponsibilityList, category: Category, year: int, on_day: SetDay
) -> None:
    on_day(date(year, 3, 5))
    item = add_item(new_list, people.branch_secretary, category)
    with pytest.raises(RestrictedError), transaction.atomic():
        item.delete()
    assert LateMark.objects.filter(item=item).count() == 2


# Idempotence --------------------------------------------------------------------------------------


def test_refreshing_again_never_duplicates_a_mark(branch_list: ResponsibilityList, year: int) -> None:
    today = date(year, 12, 3)
    progress.refresh_items(branch_list.items.all(), today=today)
    first = every_mark()
    assert first

    progress.refresh_items(branch_list.items.all(), today=today)
    progress.refresh_items(branch_list.items.all(), today=today + timedelta(days=1))
    call_command("refresh_warnings")

    assert every_mark() == first


def test_the_database_keeps_one_mark_per_item_period_and_outcome(branch_list: ResponsibilityList, year: int) -> None:
    progress.refresh_items(branch_list.items.all(), today=date(year, 12, 3))
    mark = LateMark.objects.first()
    assert mark is not None
    mark.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        mark.save()


# The admin site -----------------------------------------------------------------------------------


def test_the_admin_shows_marks_but_cannot_add_change_or_delete_them(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, year: int
) -> None:
    progress.refresh_items(branch_list.items.all(), today=date(year, 12, 3))
    mark = LateMark.objects.first()
    assert mark is not None
    before = every_mark()
    client.force_login(people.admin)

    assert client.get(reverse("admin:responsibility_latemark_changelist")).status_code == 200
    assert client.get(reverse("admin:responsibility_latemark_change", args=[mark.pk])).status_code == 200
    changed = client.post(
        reverse("admin:responsibility_latemark_change", args=[mark.pk]),
        {"content": "改过", "outcome": "late", "period_start": f"{year}-01-01", "period_end": f"{year}-01-31"},
    )
    assert changed.status_code == 403
    assert client.get(reverse("admin:responsibility_latemark_add")).status_code == 403
    assert (
        client.post(reverse("admin:responsibility_latemark_delete", args=[mark.pk]), {"post": "yes"}).status_code == 403
    )
    bulk_delete = client.post(
        reverse("admin:responsibility_latemark_changelist"),
        {"action": "delete_selected", "_selected_action": [mark.pk], "post": "yes"},
    )
    assert bulk_delete.status_code in (200, 302)

    # Nor through the list or an item, which would take their marks with them.
    client.post(reverse("admin:responsibility_responsibilitylist_delete", args=[branch_list.pk]), {"post": "yes"})
    assert ResponsibilityList.objects.filter(pk=branch_list.pk).exists()
    assert every_mark() == before


# The data migration ------------------------------------------------------------------------------


def test_the_migration_marks_what_the_stored_figures_already_counted(
    january_list: ResponsibilityList, year: int
) -> None:
    items = {item.target_period: item for item in january_list.items.all()}
    record(items[Period.QUARTER], date(year, 3, 30), date(year, 4, 2))  # Q1 late
    record(items[Period.MONTH], date(year, 1, 10), date(year, 1, 10))  # February, March missed
    progress.refresh_items(january_list.items.all(), today=date(year, 4, 5))
    expected = set(LateMark.objects.values_list("item_id", "period_start", "period_end", "outcome", "content"))
    assert len(expected) == 3
    # As before the release: the figures on the items, no marks.
    LateMark.objects.all().delete()

    migration = importlib.import_module("responsibility.migrations.0005_late_marks_from_figures")
    migration.create_marks(apps, None)

    assert set(LateMark.objects.values_list("item_id", "period_start", "period_end", "outcome", "content")) == expected
    progress.refresh_items(january_list.items.all(), today=date(year, 4, 5))
    january_list.refresh_from_db()
    assert january_list.late_items == 2
    assert LateMark.objects.count() == 3


# For any sequence of edits, the marks only grow -----------------------------------------------------

steps = st.lists(
    st.one_of(
        st.tuples(st.just("day"), st.integers(min_value=1, max_value=75)),
        st.tuples(
            st.just("edit"),
            st.integers(min_value=0, max_value=3),
            st.sampled_from(Period.values),
            st.integers(min_value=1, max_value=3),
            st.integers(min_value=0, max_value=364),
            st.booleans(),
        ),
        st.tuples(st.just("record"), st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=90)),
        st.tuples(st.just("return"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("remove"), st.integers(min_value=0, max_value=3)),
        st.tuples(st.just("add"), st.sampled_from(Period.values)),
        st.tuples(st.just("approve")),
    ),
    min_size=1,
    max_size=12,
)


def test_for_any_sequence_of_edits_the_marks_only_grow(
    tree: Tree, people: SimpleNamespace, category: Category, year: int, on_day: SetDay
) -> None:
    secretary, committee = people.branch_secretary, people.committee_secretary

    def apply(responsibility_list: ResponsibilityList, step: tuple[Any, ...], today: date) -> date:
        responsibility_list.refresh_from_db()
        items = list(responsibility_list.items.order_by("id"))
        kind = step[0]
        if kind == "day":
            today = min(today + timedelta(days=step[1]), date(year, 12, 31))
            on_day(today)
            progress.refresh_stale()  # the nightly pass
        elif kind == "approve":
            if responsibility_list.status in (ResponsibilityList.Status.DRAFT, ResponsibilityList.Status.RETURNED):
                services.list_submit(responsibility_list=responsibility_list, by=secretary)
            services.list_approve(responsibility_list=responsibility_list, by=committee)
        elif kind == "add":
            if responsibility_list.status == ResponsibilityList.Status.APPROVED:
                responsibility_list = services.list_revise(responsibility_list=responsibility_list, by=secretary)
            due = date(year, 12, 31) if step[1] == Period.ONCE else None
            add_item(responsibility_list, secretary, category, target_period=step[1], due_date=due)
        elif kind in ("edit", "remove", "record") and items:
            item = items[step[1] % len(items)]
            if kind == "record":
                occurred = max(date(year, 1, 1), today - timedelta(days=step[2]))
                services.record_add(item=item, occurred_on=occurred, content="记实", done_by=secretary, by=secretary)
                return today
            if responsibility_list.status == ResponsibilityList.Status.APPROVED:
                services.list_revise(responsibility_list=responsibility_list, by=secretary)
                item.refresh_from_db()
            if kind == "remove":
                services.list_item_remove(item=item, by=secretary)
            else:
                _, _, period, count, due_offset, rename = step
                due = date(year, 1, 1) + timedelta(days=due_offset) if period == Period.ONCE else None
                content = f"{item.content}（改）"[:500] if rename else item.content
                update_item(item, secretary, target_period=period, target_count=count, due_date=due, content=content)
        elif kind == "return":
            records = list(DutyRecord.objects.filter(item__list=responsibility_list).order_by("id"))
            if records:
                services.record_return(record=records[step[1] % len(records)], by=committee, reason="不充分")
        return today

    @settings(
        max_examples=50,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=steps)
    def marks_only_grow(steps: list[tuple[Any, ...]]) -> None:
        with transaction.atomic():
            today = date(year, 1, 2)
            on_day(today)
            responsibility_list = services.list_start(organization=tree.branch, year=year, by=secretary)
            for period in (Period.MONTH, Period.QUARTER):
                add_item(responsibility_list, secretary, category, target_period=period)
            approve(responsibility_list, people)
            before, late_items = every_mark(), 0
            for step in steps:
                try:
                    with transaction.atomic():
                        today = apply(responsibility_list, step, today)
                except DomainError:
                    pass
                now = every_mark()
                assert {pk: now.get(pk) for pk in before} == before, f"a mark changed or went at {step}"
                responsibility_list.refresh_from_db()
                assert responsibility_list.late_items >= late_items
                marked_items = LateMark.objects.filter(list=responsibility_list).values("item_id").distinct().count()
                assert responsibility_list.late_items == marked_items
                before, late_items = now, responsibility_list.late_items
            transaction.set_rollback(True)

    marks_only_grow()
