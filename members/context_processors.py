"""The menu's 党员名册 entry, for those who keep or follow a roll."""

from typing import Any

from django.http import HttpRequest

from members import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_reaches_roll": access.reaches_a_roll(user)}
