"""The header's count of unread notifications, on every page."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Counted (one query) only when a template shows it: the base layout's header does.
    return {"nav_unread_count": SimpleLazyObject(lambda: unread_count(user))}
