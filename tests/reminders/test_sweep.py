"""Deadline reminders: every deadline, each threshold once per person, escalation, batches, crashes and settings.

Why one long file: one sweep over every kind of deadline: the cases share the deadline builders and the
sent-log checks at the top, one section per kind, then batches, crashes and settings.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts import services as account_services
from accounts.models import Organization, Position, User
from notifications import services as notification_services
from notifications.models import Notification
from rectification import services as rectification_services
from rectification.models import Finding, RectificationTask
from reminders import sweep as reminders
from reminders.models import ReminderLog
from reminders.sweep import Policy, Role
from reminders.tasks import send_reminders
from responsibility import services as responsibility_services
from responsibility.models import Category, DutyType, ListItem, Period, ResponsibilityList
from reviews import services as review_services
from reviews.models import Cycle, ReviewerAssignment
from tests.conftest import Tree, _person
from tests.reviews.conftest import rubric  # noqa: F401 - fixture
from tests.reviews.test_services import submitted
from tests.test_settings import load_settings

TODAY = timezone.localdate()
# A one-off item's due date; the sweeps below run on days around it (the sweep takes the day).
DUE = date(TODAY.year, 6, 30)


# Builders (test_calendar.py uses them too) ---------------------------------------------------------


def organization_building() -> Category:
    # A data migration creates it, but a transactional test that ran earlier flushed it away.
    return Category.objects.get_or_create(name="组织建设")[0]


def branch_list_for(tree: Tree, people: SimpleNamespace) -> ResponsibilityList:
    return responsibility_services.list_start(organization=tree.branch, year=TODAY.year, by=people.branch_secretary)


def once_item(
    responsibility_list: ResponsibilityList,
    by: User,
    *,
    duty_type: str = DutyType.DUAL,
    responsible: Position | None = None,
    due: date = DUE,
    content: str = "按时报送党费收缴情况",
) -> ListItem:
    return responsibility_services.list_item_add(
        responsibility_list=responsibility_list,
        category=organization_building(),
        duty_type=duty_type,
        content=content,
        target_period=Period.ONCE,
        target_count=1,
        due_date=due,
        responsible=responsible,
        by=by,
    )


def position_of(person: User, organization: Organization) -> Position:
    return Position.objects.get(person=person, organization=organization, is_current=True)


def rectification_task(
    tree: Tree, people: SimpleNamespace, *, responsible: User, deadline: date, title: str = "规范“三会一课”记录"
) -> RectificationTask:
    finding = rectification_services.finding_raise(
        organization=tree.branch,
        year=TODAY.year,
        source=Finding.Source.SELF_CHECK,
        description="“三会一课”记录不规范。",
        category=organization_building(),
        by=people.committee_secretary,
    )
    return rectification_services.task_create(
        findings=[finding], title=title, responsible=responsible, deadline=deadline, by=people.committee_secretary
    )


def sent(**filters: Any) -> list[Notification]:
    """The reminders sent (not the notices of events such as a task being assigned)."""
    events = ["task_created", "task_returned", "task_accepted", "record_returned", "list_returned", "report_returned"]
    return list(Notification.objects.filter(**filters).exclude(kind__in=events).order_by("id"))


def recipients(day: date) -> set[str]:
    """Who got a reminder from the sweep of DAY."""
    before = set(Notification.objects.values_list("id", flat=True))
    reminders.sweep(today=day)
    return {notification.recipient.username for notification in Notification.objects.exclude(id__in=before)}


# Thresholds ------------------------------------------------------------------------------------------


def test_the_owner_crosses_the_before_thresholds_then_the_after_ones() -> None:
    policy = Policy()
    due = date(2026, 6, 30)

    def crossed(days_left: int, **options: Any) -> list[int]:
        return policy.crossed(Role.OWNER, due=due, today=due - timedelta(days=days_left), **options)

    assert crossed(8) == []
    assert crossed(7) == [-7]
    assert crossed(3) == [-7, -3]
    assert crossed(0) == [-7, -3, -1]
    assert crossed(-1) == [1]
    assert crossed(-13) == [1, 7]
    assert crossed(-14) == [1, 7, 14]
    assert crossed(-3, after=False) == []


def test_the_secretary_and_committee_join_only_once_escalated() -> None:
    policy = Policy(after=(1, 7, 14), secretary_after=5, committee_after=14)
    due = date(2026, 6, 30)
    assert policy.crossed(Role.SECRETARY, due=due, today=due + timedelta(days=4)) == []
    assert policy.crossed(Role.SECRETARY, due=due, today=due + timedelta(days=5)) == [5]
    assert policy.crossed(Role.SECRETARY, due=due, today=due + timedelta(days=14)) == [5, 7, 14]
    assert policy.crossed(Role.COMMITTEE, due=due, today=due + timedelta(days=13)) == []
    assert policy.crossed(Role.COMMITTEE, due=due, today=due + timedelta(days=14)) == [14]
    assert policy.crossed(Role.SECRETARY, due=due, today=due - timedelta(days=1)) == []


@given(
    before=st.sets(st.integers(0, 60), max_size=5),
    after=st.sets(st.integers(1, 60), max_size=5),
    offset=st.integers(-90, 90),
    role=st.sampled_from(list(Role)),
)
def test_crossed_thresholds_only_grow_as_days_pass(before: set[int], after: set[int], offset: int, role: Role) -> None:
    policy = Policy(before=tuple(before), after=tuple(after), secretary_after=7, committee_after=14)
    due = date(2026, 6, 30)
    today = due + timedelta(days=offset)
    crossed = policy.crossed(role, due=due, today=today)
    tomorrow = policy.crossed(role, due=due, today=today + timedelta(days=1))
    # Once crossed, a threshold stays crossed, except the days-before ones the day after the deadline:
    # the sent-log keeps them, so nothing is sent twice either way.
    assert {threshold for threshold in crossed if threshold > 0} <= set(tomorrow)
    assert crossed == sorted(crossed)
    assert all(-threshold in before for threshold in crossed if threshold <= 0)
    assert all(threshold <= offset for threshold in crossed)


# List items ------------------------------------------------------------------------------------------


def test_an_item_is_reminded_at_each_threshold_exactly_once(tree: Tree, people: SimpleNamespace) -> None:
    responsibility_list = branch_list_for(tree, people)
    item = once_item(
        responsibility_list,
        people.branch_secretary,
        responsible=position_of(people.branch_member_of_committee, tree.branch),
    )
    for offset in range(-10, 31):
        reminders.sweep(today=DUE + timedelta(days=offset))

    titles = [notification.title for notification in sent()]
    assert titles == [
        "责任清单事项「按时报送党费收缴情况」还有 7 天截止",
        "责任清单事项「按时报送党费收缴情况」还有 3 天截止",
        "责任清单事项「按时报送党费收缴情况」还有 1 天截止",
        "责任清单事项「按时报送党费收缴情况」已逾期 1 天",
        "责任清单事项「按时报送党费收缴情况」已逾期 7 天",
        "责任清单事项「按时报送党费收缴情况」已逾期 14 天",
    ]
    notification = sent()[0]
    assert notification.recipient == people.branch_member_of_committee
    assert notification.kind == "reminder.item"
    assert notification.url == reverse("item_detail", args=[item.pk])
    assert "一村党支部" in notification.body
    key = f"item:{item.pk}:{DUE.isoformat()}"
    assert sorted(ReminderLog.objects.filter(deadline_key=key).values_list("threshold", flat=True)) == [
        -7,
        -3,
        -1,
        1,
        7,
        14,
    ]


def test_running_the_sweep_twice_sends_one_notification(tree: Tree, people: SimpleNamespace) -> None:
    once_item(branch_list_for(tree, people), people.branch_secretary)
    first = reminders.sweep(today=DUE - timedelta(days=3))
    second = reminders.sweep(today=DUE - timedelta(days=3))
    assert (first.sent, second.sent) == (1, 0)
    assert len(sent()) == 1


def test_someone_added_late_gets_only_the_most_urgent_reminder(tree: Tree, people: SimpleNamespace) -> None:
    item = once_item(branch_list_for(tree, people), people.branch_secretary)
    for offset in (-1, -1, 0, 1):
        reminders.sweep(today=DUE + timedelta(days=offset))

    assert [notification.title for notification in sent()] == [
        "责任清单事项「按时报送党费收缴情况」还有 1 天截止",
        "责任清单事项「按时报送党费收缴情况」已逾期 1 天",
    ]
    # The less urgent thresholds crossed at the same time are not logged: the thresholds crossed only
    # grow from day to day, so none of them is ever the most urgent again.
    logs = ReminderLog.objects.filter(deadline_key=f"item:{item.pk}:{DUE.isoformat()}").order_by("threshold")
    assert [(threshold, bool(sent)) for threshold, sent in logs.values_list("threshold", "notification")] == [
        (-1, True),
        (1, True),
    ]


def test_an_organization_duty_and_an_unassigned_item_remind_the_secretary(tree: Tree, people: SimpleNamespace) -> None:
    responsibility_list = branch_list_for(tree, people)
    once_item(responsibility_list, people.branch_secretary, duty_type=DutyType.ORGANIZATION, content="主体责任事项")
    once_item(responsibility_list, people.branch_secretary, content="无人负责的事项")
    assert recipients(DUE - timedelta(days=7)) == {"branch_secretary"}
    assert len(sent()) == 2


def test_an_item_whose_responsible_person_left_reminds_the_secretary(tree: Tree, people: SimpleNamespace) -> None:
    position = position_of(people.branch_member_of_committee, tree.branch)
    once_item(branch_list_for(tree, people), people.branch_secretary, responsible=position)
    account_services.position_end(position=position)
    assert recipients(DUE - timedelta(days=7)) == {"branch_secretary"}


def test_a_closed_list_gets_no_reminders(tree: Tree, people: SimpleNamespace) -> None:
    responsibility_list = branch_list_for(tree, people)
    once_item(responsibility_list, people.branch_secretary)
    responsibility_services.list_close(responsibility_list=responsibility_list, by=people.committee_secretary)
    assert recipients(DUE - timedelta(days=3)) == set()
    assert recipients(DUE + timedelta(days=7)) == set()


def test_a_met_item_moves_on_to_a_fresh_deadline(tree: Tree, people: SimpleNamespace) -> None:
    """When the date an item is due moves, its key moves with it: the new date gets its own reminders."""
    item = once_item(branch_list_for(tree, people), people.branch_secretary)
    reminders.sweep(today=DUE - timedelta(days=3))
    later = DUE + timedelta(days=30)
    ListItem.objects.filter(pk=item.pk).update(next_due=later)
    reminders.sweep(today=later - timedelta(days=3))
    assert [notification.title.split("」")[-1] for notification in sent()] == ["还有 3 天截止", "还有 3 天截止"]


# Reviews ---------------------------------------------------------------------------------------------


@pytest.fixture
def cycle(tree: Tree, people: SimpleNamespace, rubric: Any) -> Cycle:  # noqa: F811 - the imported fixture
    cycle = review_services.cycle_create(
        organization=tree.township,
        year=TODAY.year,
        title="村党支部书记述职评议",
        report_due=DUE,
        scoring_due=DUE + timedelta(days=10),
        ballot_opens=DUE,
        ballot_closes=DUE + timedelta(days=20),
        scope="branches",
        template=rubric,
        by=people.committee_secretary,
    )
    review_services.cycle_open(cycle=cycle, by=people.committee_secretary)
    review_services.reviewer_assign(
        reports=cycle.reports.all(), reviewer=people.committee_member, by=people.committee_secretary
    )
    cycle.refresh_from_db()
    return cycle


def test_an_unsubmitted_report_reminds_its_secretary_before_and_after(
    tree: Tree, people: SimpleNamespace, cycle: Cycle
) -> None:
    report = cycle.reports.get(organization=tree.branch)
    assert recipients(DUE - timedelta(days=3)) == {"branch_secretary"}
    assert recipients(DUE + timedelta(days=1)) == {"branch_secretary"}
    notification = sent(kind="reminder.report")[0]
    assert notification.title == "述职报告「村党支部书记述职评议」还有 3 天截止"
    assert notification.url == reverse("report_edit", args=[report.pk])


def test_a_submitted_report_gets_no_reminder_and_its_reviewer_is_reminded_to_score(
    tree: Tree, people: SimpleNamespace, cycle: Cycle
) -> None:
    report = cycle.reports.get(organization=tree.branch)
    submitted(report, people.branch_secretary)
    assignment = ReviewerAssignment.objects.get(report=report)

    assert recipients(DUE - timedelta(days=3)) == set()
    assert recipients(DUE + timedelta(days=7)) == {"committee_member"}
    notification = sent(kind="reminder.scoring")[0]
    assert notification.title == "述职评分「一村党支部」还有 3 天截止"
    assert notification.url == reverse("report_score", args=[assignment.pk])


def test_a_submitted_score_gets_no_reminder(tree: Tree, people: SimpleNamespace, cycle: Cycle) -> None:
    report = cycle.reports.get(organization=tree.branch)
    submitted(report, people.branch_secretary)
    ReviewerAssignment.objects.filter(report=report).update(submitted_at=timezone.now())
    assert recipients(DUE + timedelta(days=7)) == set()


def test_the_ballot_window_closing_reminds_the_committees_leading_roles(
    tree: Tree, people: SimpleNamespace, cycle: Cycle
) -> None:
    closes = cycle.ballot_closes
    assert recipients(closes - timedelta(days=1)) >= {
        "committee_secretary",
        "committee_deputy",
        "committee_member",
        "committee_staff",
    }
    ballots = sent(kind="reminder.ballot")
    assert {notification.recipient.username for notification in ballots} == {
        "committee_secretary",
        "committee_deputy",
        "committee_member",
        "committee_staff",
    }
    assert ballots[0].url == reverse("ballot_codes", args=[cycle.pk])
    # After the window closed nothing more is asked.
    assert not sent(kind="reminder.ballot", message_key="reminder.overdue")
    reminders.sweep(today=closes + timedelta(days=1))
    assert not sent(kind="reminder.ballot", message_key="reminder.overdue")


def test_a_closed_cycle_gets_no_reminders(tree: Tree, people: SimpleNamespace, cycle: Cycle) -> None:
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.CLOSED)
    assert recipients(DUE - timedelta(days=1)) == set()
    assert recipients(DUE + timedelta(days=7)) == set()


# Rectification and its escalation --------------------------------------------------------------------


@pytest.fixture
def general_leaders(tree: Tree) -> SimpleNamespace:
    """The committee one level above 一村党支部 is 甲镇机关党总支 (tree.general)."""
    return SimpleNamespace(
        secretary=_person("general_secretary", tree.general, Position.Role.SECRETARY),
        member=_person("general_member", tree.general, Position.Role.COMMITTEE_MEMBER),
        party_member=_person("general_party_member", tree.general, Position.Role.MEMBER),
    )


def test_an_overdue_task_escalates_to_the_secretary_then_to_the_committee(
    tree: Tree, people: SimpleNamespace, general_leaders: SimpleNamespace
) -> None:
    deadline = TODAY + timedelta(days=30)
    task = rectification_task(tree, people, responsible=people.branch_deputy, deadline=deadline)

    assert recipients(deadline - timedelta(days=3)) == {"branch_deputy"}
    assert recipients(deadline + timedelta(days=1)) == {"branch_deputy"}
    assert recipients(deadline + timedelta(days=6)) == set()
    assert recipients(deadline + timedelta(days=7)) == {"branch_deputy", "branch_secretary"}
    assert recipients(deadline + timedelta(days=13)) == set()
    assert recipients(deadline + timedelta(days=14)) == {
        "branch_deputy",
        "branch_secretary",
        "general_secretary",
        "general_member",
    }
    assert recipients(deadline + timedelta(days=40)) == set()

    per_person = Counter(notification.recipient.username for notification in sent())
    assert per_person == {"branch_deputy": 4, "branch_secretary": 2, "general_secretary": 1, "general_member": 1}
    committee = sent(recipient=general_leaders.secretary)[0]
    assert committee.title == "整改任务「规范“三会一课”记录」已逾期 14 天"
    assert "督办" in committee.body
    assert "branch_deputy" in committee.body
    assert committee.url == reverse("task_detail", args=[task.pk])
    assert "督促整改" in sent(recipient=people.branch_secretary)[0].body


def test_a_responsible_secretary_gets_one_reminder_a_threshold(tree: Tree, people: SimpleNamespace) -> None:
    deadline = TODAY + timedelta(days=30)
    rectification_task(tree, people, responsible=people.branch_secretary, deadline=deadline)
    for offset in (1, 7, 14):
        reminders.sweep(today=deadline + timedelta(days=offset))
    assert [notification.title.split("」")[-1] for notification in sent(recipient=people.branch_secretary)] == [
        "已逾期 1 天",
        "已逾期 7 天",
        "已逾期 14 天",
    ]


def test_escalation_follows_the_settings(
    tree: Tree, people: SimpleNamespace, general_leaders: SimpleNamespace, settings: Any
) -> None:
    settings.RECTIFICATION_SECRETARY_AFTER_DAYS = 3
    settings.RECTIFICATION_COMMITTEE_AFTER_DAYS = 5
    deadline = TODAY + timedelta(days=30)
    rectification_task(tree, people, responsible=people.branch_deputy, deadline=deadline)
    assert recipients(deadline + timedelta(days=3)) == {"branch_secretary", "branch_deputy"}
    assert recipients(deadline + timedelta(days=5)) == {"general_secretary", "general_member"}


def test_an_extension_gets_fresh_reminders(tree: Tree, people: SimpleNamespace) -> None:
    deadline = TODAY + timedelta(days=30)
    task = rectification_task(tree, people, responsible=people.branch_secretary, deadline=deadline)
    assert recipients(deadline - timedelta(days=3)) == {"branch_secretary"}

    extended = deadline + timedelta(days=30)
    extension = rectification_services.extension_request(
        task=task, deadline=extended, reason="需要等待上级批复", by=people.branch_secretary
    )
    rectification_services.extension_decide(extension=extension, approve=True, by=people.committee_secretary)

    assert recipients(deadline - timedelta(days=3)) == set()
    assert recipients(extended - timedelta(days=7)) == {"branch_secretary"}
    assert ReminderLog.objects.filter(deadline_key=f"task:{task.pk}:{extended.isoformat()}").exists()


def test_an_accepted_task_gets_no_reminders(tree: Tree, people: SimpleNamespace) -> None:
    deadline = TODAY + timedelta(days=30)
    task = rectification_task(tree, people, responsible=people.branch_secretary, deadline=deadline)
    # The road to acceptance (plan, evidence, submit, accept) is tested in tests/rectification.
    RectificationTask.objects.filter(pk=task.pk).update(status=RectificationTask.Status.ACCEPTED)
    assert recipients(deadline - timedelta(days=1)) == set()
    assert recipients(deadline + timedelta(days=14)) == set()


# Settings --------------------------------------------------------------------------------------------


def test_thresholds_come_from_settings(tree: Tree, people: SimpleNamespace, settings: Any) -> None:
    settings.REMINDER_BEFORE_DAYS = [5]
    settings.REMINDER_AFTER_DAYS = [2]
    once_item(branch_list_for(tree, people), people.branch_secretary)
    assert recipients(DUE - timedelta(days=7)) == set()
    assert recipients(DUE - timedelta(days=5)) == {"branch_secretary"}
    assert recipients(DUE + timedelta(days=1)) == set()
    assert recipients(DUE + timedelta(days=2)) == {"branch_secretary"}


def test_the_settings_read_the_environment_and_schedule_the_sweep() -> None:
    result = load_settings(
        "settings.REMINDER_HOUR, settings.REMINDER_BEFORE_DAYS, settings.REMINDER_AFTER_DAYS, "
        "settings.CELERY_BEAT_SCHEDULE['reminders-send']['schedule'].hour, settings.CELERY_TIMEZONE",
        REMINDER_HOUR="9",
        REMINDER_BEFORE_DAYS="10, 2,0",
        REMINDER_AFTER_DAYS="3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "9 [0, 2, 10] [3] {9} Asia/Shanghai"


def test_the_default_settings_remind_at_eight_seven_three_one_days_before_and_one_seven_fourteen_after() -> None:
    result = load_settings("settings.REMINDER_HOUR, settings.REMINDER_BEFORE_DAYS, settings.REMINDER_AFTER_DAYS")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "8 [1, 3, 7] [1, 7, 14]"


@pytest.mark.parametrize(
    ("variables", "complaint"),
    [
        ({"REMINDER_HOUR": "24"}, "REMINDER_HOUR"),
        ({"REMINDER_HOUR": "eight"}, "REMINDER_HOUR"),
        ({"REMINDER_BEFORE_DAYS": "7,three"}, "REMINDER_BEFORE_DAYS"),
        ({"REMINDER_BEFORE_DAYS": "-1"}, "REMINDER_BEFORE_DAYS"),
        ({"REMINDER_AFTER_DAYS": "0,7"}, "REMINDER_AFTER_DAYS"),
    ],
)
def test_bad_reminder_settings_stop_the_start(variables: dict[str, str], complaint: str) -> None:
    result = load_settings("settings.REMINDER_HOUR", **variables)
    assert result.returncode != 0
    assert complaint in result.stderr


# Idempotence, crashes, races and batches -------------------------------------------------------------


def many_items(tree: Tree, people: SimpleNamespace, count: int) -> list[ListItem]:
    responsibility_list = branch_list_for(tree, people)
    return [once_item(responsibility_list, people.branch_secretary, content=f"事项{n}") for n in range(count)]


def test_a_crash_halfway_and_a_rerun_send_each_reminder_once(
    tree: Tree, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = many_items(tree, people, 6)
    real_notify_many = notification_services.notify_many
    calls = 0

    def crashing_notify_many(drafts: Any, at: Any = None) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 2:  # the second batch
            raise RuntimeError("mail server on fire")
        return real_notify_many(drafts, at=at)

    monkeypatch.setattr(notification_services, "notify_many", crashing_notify_many)
    with pytest.raises(RuntimeError):
        reminders.sweep(today=DUE - timedelta(days=3), batch_size=2)
    # The first batch committed; the batch that crashed left nothing behind.
    assert len(sent()) == 2
    assert ReminderLog.objects.count() == 2

    monkeypatch.setattr(notification_services, "notify_many", real_notify_many)
    result = reminders.sweep(today=DUE - timedelta(days=3), batch_size=2)
    assert result.sent == 4
    assert sorted(notification.url for notification in sent()) == sorted(
        reverse("item_detail", args=[item.pk]) for item in items
    )
    urgent = ReminderLog.objects.filter(threshold=-3)
    assert urgent.count() == 6
    assert len(set(urgent.values_list("notification_id", flat=True))) == 6


def test_a_row_another_sweep_logged_meanwhile_is_not_sent_again(tree: Tree, people: SimpleNamespace) -> None:
    """Two beat processes: the other one committed its log row between our read and our insert."""
    item = once_item(branch_list_for(tree, people), people.branch_secretary)
    day = DUE - timedelta(days=3)
    source = reminders.SOURCES[0]
    deadline = source.deadline(
        source.rows(day).get(pk=item.pk), reminders.Leaders.of([tree.branch.path]), reminders.Words()
    )
    plans = reminders._plans([deadline], today=day, policy=Policy.from_settings())
    other = notification_services.notify(
        recipient=people.branch_secretary, kind="reminder.item", key="task_created", params={"title": "另一进程已发送"}
    )
    ReminderLog.objects.create(
        deadline_key=deadline.key, threshold=-3, recipient=people.branch_secretary, notification=other
    )

    assert reminders._send(plans, today=day) == 0
    assert [notification.title for notification in sent()] == ["新的整改任务：另一进程已发送"]


def _sweep_queries(day: date, batch_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        reminders.sweep(today=day, batch_size=batch_size)
    return len(queries)


@pytest.fixture
def quiet_notify(people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    """`notify_many` without its own queries (a constant few, pinned in test_notifications), so the counts below
    are the sweep's alone."""
    stand_in = Notification.objects.create(recipient=people.branch_secretary, kind="test", stored_title="stand-in")
    monkeypatch.setattr(notification_services, "notify_many", lambda drafts, at=None: [stand_in.pk] * len(drafts))


