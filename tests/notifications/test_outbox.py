"""Notifications: the outbox (written with its cause, sent after commit, retried, never twice) and the centre.

Why one long file: the cases follow one notification from its writing through delivery, retries and
the centre, and share the helpers and fixtures defined along the way.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from foundation.errors import DomainError
from notifications import delivery as notification_delivery
from notifications import services as notification_services
from notifications import tasks
from notifications.delivery import deliver, deliver_pending
from notifications.models import Delivery, Notification, NotificationPreference, WebhookEndpoint
from notifications.services import notify
from tests.clients import signed_in
from tests.conftest import Tree
from tests.factories import UserFactory

Status = Delivery.Status
Channel = Delivery.Channel
WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=branch-key"
DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=township-token"
BROKEN_URL = "https://robot.example.org/broken"


class FakeResponse:
    def __init__(self, body: bytes = b'{"errcode": 0, "errmsg": "ok"}') -> None:
        self.body = body

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self, size: int = -1) -> bytes:
        return self.body


class FakeRobots:
    """Stands in for the robots' opener (notifications.delivery.ROBOT_OPENER): records every post; BROKEN_URL
    never answers."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any], float]] = []

    def __call__(self, request: urllib.request.Request, timeout: float = 0) -> FakeResponse:
        url = request.full_url
        if url == BROKEN_URL:
            raise urllib.error.URLError("timed out")
        assert isinstance(request.data, bytes)
        self.posts.append((url, json.loads(request.data.decode("utf-8")), timeout))
        return FakeResponse()


@pytest.fixture(autouse=True)
def _test_robot_host(settings: Any) -> None:
    """The broken robot lives on a host of its own, allowed like an intranet relay would be."""
    settings.NOTIFICATION_WEBHOOK_HOSTS = [*settings.NOTIFICATION_WEBHOOK_HOSTS, "robot.example.org"]


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test here may reach a real robot: anything not faked explicitly fails loudly."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr(notification_delivery.ROBOT_OPENER, "open", refuse)


