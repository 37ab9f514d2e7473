"""The calendar feed: a person's deadlines as iCalendar at a secret address, folded and escaped, cheaply."""

from __future__ import annotations

import getpass
import re
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import User
from notifications import services as notification_services
from notifications.models import NotificationPreference
from rectification.models import RectificationTask
from reminders.views import escape, fold
from responsibility.models import DutyType
from reviews.models import Cycle
from tests.conftest import Tree
from tests.factories import TEST_PASSWORD
from tests.reminders import test_sweep as reminder_tests
from tests.reminders.test_sweep import DUE, TODAY, branch_list_for, once_item, position_of, rectification_task
from tests.reviews.test_services import submitted

cycle = reminder_tests.cycle
general_leaders = reminder_tests.general_leaders
rubric = reminder_tests.rubric


def feed_url(person: User) -> str:
    return reverse("calendar_feed", args=[notification_services.calendar_token_regenerate(person=person)])


def unfolded(body: str) -> list[str]:
    assert body.endswith("\r\n")
    return body.replace("\r\n ", "").split("\r\n")[:-1]


def events(body: str) -> list[dict[str, str]]:
    """Each VEVENT as {property with its parameters: value}."""
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfolded(body):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            found.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name] = value
    return found


def summaries(client: Client, url: str) -> list[str]:
    return [event["SUMMARY"] for event in events(client.get(url).content.decode())]


# Who may read it ------------------------------------------------------------------------------------


def test_an_unknown_token_is_not_found(client: Client, people: SimpleNamespace) -> None:
    notification_services.calendar_token_regenerate(person=people.branch_secretary)
    assert client.get(reverse("calendar_feed", args=["not-a-token"])).status_code == 404


def test_an_empty_token_never_matches_a_person_without_one(client: Client, people: SimpleNamespace) -> None:
    NotificationPreference.objects.create(person=people.branch_secretary, calendar_token="")
    assert client.get("/calendar/.ics").status_code == 404
    assert client.get("/calendar/%20.ics").status_code == 404


def address_on_the_settings_page(person: User) -> str:
    """The feed's path as its owner reads it on the notification settings page."""
    owner = Client()
    owner.force_login(User.objects.get(pk=person.pk))  # as stored now: a new password ends older sessions
    page = owner.get(reverse("notification_settings")).content.decode()
    [path] = re.findall(r'<p class="feed-url code">https?://[^/]+(/calendar/[^<]+\.ics)</p>', page)
    return path


def test_the_owner_renews_the_address_on_the_settings_page(client: Client, people: SimpleNamespace) -> None:
    old = feed_url(people.branch_secretary)
    assert address_on_the_settings_page(people.branch_secretary) == old
    owner = Client()
    owner.force_login(people.branch_secretary)
    response = owner.post(reverse("notification_settings"), {"action": "calendar"}, follow=True)
    assert "已生成新的日历订阅地址，原地址已失效" in response.content.decode()
    new = address_on_the_settings_page(people.branch_secretary)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_changing_ones_password_retires_the_address(client: Client, people: SimpleNamespace) -> None:
    old = feed_url(people.branch_secretary)
    assert client.get(old).status_code == 200
    owner = Client()
    owner.force_login(people.branch_secretary)
    new_password = "Qing-Shan-2026"
    response = owner.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    assert client.get(old).status_code == 404
    new = address_on_the_settings_page(people.branch_secretary)
    assert new != old
    assert client.get(new).status_code == 200


def test_an_administrators_reset_retires_the_address(client: Client, people: SimpleNamespace) -> None:
    old = feed_url(people.branch_secretary)
    administrator = Client()
    administrator.force_login(people.admin)
    response = administrator.post(
        reverse("admin:auth_user_password_change", args=[people.branch_secretary.pk]),
        {"usable_password": "true", "password1": "Reset-By-Admin-1", "password2": "Reset-By-Admin-1"},
    )
    assert response.status_code == 302
    assert client.get(old).status_code == 404
    # The person replaces the password they were given, then finds a new address on the settings page.
    services.password_change(person=people.branch_secretary, password="Own-Choice-2026-x")
    new = address_on_the_settings_page(people.branch_secretary)
    assert new != old
    assert client.get(new).status_code == 200