@pytest.mark.parametrize("sending", [True, False])
def test_a_batch_costs_the_same_queries_however_many_reminders_it_sends(
    tree: Tree, people: SimpleNamespace, quiet_notify: None, sending: bool
) -> None:
    day = DUE - timedelta(days=3)
    items = many_items(tree, people, 3)
    if not sending:
        reminders.sweep(today=day)
    small = _sweep_queries(day, batch_size=100)

    ReminderLog.objects.all().delete()
    for n in range(3, 12):
        items.append(once_item(items[0].list, people.branch_secretary, content=f"事项{n}"))
    if not sending:
        reminders.sweep(today=day)
    assert _sweep_queries(day, batch_size=100) == small
    # One query a source whatever it holds, and per batch: the rows, the positions, the sent-log,
    # and when sending: savepoint, recipients, the sent-log's insert, release; on PostgreSQL the
    # insert is four statements (create the staging table, copy, insert from it, drop it).
    insert = 4 if connection.vendor == "postgresql" else 1
    assert small == (len(reminders.SOURCES) - 1) + 3 + (3 + insert if sending else 0)


def test_each_further_batch_costs_a_constant_number_of_queries(
    tree: Tree, people: SimpleNamespace, quiet_notify: None
) -> None:
    day = DUE - timedelta(days=3)
    many_items(tree, people, 12)
    reminders.sweep(today=day)
    four_batches = _sweep_queries(day, batch_size=3)
    two_batches = _sweep_queries(day, batch_size=6)
    assert four_batches - two_batches == 2 * 3


