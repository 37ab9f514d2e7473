"""Notifications: written in the transaction of their cause, delivered after commit (the outbox).

`notify` writes the in-app message and one `Delivery` row per outside channel the person wants
(email; the group robots of the organizations they lead) in the caller's transaction, and queues
`deliver_pending` once that transaction commits. A rollback leaves nothing and sends nothing; a
broker or mail outage only delays delivery: the rows stay pending until a worker, the periodic
drain or `manage.py deliver_notifications` sends them.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    Delivery,
    Notification,
    NotificationPreference,
    Organization,
    Position,
    User,
    WebhookEndpoint,
)
from accounts.permissions import scope_for
from foundation.bulk import db_value, insert_rows
from foundation.errors import DomainError
from foundation.queue import queue_or_leave

logger = logging.getLogger("notifications")

BATCH_SIZE = 50
# Minutes to wait after the 1st, 2nd, … failure; the last step repeats until the attempts run out.
BACKOFF_MINUTES = (1, 5, 30, 120, 360)
# A claimed batch is invisible to other workers this long; it must outlast sending a whole batch
# (BATCH_SIZE × NOTIFICATION_WEBHOOK_TIMEOUT at worst), or a second worker could send it again.
CLAIM_LEASE = timedelta(minutes=15)
ERROR_MAX_CHARS = 1000
HTTPS_PORT = 443
# A mail relay that never answers would otherwise hold the batch past its lease (Django waits forever).
MAIL_TIMEOUT_SECONDS = 30
# Those who keep an organization's work hear from its group robots; plain members do not.
LEADING_ROLES = [role for role in Position.Role.values if role != Position.Role.MEMBER]


class DeliveryError(Exception):
    """A channel refused or could not take the message; the delivery is retried later."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (the robot was removed): the delivery fails at once."""


# Writing ---------------------------------------------------------------------------------------


def notify(*, recipient: User, kind: str, title: str, body: str = "", url: str = "") -> Notification:
    """Writes a notification and its outside deliveries in the current transaction; sends after commit."""
    draft = Draft(recipient=recipient, kind=kind, title=title, body=body, url=url)
    now = timezone.now()
    [pk] = notify_many([draft], at=now)
    return Notification(
        pk=pk, recipient=recipient, kind=kind, title=draft.stored_title, body=body, url=url, created_at=now
    )


@dataclass(frozen=True)
class Draft:
    """One notification to write with notify_many."""

    recipient: User
    kind: str
    title: str
    body: str = ""
    url: str = ""

    @property
    def stored_title(self) -> str:
        return " ".join(self.title.split())[:200]


@transaction.atomic
def notify_many(drafts: Sequence[Draft], *, at: datetime | None = None) -> list[int]:
    """notify for many at once: the same rows in a constant number of queries, one delivery run after commit.

    Returns the new notifications' ids in the drafts' order. The reminder sweep writes hundreds of
    thousands of notifications at province scale: one query per row (and one queued task per row)
    made it take most of an hour, and Django's bulk_create a third of the rest.
    """
    if not drafts:
        return []
    created_at = db_value(Notification, "created_at", at or timezone.now())
    ids = [
        pk
        for (pk,) in insert_rows(
            Notification,
            ["recipient_id", "kind", "title", "body", "url", "created_at"],
            [
                (draft.recipient.pk, draft.kind, draft.stored_title, draft.body, draft.url, created_at)
                for draft in drafts
            ],
            returning=["id"],
        )
    ]
    targets = _delivery_targets_of([draft.recipient for draft in drafts])
    insert_rows(
        Delivery,
        ["notification_id", "channel", "target", "status", "attempts", "last_error"],
        [
            (pk, channel, target, Delivery.Status.PENDING.value, 0, "")
            for pk, draft in zip(ids, drafts, strict=True)
            for channel, target in targets.get(draft.recipient.pk, [])
        ],
    )
    transaction.on_commit(_queue_delivery)
    return ids