def test_a_password_set_at_the_shell_retires_the_address(
    client: Client, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = feed_url(people.branch_secretary)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "Shell-Set-2026")
    call_command("changepassword", "branch_secretary", stdout=StringIO())
    assert client.get(old).status_code == 404


def test_a_password_change_gives_no_address_to_someone_without_one(people: SimpleNamespace) -> None:
    NotificationPreference.objects.create(person=people.branch_member)
    services.password_change(person=people.branch_member, password="Qing-Shan-2026")
    services.password_change(person=people.branch_secretary, password="Qing-Shan-2026")
    assert NotificationPreference.objects.get(person=people.branch_member).calendar_token == ""
    assert not NotificationPreference.objects.filter(person=people.branch_secretary).exists()


def test_a_regenerated_token_retires_the_old_address(client: Client, people: SimpleNamespace) -> None:
    old = feed_url(people.branch_secretary)
    new = feed_url(people.branch_secretary)
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_a_deactivated_persons_feed_is_gone(client: Client, people: SimpleNamespace) -> None:
    url = feed_url(people.branch_secretary)
    User.objects.filter(pk=people.branch_secretary.pk).update(is_active=False)
    assert client.get(url).status_code == 404


def test_the_feed_needs_no_sign_in_and_only_answers_get(client: Client, people: SimpleNamespace) -> None:
    url = feed_url(people.branch_member)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    assert client.post(url).status_code == 405


# What it holds --------------------------------------------------------------------------------------