@pytest.fixture
def robots(monkeypatch: pytest.MonkeyPatch) -> FakeRobots:
    fake = FakeRobots()
    monkeypatch.setattr(notification_delivery.ROBOT_OPENER, "open", fake)
    return fake


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[], Any]:
    """Runs what was queued for after commit, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def remind(person: Any, title: str = "清单条目即将到期", url: str = "/my/list/") -> Notification:
    """A notification whose title reads 整改任务被退回：<title>."""
    return notify(
        recipient=person, kind="reminder", key="task_returned", params={"title": title, "reason": "记实不全。"}, url=url
    )


def make_due() -> None:
    """Time passes: the backoff of every pending delivery is over."""
    Delivery.objects.filter(status=Status.PENDING).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


# Writing: the outbox ---------------------------------------------------------------------------


def test_a_rolled_back_notification_leaves_nothing_and_sends_nothing(
    people: SimpleNamespace, on_commit: Callable[[], Any], robots: FakeRobots
) -> None:
    def cause_that_fails() -> None:
        with transaction.atomic():
            remind(people.branch_secretary)
            raise RuntimeError("the cause failed")

    with on_commit() as callbacks, pytest.raises(RuntimeError):
        cause_that_fails()
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()
    assert mail.outbox == []
    assert robots.posts == []


def test_after_commit_the_task_delivers_the_email_once(people: SimpleNamespace, on_commit: Callable[[], Any]) -> None:
    with on_commit():
        notification = remind(people.branch_member)
    assert len(mail.outbox) == 1
    delivery = Delivery.objects.get(notification=notification)
    assert delivery.status == Status.SENT
    assert delivery.attempts == 1
    assert delivery.sent_at is not None

    assert deliver_pending() == 0
    call_command("deliver_notifications", stdout=StringIO())
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_commit_sends_the_email_after_the_transaction_and_not_before() -> None:
    person = UserFactory(email="zhang@example.org")
    with transaction.atomic():
        remind(person)
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    assert Delivery.objects.get().status == Status.SENT


def test_the_email_is_chinese_with_text_html_and_an_absolute_link(
    people: SimpleNamespace, on_commit: Callable[[], Any], settings: Any
) -> None:
    settings.SITE_URL = "https://dj.example.gov.cn/"
    with on_commit():
        notification = remind(people.branch_member, title="述职报告将于 3 天后截止")
    message = mail.outbox[0]
    link = f"https://dj.example.gov.cn/notifications/{notification.pk}/"
    assert message.subject == "【党建提醒】整改任务被退回：述职报告将于 3 天后截止"
    assert message.to == [people.branch_member.email]
    assert "您好" in message.body
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html
    assert "述职报告将于 3 天后截止" in html


def test_a_person_who_turned_email_off_or_has_no_address_gets_no_email_delivery(
    people: SimpleNamespace, on_commit: Callable[[], Any]
) -> None:
    NotificationPreference.objects.create(person=people.branch_member, by_email=False)
    people.branch_deputy.email = ""
    people.branch_deputy.save()
    with on_commit():
        quiet = remind(people.branch_member)
        no_address = remind(people.branch_deputy)
    assert not Delivery.objects.filter(notification__in=[quiet, no_address]).exists()
    assert mail.outbox == []
    assert Notification.objects.filter(read_at__isnull=True).count() == 2


def test_group_robots_of_the_organizations_one_leads_get_the_message(
    tree: Tree, people: SimpleNamespace, on_commit: Callable[[], Any], robots: FakeRobots, settings: Any
) -> None:
    settings.NOTIFICATION_WEBHOOK_TIMEOUT = 4.5
    WebhookEndpoint.objects.create(organization=tree.branch, kind=WebhookEndpoint.Kind.WECOM, url=WECOM_URL)
    WebhookEndpoint.objects.create(organization=tree.township, kind=WebhookEndpoint.Kind.DINGTALK, url=DINGTALK_URL)
    WebhookEndpoint.objects.create(
        organization=tree.branch, kind=WebhookEndpoint.Kind.WECOM, url=BROKEN_URL, is_active=False
    )
    with on_commit():
        remind(people.branch_secretary, title="清单条目将于 1 天后到期")
        remind(people.branch_member)  # a plain member: the branch's robot is not for them
        remind(people.committee_secretary, title="评分将于 7 天后截止")

    assert sorted(url for url, _payload, _timeout in robots.posts) == [DINGTALK_URL, WECOM_URL]
    payloads = {url: payload for url, payload, _timeout in robots.posts}
    wecom = payloads[WECOM_URL]
    assert wecom["msgtype"] == "markdown"
    assert "清单条目将于 1 天后到期" in wecom["markdown"]["content"]
    assert "branch_secretary" in wecom["markdown"]["content"]
    dingtalk = payloads[DINGTALK_URL]
    assert dingtalk["msgtype"] == "markdown"
    assert dingtalk["markdown"]["title"] == "整改任务被退回：评分将于 7 天后截止"
    assert "/notifications/" in dingtalk["markdown"]["text"]
    assert {timeout for _url, _payload, timeout in robots.posts} == {4.5}


def test_a_person_who_turned_robots_off_gets_no_robot_delivery(
    tree: Tree, people: SimpleNamespace, on_commit: Callable[[], Any], robots: FakeRobots
) -> None:
    WebhookEndpoint.objects.create(organization=tree.branch, kind=WebhookEndpoint.Kind.WECOM, url=WECOM_URL)
    NotificationPreference.objects.create(person=people.branch_secretary, by_webhook=False)
    with on_commit():
        remind(people.branch_secretary)
    assert robots.posts == []
    assert list(Delivery.objects.values_list("channel", flat=True)) == [Channel.EMAIL]


# Delivering: retries, failures, outages --------------------------------------------------------


def test_a_failing_robot_is_retried_with_backoff_then_given_up_while_the_rest_goes_out(
    tree: Tree,
    people: SimpleNamespace,
    on_commit: Callable[[], Any],
    robots: FakeRobots,
    caplog: pytest.LogCaptureFixture,
) -> None:
    WebhookEndpoint.objects.create(organization=tree.branch, kind=WebhookEndpoint.Kind.WECOM, url=BROKEN_URL)
    WebhookEndpoint.objects.create(organization=tree.branch, kind=WebhookEndpoint.Kind.WECOM, url=WECOM_URL)
    with caplog.at_level(logging.WARNING, logger="notifications"), on_commit():
        remind(people.branch_secretary)

    assert len(mail.outbox) == 1
    assert [url for url, _payload, _timeout in robots.posts] == [WECOM_URL]
    broken = Delivery.objects.get(target=BROKEN_URL)
    assert broken.status == Status.PENDING
    assert broken.attempts == 1
    assert "timed out" in broken.last_error
    assert broken.next_attempt_at is not None
    assert timedelta(seconds=50) < broken.next_attempt_at - timezone.now() <= timedelta(minutes=1)
    assert "robot.example.org" in caplog.text
    assert "/broken" not in caplog.text  # the address's secret part stays out of the log

    assert deliver_pending() == 0  # not due yet
    assert Delivery.objects.get(pk=broken.pk).attempts == 1

    waits = []
    for _attempt in range(2, 7):
        make_due()
        before = timezone.now()
        deliver_pending()
        broken.refresh_from_db()
        if broken.next_attempt_at is not None:
            waits.append(round((broken.next_attempt_at - before).total_seconds() / 60))
    assert waits == [5, 30, 120, 360]
    assert broken.status == Status.FAILED
    assert broken.attempts == 6
    assert "giving up" in caplog.text
    make_due()
    assert deliver(limit=100).handled == 0
    assert len(mail.outbox) == 1
    assert len(robots.posts) == 1


def test_max_attempts_comes_from_the_settings(
    tree: Tree, people: SimpleNamespace, on_commit: Callable[[], Any], robots: FakeRobots, settings: Any
) -> None:
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    WebhookEndpoint.objects.create(organization=tree.branch, kind=WebhookEndpoint.Kind.WECOM, url=BROKEN_URL)
    with on_commit():
        remind(people.branch_secretary)
    make_due()
    counts = deliver()
    assert (counts.sent, counts.retrying, counts.failed) == (0, 0, 1)
    assert Delivery.objects.get(target=BROKEN_URL).status == Status.FAILED


def test_a_robot_that_answers_with_an_error_code_is_a_failure(
    tree: Tree, people: SimpleNamespace, on_commit: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    WebhookEndpoint.objects.create(organization=tree.branch, kind=WebhookEndpoint.Kind.WECOM, url=WECOM_URL)
    monkeypatch.setattr(
        notification_delivery.ROBOT_OPENER,
        "open",
        lambda *args, **kwargs: FakeResponse(b'{"errcode": 93000, "errmsg": "invalid key"}'),
    )
    with on_commit():
        remind(people.branch_secretary)
    robot = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert robot.status == Status.PENDING
    assert "93000" in robot.last_error


def test_a_removed_robot_is_not_posted_to_and_its_delivery_fails_at_once(
    tree: Tree, people: SimpleNamespace, robots: FakeRobots, django_capture_on_commit_callbacks: Any
) -> None:
    robot = WebhookEndpoint.objects.create(organization=tree.branch, kind=WebhookEndpoint.Kind.WECOM, url=WECOM_URL)
    with django_capture_on_commit_callbacks(execute=False):
        remind(people.branch_secretary)
    notification_services.webhook_remove(webhook=robot, by=UserFactory(is_superuser=True))
    deliver_pending()
    assert robots.posts == []
    assert Delivery.objects.get(channel=Channel.WEBHOOK).status == Status.FAILED


def test_a_broker_outage_loses_nothing_and_the_command_sends_it_later(
    people: SimpleNamespace, on_commit: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_pending, "delay", broker_down)
    with on_commit():
        notification = remind(people.branch_member)  # the cause still succeeds
    assert mail.outbox == []
    assert Delivery.objects.get(notification=notification).status == Status.PENDING

    output = StringIO()
    call_command("deliver_notifications", stdout=output)
    assert len(mail.outbox) == 1
    assert "已发送 1 条" in output.getvalue()
    assert Delivery.objects.get(notification=notification).status == Status.SENT
    call_command("deliver_notifications", stdout=StringIO())
    assert len(mail.outbox) == 1


def test_a_delivery_leased_by_another_worker_or_already_sent_is_left_alone(
    people: SimpleNamespace, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        leased = remind(people.branch_member)
        sent = remind(people.branch_deputy)
    Delivery.objects.filter(notification=leased).update(next_attempt_at=timezone.now() + timedelta(minutes=10))
    Delivery.objects.filter(notification=sent).update(status=Status.SENT, next_attempt_at=None)
    assert deliver_pending() == 0
    assert mail.outbox == []


def test_the_celery_task_drains_the_outbox(people: SimpleNamespace, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        remind(people.branch_member)
    assert tasks.deliver_pending.delay().get(timeout=5) == 1
    assert len(mail.outbox) == 1


def _pending_mail(count: int, start: int) -> None:
    for index in range(start, start + count):
        person = UserFactory(username=f"reader{index}", email=f"reader{index}@example.org")
        notification = Notification.objects.create(recipient=person, kind="reminder", stored_title=f"提醒 {index}")
        Delivery.objects.create(notification=notification, channel=Channel.EMAIL, target=person.email)


def test_a_batch_costs_the_same_queries_for_few_or_many_deliveries(
    tree: Tree, people: SimpleNamespace, robots: FakeRobots
) -> None:
    robot_notification = Notification.objects.create(
        recipient=people.branch_secretary, kind="reminder", stored_title="甲"
    )
    WebhookEndpoint.objects.create(organization=tree.branch, kind=WebhookEndpoint.Kind.WECOM, url=WECOM_URL)
    Delivery.objects.create(notification=robot_notification, channel=Channel.WEBHOOK, target=WECOM_URL)
    _pending_mail(2, 0)
    with CaptureQueriesContext(connection) as small:
        assert deliver(limit=100).sent == 3

    robot_notification = Notification.objects.create(
        recipient=people.branch_secretary, kind="reminder", stored_title="乙"
    )
    Delivery.objects.create(notification=robot_notification, channel=Channel.WEBHOOK, target=WECOM_URL)
    _pending_mail(30, 100)
    with CaptureQueriesContext(connection) as large:
        assert deliver(limit=100).sent == 31
    assert len(large.captured_queries) == len(small.captured_queries)


# The notification centre -----------------------------------------------------------------------


def _silent(person: Any, count: int, **fields: Any) -> list[Notification]:
    return Notification.objects.bulk_create(
        Notification(recipient=person, kind="reminder", stored_title=f"提醒第 {index} 条", **fields)
        for index in range(count)
    )


def test_the_centre_lists_only_ones_own_notifications_unread_first(client: Client, people: SimpleNamespace) -> None:
    older_unread = Notification.objects.create(recipient=people.branch_member, kind="r", stored_title="较早的未读提醒")
    Notification.objects.create(
        recipient=people.branch_member, kind="r", stored_title="已读提醒", read_at=timezone.now()
    )
    Notification.objects.create(recipient=people.branch_secretary, kind="r", stored_title="别人的提醒")
    response = signed_in(people.branch_member, client).get(reverse("notifications"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "别人的提醒" not in body
    assert body.index("较早的未读提醒") < body.index("已读提醒")
    assert f'class="notice unread" data-notification="{older_unread.pk}"' in body


def test_the_header_shows_the_unread_count_on_every_page(client: Client, people: SimpleNamespace) -> None:
    _silent(people.branch_member, 3)
    _silent(people.branch_member, 2, read_at=timezone.now())
    body = signed_in(people.branch_member, client).get(reverse("home")).content.decode()
    assert 'class="badge" aria-label="3 条未读">3</span>' in body


def test_no_badge_without_unread_notifications(client: Client, people: SimpleNamespace) -> None:
    body = signed_in(people.branch_member, client).get(reverse("home")).content.decode()
    assert reverse("notifications") in body
    assert 'class="badge"' not in body


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client: Client, people: SimpleNamespace) -> None:
    notification = Notification.objects.create(
        recipient=people.branch_member, kind="r", stored_title="提醒", url="/my/list/"
    )
    response = signed_in(people.branch_member, client).get(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/my/list/"
    notification.refresh_from_db()
    first_read = notification.read_at
    assert first_read is not None
    client.get(reverse("notification_open", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_another_persons_notification_is_not_found_and_stays_unread(client: Client, people: SimpleNamespace) -> None:
    notification = Notification.objects.create(recipient=people.branch_secretary, kind="r", stored_title="提醒")
    for intruder in (people.branch_member, people.committee_secretary, people.admin, people.outsider):
        response = signed_in(intruder, client).get(reverse("notification_open", args=[notification.pk]))
        assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_link_to_another_site_is_not_followed(client: Client, people: SimpleNamespace) -> None:
    notification = Notification.objects.create(
        recipient=people.branch_member, kind="r", stored_title="提醒", url="https://evil.example.com/"
    )
    response = signed_in(people.branch_member, client).get(reverse("notification_open", args=[notification.pk]))
    assert response["Location"] == reverse("notifications")


def test_the_centre_needs_sign_in(client: Client, db: None) -> None:
    for name in ("notifications", "notification_settings"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_mark_all_read_touches_only_ones_own_and_needs_post(client: Client, people: SimpleNamespace) -> None:
    _silent(people.branch_member, 4)
    _silent(people.branch_secretary, 2)
    signed_in(people.branch_member, client)
    assert client.get(reverse("notifications_read_all")).status_code == 405
    response = client.post(reverse("notifications_read_all"), follow=True)
    assert "已将 4 条消息标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=people.branch_member, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=people.branch_secretary, read_at__isnull=True).count() == 2


def test_the_centre_costs_the_same_queries_for_few_or_many_notifications(
    client: Client, people: SimpleNamespace
) -> None:
    signed_in(people.branch_member, client)
    _silent(people.branch_member, 3)
    client.get(reverse("notifications"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("notifications"))
    _silent(people.branch_member, 60)
    _silent(people.branch_member, 20, read_at=timezone.now())
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("notifications"))
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(response.context["items"]) == 20
    assert "第 1 页，共 5 页" in response.content.decode()


# Settings --------------------------------------------------------------------------------------


def test_channel_toggles_are_saved(client: Client, people: SimpleNamespace) -> None:
    signed_in(people.branch_member, client)
    page = client.get(reverse("notification_settings")).content.decode()
    assert 'name="by_email"' in page
    response = client.post(reverse("notification_settings"), {"action": "preferences", "by_webhook": "on"})
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(person=people.branch_member)
    assert (preference.by_email, preference.by_webhook) == (False, True)
    client.post(reverse("notification_settings"), {"action": "preferences", "by_email": "on"})
    preference.refresh_from_db()
    assert (preference.by_email, preference.by_webhook) == (True, False)


def test_regenerating_the_calendar_address_replaces_the_secret(client: Client, people: SimpleNamespace) -> None:
    signed_in(people.branch_member, client)
    client.post(reverse("notification_settings"), {"action": "calendar"})
    first = NotificationPreference.objects.get(person=people.branch_member).calendar_token
    client.post(reverse("notification_settings"), {"action": "calendar"})
    second = NotificationPreference.objects.get(person=people.branch_member).calendar_token
    assert len(first) >= 40
    assert second != first
    page = client.get(reverse("notification_settings")).content.decode()
    try:
        feed = reverse("calendar_feed", args=[second])
    except NoReverseMatch:
        assert "日历订阅功能尚未开放" in page
    else:
        assert feed in page
    assert first not in page


def test_a_secretary_adds_and_removes_the_branch_robot(client: Client, tree: Tree, people: SimpleNamespace) -> None:
    signed_in(people.branch_secretary, client)
    page = client.get(reverse("notification_settings")).content.decode()
    assert f'data-organization="{tree.branch.pk}"' in page
    response = client.post(
        reverse("notification_settings"),
        {"action": "robot_add", "organization": tree.branch.pk, "kind": "wecom", "url": WECOM_URL},
        follow=True,
    )
    assert "已为一村党支部添加群机器人" in response.content.decode()
    robot = WebhookEndpoint.objects.get(organization=tree.branch)
    assert (robot.kind, robot.url) == ("wecom", WECOM_URL)

    again = client.post(
        reverse("notification_settings"),
        {"action": "robot_add", "organization": tree.branch.pk, "kind": "wecom", "url": WECOM_URL},
    )
    assert "该群机器人已经添加过了" in again.content.decode()
    assert WebhookEndpoint.objects.count() == 1

    client.post(reverse("notification_settings"), {"action": "robot_remove", "webhook": robot.pk})
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", "ftp://robot.example.org/"])
def test_a_robot_address_must_be_https(client: Client, tree: Tree, people: SimpleNamespace, url: str) -> None:
    signed_in(people.branch_secretary, client)
    response = client.post(
        reverse("notification_settings"),
        {"action": "robot_add", "organization": tree.branch.pk, "kind": "dingtalk", "url": url},
    )
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()
    body = response.content.decode()
    assert "https://" in body
    assert url.split("?")[0] in body  # what was typed is kept


def test_the_service_refuses_an_http_robot_too(tree: Tree) -> None:

    with pytest.raises(DomainError):
        notification_services.webhook_add(
            by=UserFactory(is_superuser=True), organization=tree.branch, kind="wecom", url="http://robot.example.org/"
        )


def test_only_those_who_keep_an_organizations_work_manage_its_robots(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    def add(person: Any, organization: Any) -> int:
        return (
            signed_in(person, client)
            .post(
                reverse("notification_settings"),
                {"action": "robot_add", "organization": organization.pk, "kind": "wecom", "url": WECOM_URL},
            )
            .status_code
        )

    assert add(people.branch_member, tree.branch) == 403  # a member sees the branch, keeps nothing
    assert add(people.committee_secretary, tree.branch) == 403  # supervises it, does not keep its work
    assert add(people.branch_secretary, tree.branch_sibling) == 404
    assert add(people.branch_secretary, tree.unrelated_branch) == 404
    assert add(people.outsider, tree.branch) == 404
    assert not WebhookEndpoint.objects.exists()

    robot = WebhookEndpoint.objects.create(organization=tree.branch, kind="wecom", url=WECOM_URL)
    for person, status in ((people.branch_member, 403), (people.committee_secretary, 403), (people.outsider, 404)):
        response = signed_in(person, client).post(
            reverse("notification_settings"), {"action": "robot_remove", "webhook": robot.pk}
        )
        assert response.status_code == status
    assert WebhookEndpoint.objects.filter(pk=robot.pk).exists()

    member_page = signed_in(people.branch_member, client).get(reverse("notification_settings")).content.decode()
    assert "添加群机器人" not in member_page
    committee_page = signed_in(people.committee_secretary, client).get(reverse("notification_settings"))
    assert [organization for organization, _form in committee_page.context["organizations"]] == [tree.township]


def test_the_settings_page_costs_the_same_queries_for_few_or_many_robots(
    client: Client, tree: Tree, people: SimpleNamespace
) -> None:
    signed_in(people.committee_secretary, client)
    WebhookEndpoint.objects.create(organization=tree.township, kind="wecom", url=WECOM_URL)
    client.get(reverse("notification_settings"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("notification_settings"))
    for index in range(8):
        WebhookEndpoint.objects.create(organization=tree.township, kind="dingtalk", url=f"{DINGTALK_URL}{index}")
    _silent(people.committee_secretary, 30)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("notification_settings"))
    assert len(large.captured_queries) == len(small.captured_queries)
    assert response.content.decode().count('name="webhook"') == 9


def test_a_robot_outside_the_allowed_hosts_is_refused_when_added_and_never_posted_to(tree: Tree, settings: Any) -> None:
    with pytest.raises(DomainError, match="不在允许范围内"):
        notification_services.webhook_add(
            by=UserFactory(is_superuser=True), organization=tree.branch, kind="wecom", url="https://10.0.0.5/internal"
        )
    assert not WebhookEndpoint.objects.filter(organization=tree.branch).exists()

    settings.NOTIFICATION_WEBHOOK_HOSTS = ["robot.intranet.gov.cn"]
    robot = notification_services.webhook_add(
        by=UserFactory(is_superuser=True),
        organization=tree.branch,
        kind="wecom",
        url="https://robot.intranet.gov.cn/send?key=k",
    )
    assert robot.pk


def test_many_notifications_are_written_in_a_constant_number_of_queries_with_each_ones_channels(
    tree: Tree, people: SimpleNamespace
) -> None:
    WebhookEndpoint.objects.create(organization=tree.branch, kind=WebhookEndpoint.Kind.WECOM, url=WECOM_URL)
    NotificationPreference.objects.create(person=people.committee_secretary, by_email=False)
    recipients = [people.branch_secretary, people.branch_member, people.committee_secretary]

    def write(count: int) -> tuple[int, list[int]]:
        drafts = [
            notification_services.Draft(
                recipient=recipients[n % 3],
                kind="reminder.item",
                key="task_created",
                params={"title": f"第 {n} 条"},
                url="/x/",
            )
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            written = notification_services.notify_many(drafts)
        return len(queries), written

    few, _written = write(3)
    many, written = write(30)
    assert many == few
    # The ids in the drafts' order, each row as drafted.
    stored = Notification.objects.in_bulk(written)
    assert [(stored[pk].title, stored[pk].recipient, stored[pk].url) for pk in written] == [
        (f"新的整改任务：第 {n} 条", recipients[n % 3], "/x/") for n in range(30)
    ]
    assert all(stored[pk].created_at and stored[pk].read_at is None for pk in written)
    channels = {
        (delivery.notification.recipient.username, delivery.channel)
        for delivery in Delivery.objects.filter(notification__in=written).select_related("notification__recipient")
    }
    # The branch secretary: e-mail and the branch's robot; a member: e-mail only; the committee
    # secretary turned e-mail off and leads no organization with a robot.
    assert channels == {
        ("branch_secretary", Delivery.Channel.EMAIL),
        ("branch_secretary", Delivery.Channel.WEBHOOK),
        ("branch_member", Delivery.Channel.EMAIL),
    }
    assert notification_services.notify_many([]) == []