def _delivery_targets_of(recipients: Sequence[User]) -> dict[int, list[tuple[str, str]]]:
    """(channel, address) pairs per person for the channels each wants: two queries whatever their number."""
    ids = {recipient.pk for recipient in recipients}
    preferences = {
        preference.person_id: preference for preference in NotificationPreference.objects.filter(person_id__in=ids)
    }
    webhooks: dict[int, set[str]] = defaultdict(set)
    rows = WebhookEndpoint.objects.filter(
        is_active=True,
        organization__is_active=True,
        organization__positions__person_id__in=ids,
        organization__positions__is_current=True,
        organization__positions__role__in=LEADING_ROLES,
    ).values_list("organization__positions__person_id", "url")
    for person_id, url in rows:
        webhooks[person_id].add(url)
    targets: dict[int, list[tuple[str, str]]] = {}
    for recipient in {recipient.pk: recipient for recipient in recipients}.values():
        preference = preferences.get(recipient.pk)
        mine: list[tuple[str, str]] = []
        if (preference.by_email if preference else True) and recipient.email:
            mine.append((Delivery.Channel.EMAIL, recipient.email))
        if preference.by_webhook if preference else True:
            mine.extend((Delivery.Channel.WEBHOOK, url) for url in sorted(webhooks[recipient.pk]))
        targets[recipient.pk] = mine
    return targets


def _queue_delivery() -> None:
    # With the broker down the deliveries stay committed and pending: the periodic drain or
    # `manage.py deliver_notifications` sends them later.
    queue_or_leave(
        "accounts.deliver_notifications",
        logger=logger,
        message="Could not queue notification delivery; the outbox keeps it pending.",
    )


# Delivering ------------------------------------------------------------------------------------


@dataclass
class DeliveryCounts:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed

    def add(self, other: DeliveryCounts) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed


def deliver_pending(limit: int = 200) -> int:
    """Sends up to `limit` due deliveries in batches; returns how many were sent. Safe to run twice at once."""
    return deliver(limit=limit).sent


def deliver(*, limit: int = 200, batch_size: int = BATCH_SIZE) -> DeliveryCounts:
    """Sends up to `limit` due deliveries, a constant number of queries per batch; failures never stop it."""
    counts = DeliveryCounts()
    while counts.handled < limit:
        batch, lease = _claim(min(batch_size, limit - counts.handled))
        if not batch:
            break
        counts.add(_send_batch(batch, lease))
    return counts


def _due(now: datetime) -> Q:
    return Q(status=Delivery.Status.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def _claim(size: int) -> tuple[list[Delivery], datetime]:
    """Leases due deliveries to this worker by moving their next attempt past the lease: three queries.

    The lease time is this claim's token: only rows still pending with exactly that time are ours,
    whatever another worker did meanwhile.
    """
    now = timezone.now()
    lease = now + CLAIM_LEASE
    with transaction.atomic():
        # Other workers skip the rows locked here instead of waiting (PostgreSQL; SQLite serializes).
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            return [], lease
        Delivery.objects.filter(_due(now), id__in=ids).update(next_attempt_at=lease)
    claimed = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at=lease, id__in=ids)
        .select_related("notification__recipient")
        .order_by("id")
    )
    return claimed, lease


