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
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Organization, Position, User
from foundation.bulk import db_value, insert_rows
from foundation.errors import DomainError
from foundation.queue import queue_or_leave
from notifications import messages
from notifications.delivery import webhook_address_problem
from notifications.models import Delivery, Notification, NotificationPreference, WebhookEndpoint

logger = logging.getLogger("notifications")

# Those who keep an organization's work hear from its group robots; plain members do not.
LEADING_ROLES = [role for role in Position.Role.values if role != Position.Role.MEMBER]


# Writing ---------------------------------------------------------------------------------------


def notify(
    *, recipient: User, kind: str, key: str, params: Mapping[str, Any] | None = None, url: str = ""
) -> Notification:
    """Writes a notification and its outside deliveries in the current transaction; sends after commit.

    `key` names its wording in notifications.messages; `params` are the raw values of its placeholders
    (names, ISO dates, numbers), rendered when read, in the reader's language.
    """
    draft = Draft(recipient=recipient, kind=kind, key=key, params=params or {}, url=url)
    now = timezone.now()
    [pk] = notify_many([draft], at=now)
    return Notification(
        pk=pk, recipient=recipient, kind=kind, message_key=key, params=draft.params, url=url, created_at=now
    )


@dataclass(frozen=True)
class Draft:
    """One notification to write with notify_many."""

    recipient: User
    kind: str
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    url: str = ""


def _check_wording(drafts: Sequence[Draft]) -> None:
    """Every draft's key is registered and its parameters fill its templates: a mistake fails at the writer, not
    at the reader's page. Rendered once per kind of draft (key, parameter names, phrase choices), not per row."""
    seen: set[tuple[Any, ...]] = set()
    for draft in drafts:
        message = messages.MESSAGES.get(draft.key)
        if message is None:
            raise messages.UnknownMessage(draft.key)
        shape = (draft.key, *sorted(draft.params), *(draft.params.get(name) for name in message.choices))
        if shape not in seen:
            seen.add(shape)
            messages.render(draft.key, draft.params)


@transaction.atomic
def notify_many(drafts: Sequence[Draft], *, at: datetime | None = None) -> list[int]:
    """notify for many at once: the same rows in a constant number of queries, one delivery run after commit.

    Returns the new notifications' ids in the drafts' order. The reminder sweep writes hundreds of
    thousands of notifications at province scale: one query per row (and one queued task per row)
    made it take most of an hour, and Django's bulk_create a third of the rest.
    """
    if not drafts:
        return []
    _check_wording(drafts)
    created_at = db_value(Notification, "created_at", at or timezone.now())
    ids = [
        pk
        for (pk,) in insert_rows(
            Notification,
            ["recipient_id", "kind", "message_key", "params", "title", "body", "url", "created_at"],
            [
                (
                    draft.recipient.pk,
                    draft.kind,
                    draft.key,
                    json.dumps(draft.params, ensure_ascii=False),
                    "",
                    "",
                    draft.url,
                    created_at,
                )
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
        "notifications.deliver",
        logger=logger,
        message="Could not queue notification delivery; the outbox keeps it pending.",
    )


# The notification centre and settings -----------------------------------------------------------------------


def notification_read(*, notification: Notification) -> None:
    """Marks one notification read; reading it again keeps the first time."""
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now


def notifications_read_all(*, person: User) -> int:
    """Marks every unread notification of the person read; returns how many."""
    return Notification.objects.filter(recipient=person, read_at__isnull=True).update(read_at=timezone.now())


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
    NotificationPreference.objects.update_or_create(
        person=person, defaults={"calendar_token": token, "calendar_token_issued_at": timezone.now()}
    )
    return token


def _check_keeps(by: User, organization: Organization) -> None:
    """An organization's group robots are kept by those who keep its work, whoever calls."""
    if not permissions.can(by, permissions.Action.MANAGE, organization):
        raise DomainError(_("只有本组织的负责同志可以设置群机器人。"))


@transaction.atomic
def webhook_add(*, organization: Organization, kind: str, url: str, by: User) -> WebhookEndpoint:
    """Adds a group robot to an organization; only addresses the server may post to, each once."""
    _check_keeps(by, organization)
    problem = webhook_address_problem(url)
    if problem is not None:
        raise DomainError(problem)
    if kind not in WebhookEndpoint.Kind.values:
        raise DomainError(_("请选择群机器人类型。"))
    if WebhookEndpoint.objects.filter(organization=organization, url=url).exists():
        raise DomainError(_("该群机器人已经添加过了。"))
    return WebhookEndpoint.objects.create(organization=organization, kind=kind, url=url)


def webhook_remove(*, webhook: WebhookEndpoint, by: User) -> None:
    """Removes a group robot; its pending deliveries fail instead of going out."""
    _check_keeps(by, webhook.organization)
    webhook.delete()