def test_the_feed_holds_the_persons_deadlines_as_all_day_events(
    client: Client, tree: Tree, people: SimpleNamespace, cycle: Cycle
) -> None:
    responsibility_list = branch_list_for(tree, people)
    item = once_item(
        responsibility_list, people.branch_secretary, duty_type=DutyType.ORGANIZATION, content="主体责任, 按季; 研究"
    )
    once_item(
        responsibility_list,
        people.branch_secretary,
        responsible=position_of(people.branch_member_of_committee, tree.branch),
        content="委员的事项",
    )
    task = rectification_task(tree, people, responsible=people.branch_secretary, deadline=TODAY + timedelta(days=30))

    response = client.get(feed_url(people.branch_secretary))
    body = response.content.decode()
    lines = unfolded(body)
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"]
    assert lines[-1] == "END:VCALENDAR"
    found = {event["UID"]: event for event in events(body)}
    report = cycle.reports.get(organization=tree.branch)
    assert set(found) == {
        f"item-{item.pk}-{DUE.isoformat()}@deadlines.partybuilding",
        f"report-{report.pk}@deadlines.partybuilding",
        f"task-{task.pk}-{task.deadline.isoformat()}@deadlines.partybuilding",
    }
    item_event = found[f"item-{item.pk}-{DUE.isoformat()}@deadlines.partybuilding"]
    assert item_event["SUMMARY"] == "责任清单事项「主体责任\\, 按季\\; 研究」截止"
    assert item_event["DTSTART;VALUE=DATE"] == DUE.strftime("%Y%m%d")
    assert item_event["DTEND;VALUE=DATE"] == (DUE + timedelta(days=1)).strftime("%Y%m%d")
    assert item_event["URL"] == "http://testserver" + reverse("item_detail", args=[item.pk])
    assert item_event["DESCRIPTION"].startswith("党组织：一村党支部\\nhttp://testserver/")
    task_event = found[f"task-{task.pk}-{task.deadline.isoformat()}@deadlines.partybuilding"]
    assert task_event["SUMMARY"] == "整改任务「规范“三会一课”记录」截止"
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_the_uids_stay_the_same_from_one_fetch_to_the_next(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    once_item(branch_list_for(tree, people), people.branch_secretary)
    url = feed_url(people.branch_secretary)
    first = [event["UID"] for event in events(client.get(url).content.decode())]
    second = [event["UID"] for event in events(client.get(url).content.decode())]
    assert first == second
    assert len(first) == 1


def test_the_feed_leaves_out_far_off_closed_and_other_peoples_deadlines(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    far = rectification_task(tree, people, responsible=people.branch_secretary, deadline=TODAY + timedelta(days=400))
    done = rectification_task(tree, people, responsible=people.branch_secretary, deadline=TODAY + timedelta(days=9))
    RectificationTask.objects.filter(pk=done.pk).update(status=RectificationTask.Status.ACCEPTED)
    rectification_task(tree, people, responsible=people.branch_deputy, deadline=TODAY + timedelta(days=9))
    assert far.pk
    assert summaries(client, feed_url(people.branch_secretary)) == []
    assert summaries(client, feed_url(people.branch_deputy)) == ["整改任务「规范“三会一课”记录」截止"]


def test_an_overdue_task_joins_the_secretarys_and_the_committees_feeds_once_escalated(
    client: Client, tree: Tree, people: SimpleNamespace, general_leaders: SimpleNamespace
) -> None:
    task = rectification_task(tree, people, responsible=people.branch_deputy, deadline=TODAY + timedelta(days=9))
    secretary_feed = feed_url(people.branch_secretary)
    committee_feed = feed_url(general_leaders.member)
    member_feed = feed_url(general_leaders.party_member)

    RectificationTask.objects.filter(pk=task.pk).update(deadline=TODAY - timedelta(days=3))
    assert summaries(client, secretary_feed) == []
    assert summaries(client, committee_feed) == []

    RectificationTask.objects.filter(pk=task.pk).update(deadline=TODAY - timedelta(days=7))
    assert len(summaries(client, secretary_feed)) == 1
    assert summaries(client, committee_feed) == []

    RectificationTask.objects.filter(pk=task.pk).update(deadline=TODAY - timedelta(days=14))
    assert len(summaries(client, committee_feed)) == 1
    assert summaries(client, member_feed) == []


def test_a_reviewer_sees_scoring_and_the_committee_sees_the_ballot_closing(
    client: Client, tree: Tree, people: SimpleNamespace, cycle: Cycle
) -> None:
    Cycle.objects.filter(pk=cycle.pk).update(ballot_closes=TODAY + timedelta(days=5))
    submitted(cycle.reports.get(organization=tree.branch), people.branch_secretary)
    assert sorted(summaries(client, feed_url(people.committee_member))) == [
        "民主测评「村党支部书记述职评议」截止",
        "述职评分「一村党支部」截止",
    ]
    assert summaries(client, feed_url(people.committee_staff)) == ["民主测评「村党支部书记述职评议」截止"]


def test_the_feed_costs_the_same_queries_for_one_deadline_or_many(
    client: Client, tree: Tree, people: SimpleNamespace, cycle: Cycle
) -> None:
    url = feed_url(people.branch_secretary)
    responsibility_list = branch_list_for(tree, people)
    once_item(responsibility_list, people.branch_secretary, duty_type=DutyType.ORGANIZATION)
    rectification_task(tree, people, responsible=people.branch_secretary, deadline=TODAY + timedelta(days=9))
    with CaptureQueriesContext(connection) as few:
        assert len(events(client.get(url).content.decode())) == 3

    for n in range(8):
        once_item(responsibility_list, people.branch_secretary, duty_type=DutyType.ORGANIZATION, content=f"事项{n}")
        rectification_task(tree, people, responsible=people.branch_secretary, deadline=TODAY + timedelta(days=n))
    with CaptureQueriesContext(connection) as many:
        assert len(events(client.get(url).content.decode())) == 19
    assert len(many) == len(few)


# The serializer ---------------------------------------------------------------------------------------


def test_text_values_escape_backslash_semicolon_comma_and_newline() -> None:
    assert escape("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


@pytest.mark.parametrize("text", ["SUMMARY:" + "整改" * 60, "DESCRIPTION:" + "a" * 200, "X:" + "ab整" * 40, "SHORT:ok"])
def test_long_lines_fold_at_75_octets_without_splitting_a_character(text: str) -> None:
    folded = fold(text)
    pieces = folded.split("\r\n")
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert folded.replace("\r\n ", "") == text