def _send_batch(batch: list[Delivery], lease: datetime) -> DeliveryCounts:
    webhook_urls = {delivery.target for delivery in batch if delivery.channel == Delivery.Channel.WEBHOOK}
    endpoint_kinds = (
        dict(WebhookEndpoint.objects.filter(url__in=webhook_urls, is_active=True).values_list("url", "kind"))
        if webhook_urls
        else {}
    )
    sent: list[int] = []
    failures: list[Delivery] = []
    for delivery in batch:
        try:
            if delivery.channel == Delivery.Channel.EMAIL:
                _send_email(delivery)
            elif delivery.channel == Delivery.Channel.WEBHOOK:
                _send_webhook(delivery, endpoint_kinds.get(delivery.target))
            else:
                raise PermanentDeliveryError(f"unknown channel {delivery.channel!r}")
        except Exception as error:  # one bad delivery must never stop the batch
            _record_failure(delivery, error)
            failures.append(delivery)
        else:
            sent.append(delivery.pk)

    now = timezone.now()
    mine = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at=lease)
    counts = DeliveryCounts()
    if sent:
        # Guarded: a row whose lease was taken over by another worker is not ours to mark.
        counts.sent = mine.filter(id__in=sent).update(
            status=Delivery.Status.SENT,
            sent_at=now,
            attempts=F("attempts") + 1,
            next_attempt_at=None,
            last_error="",
        )
    if failures:
        mine.bulk_update(failures, ["status", "attempts", "next_attempt_at", "last_error"], batch_size=BATCH_SIZE)
        counts.failed = sum(1 for delivery in failures if delivery.status == Delivery.Status.FAILED)
        counts.retrying = len(failures) - counts.failed
    return counts


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure."""
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def _record_failure(delivery: Delivery, error: Exception) -> None:
    delivery.attempts += 1
    delivery.last_error = f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS]
    gives_up = isinstance(error, PermanentDeliveryError) or delivery.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
    if gives_up:
        delivery.status = Delivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
    # The webhook address carries its secret key: log the host only.
    logger.warning(
        "Delivery %s (%s to %s) failed, attempt %s: %s%s",
        delivery.pk,
        delivery.channel,
        _loggable_target(delivery),
        delivery.attempts,
        delivery.last_error,
        "; giving up" if gives_up else f"; next attempt at {delivery.next_attempt_at:%Y-%m-%d %H:%M}",
    )


def _loggable_target(delivery: Delivery) -> str:
    if delivery.channel == Delivery.Channel.WEBHOOK:
        return urlsplit(delivery.target).hostname or "?"
    return delivery.target


def _message_context(notification: Notification) -> dict[str, Any]:
    return {
        "notification": notification,
        "recipient": notification.recipient,
        "link": absolute_url(reverse("notification_open", args=[notification.pk])),
        "site_title": settings.SITE_TITLE,
    }


def absolute_url(path: str) -> str:
    """A link for mail and group robots, which have no request to take the host from."""
    return settings.SITE_URL.rstrip("/") + path


def _send_email(delivery: Delivery) -> None:
    notification = delivery.notification
    context = _message_context(notification)
    message = EmailMultiAlternatives(
        subject=_("【党建提醒】%(title)s") % {"title": notification.title},
        body=render_to_string("notifications/email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.target],
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT or MAIL_TIMEOUT_SECONDS),
    )
    message.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    if message.send() != 1:
        raise DeliveryError("the mail backend accepted no message")


def webhook_payload(kind: str, notification: Notification) -> dict[str, Any]:
    """The group robot's markdown message: WeCom and DingTalk name the fields differently."""
    text = render_to_string("notifications/webhook.txt", _message_context(notification)).strip()
    if kind == WebhookEndpoint.Kind.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if kind == WebhookEndpoint.Kind.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": notification.title, "text": text}}
    raise PermanentDeliveryError(f"unknown robot kind {kind!r}")


