"""What the base layout needs on every page: the navigation for this person's roles."""

from typing import Any

from django.http import HttpRequest

from accounts.permissions import scope_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {"nav_is_committee": scope.is_committee, "nav_is_admin": scope.is_admin}
