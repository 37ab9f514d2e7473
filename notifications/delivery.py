"""Delivering the outbox: mail and group robots, claimed in batches, retried with backoff.

A claimed batch is leased, so two workers never send the same delivery; a failure is retried after
BACKOFF_MINUTES until NOTIFICATION_MAX_ATTEMPTS, a permanent one (a refused address) at once.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.models import Delivery, Notification, WebhookEndpoint

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


class DeliveryError(Exception):
    """A channel refused or could not take the message; the delivery is retried later."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (the robot was removed): the delivery fails at once."""


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
    # In the recipient's language, whoever's request caused the notification.
    with translation.override(notification.recipient.language):
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
    # The group hears it in the language of the leader it was meant for.
    with translation.override(delivery.notification.recipient.language):
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
