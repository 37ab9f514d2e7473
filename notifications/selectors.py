"""Reads of the notification centre and the settings page."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from accounts.models import User
from notifications.models import Notification, NotificationPreference


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


def preference_for(person: User) -> NotificationPreference:
    """The person's settings; unsaved defaults (every channel on) when they never chose."""
    preference = NotificationPreference.objects.filter(person=person).first()
    return preference or NotificationPreference(person=person)