def test_deadlines_far_away_are_not_read(tree: Tree, people: SimpleNamespace) -> None:
    once_item(branch_list_for(tree, people), people.branch_secretary)
    result = reminders.sweep(today=DUE - timedelta(days=30))
    assert (result.scanned, result.sent) == (0, 0)


# The task and the command ----------------------------------------------------------------------------


def test_the_celery_task_sweeps_the_given_day(tree: Tree, people: SimpleNamespace) -> None:
    once_item(branch_list_for(tree, people), people.branch_secretary)
    result = send_reminders.delay((DUE - timedelta(days=7)).isoformat()).get(timeout=5)
    assert result["sent"] == 1
    assert result["items"] == 1
    assert send_reminders.delay((DUE - timedelta(days=7)).isoformat()).get(timeout=5)["sent"] == 0


def test_the_command_sends_the_days_reminders(tree: Tree, people: SimpleNamespace, capsys: Any) -> None:
    once_item(branch_list_for(tree, people), people.branch_secretary)
    call_command("send_reminders", "--date", (DUE - timedelta(days=1)).isoformat())
    assert "发送 1 条提醒" in capsys.readouterr().out
    call_command("send_reminders", "--date", (DUE - timedelta(days=1)).isoformat())
    assert "发送 0 条提醒" in capsys.readouterr().out
    assert len(sent()) == 1


