"""What a request may reach on the notification pages (a person's own notifications, the robots of the
organizations they keep), for the views. Built on accounts.permissions: 404 unseen, 403 seen but not allowed."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Organization
from accounts.permissions import Action, get_object_for, get_organization_for, kept_organizations
from notifications.models import Notification, WebhookEndpoint


def notification_for(user: Any, pk: Any) -> Notification:
    """One of the person's own notifications; anyone else's is not found."""
    return get_object_or_404(Notification, pk=pk, recipient=user)


def robot_organization_for(user: Any, pk: Any) -> Organization:
    """An organization whose group robots the person may add: those whose work they keep."""
    return get_organization_for(user, pk, Action.MANAGE)


def webhook_for(user: Any, pk: Any) -> WebhookEndpoint:
    """A group robot of an organization whose work the person keeps."""
    return get_object_for(user, WebhookEndpoint.objects.all(), pk, Action.MANAGE)


def robot_organizations(person: Any) -> QuerySet[Organization]:
    """The organizations whose own work the person keeps, with their group robots: two queries."""
    return kept_organizations(person).prefetch_related(
        Prefetch("webhooks", queryset=WebhookEndpoint.objects.order_by("id"))
    )