def webhook_address_problem(url: str) -> str | None:
    """Why the server must not post to URL, or None. Robots post only over https to a host of
    NOTIFICATION_WEBHOOK_HOSTS on port 443, or on the port its entry names ("relay.intranet:8443"),
    so a manager cannot aim the server at another address or service. Checked when a robot is
    saved and again before every post."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is no number or out of range
        return _("群机器人地址格式不正确。")
    if parts.scheme != "https" or not parts.hostname:
        return _("群机器人地址必须以 https:// 开头。")
    if parts.username is not None or parts.password is not None:
        return _("群机器人地址不能包含用户名或密码。")
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    allowed = settings.NOTIFICATION_WEBHOOK_HOSTS
    if port in (None, HTTPS_PORT):
        if host in allowed:
            return None
    elif f"{host}:{port}" in allowed:
        return None
    elif host in allowed or any(entry.startswith(f"{host}:") for entry in allowed):
        return _("群机器人地址不能使用 %(port)s 端口，请使用企业微信或钉钉给出的原地址。") % {"port": port}
    return _("群机器人地址的主机不在允许范围内（%(hosts)s）。") % {"hosts": "、".join(allowed)}


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Leaves a redirect unfollowed: urllib then raises it as an HTTPError."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# The robots' APIs answer where they are asked, so a redirect is refused rather than followed: its
# target was never checked, and following it would aim the server at any host and port. Proxies from
# the environment still apply (an intranet may reach the robots only through one).
ROBOT_OPENER = urllib.request.build_opener(_RefuseRedirects)


def _send_webhook(delivery: Delivery, kind: str | None) -> None:
    if kind is None:
        raise PermanentDeliveryError("该群机器人已删除或停用")
    problem = webhook_address_problem(delivery.target)
    if problem is not None:
        raise PermanentDeliveryError(problem)
    payload = json.dumps(webhook_payload(kind, delivery.notification), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        delivery.target,
        data=payload,
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with ROBOT_OPENER.open(request, timeout=settings.NOTIFICATION_WEBHOOK_TIMEOUT) as response:
            answer = response.read(64 * 1024)
    except urllib.error.HTTPError as refused:
        refused.close()
        if 300 <= refused.code < 400:
            # Retrying cannot help: the address itself sends us elsewhere. Only the host is named, as in the log.
            elsewhere = urlsplit(urljoin(delivery.target, refused.headers.get("Location", ""))).hostname or "?"
            raise PermanentDeliveryError(
                f"群机器人地址返回重定向（HTTP {refused.code}，指向 {elsewhere}），未跟随"
            ) from None
        raise
    # Both robots answer HTTP 200 with {"errcode": 0, …}; anything else is a refusal.
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        return
    if isinstance(data, dict) and data.get("errcode", 0) != 0:
        raise DeliveryError(f"errcode {data.get('errcode')}: {data.get('errmsg', '')}")


# The notification centre -----------------------------------------------------------------------


def notifications_for(person: User) -> QuerySet[Notification]:
    """The person's notifications, unread first, then newest first."""
    return (
        Notification.objects.filter(recipient=person)
        .annotate(
            is_read=Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("is_read", "-created_at", "-id")
    )


def unread_count(person: User) -> int:
    """One indexed count for the header."""
    return Notification.objects.filter(recipient=person, read_at__isnull=True).count()


def notification_read(*, notification: Notification) -> None:
    """Marks one notification read; reading it again keeps the first time."""
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now


def notifications_read_all(*, person: User) -> int:
    """Marks every unread notification of the person read; returns how many."""
    return Notification.objects.filter(recipient=person, read_at__isnull=True).update(read_at=timezone.now())


def preference_for(person: User) -> NotificationPreference:
    """The person's settings; unsaved defaults (every channel on) when they never chose."""
    preference = NotificationPreference.objects.filter(person=person).first()
    return preference or NotificationPreference(person=person)


@transaction.atomic
def preference_update(*, person: User, by_email: bool, by_webhook: bool) -> NotificationPreference:
    """Saves which outside channels the person wants."""
    preference, _created = NotificationPreference.objects.update_or_create(
        person=person, defaults={"by_email": by_email, "by_webhook": by_webhook}
    )
    return preference


@transaction.atomic
def calendar_token_regenerate(*, person: User) -> str:
    """A new secret for the person's calendar feed; the old address stops working."""
    token = NotificationPreference.new_calendar_token()
    NotificationPreference.objects.update_or_create(person=person, defaults={"calendar_token": token})
    return token


def robot_organizations(person: User) -> QuerySet[Organization]:
    """The organizations whose own work the person keeps, with their group robots: two queries."""
    return (
        Organization.objects.filter(path__in=sorted(scope_for(person).manage_paths), is_active=True)
        .prefetch_related(Prefetch("webhooks", queryset=WebhookEndpoint.objects.order_by("id")))
        .order_by("path")
    )


@transaction.atomic
def webhook_add(*, organization: Organization, kind: str, url: str) -> WebhookEndpoint:
    """Adds a group robot to an organization; only addresses the server may post to, each once."""
    problem = webhook_address_problem(url)
    if problem is not None:
        raise DomainError(problem)
    if kind not in WebhookEndpoint.Kind.values:
        raise DomainError(_("请选择群机器人类型。"))
    if WebhookEndpoint.objects.filter(organization=organization, url=url).exists():
        raise DomainError(_("该群机器人已经添加过了。"))
    return WebhookEndpoint.objects.create(organization=organization, kind=kind, url=url)


def webhook_remove(*, webhook: WebhookEndpoint) -> None:
    """Removes a group robot; its pending deliveries fail instead of going out."""
    webhook.delete()