def test_the_command_refuses_a_bad_date(db: None) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "30/06/2026")


def test_a_failed_task_is_retried_and_the_retry_sends_what_is_missing(
    tree: Tree, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    once_item(branch_list_for(tree, people), people.branch_secretary)
    day = (DUE - timedelta(days=7)).isoformat()
    real_sweep = reminders.sweep

    def failing(**kwargs: Any) -> reminders.SweepResult:
        raise ConnectionError("database went away")

    monkeypatch.setattr(reminders, "sweep", failing)
    # Eager mode raises where a worker would schedule the retry (up to three, with backoff).
    with pytest.raises(Retry):
        send_reminders.delay(day)
    assert send_reminders.max_retries == 3
    monkeypatch.setattr(reminders, "sweep", real_sweep)
    assert send_reminders.delay(day).get(timeout=5)["sent"] == 1
    assert len(sent()) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_once(
    tree: Tree, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: two sweeps cannot race there.")
    many_items(tree, people, 3)
    real_send = reminders._send
    both_have_read = threading.Barrier(2, timeout=10)

    def send_after_the_other_has_read(*args: Any, **kwargs: Any) -> int:
        # Both sweeps have read an empty sent-log before either writes to it.
        both_have_read.wait()
        return real_send(*args, **kwargs)

    monkeypatch.setattr(reminders, "_send", send_after_the_other_has_read)
    results: list[int] = []

    def run() -> None:
        try:
            results.append(reminders.sweep(today=DUE - timedelta(days=3)).sent)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [0, 3]
    assert len(sent()) == 3
