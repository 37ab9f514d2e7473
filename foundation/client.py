"""The address a request came from, the one answer every log line, limit and audit row uses."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str | None:
    """The address that sent the request: the last X-Forwarded-For entry (the one our own front
    proxy added) when TRUST_X_FORWARDED_FOR is on, else REMOTE_ADDR. Without a proxy the header is
    the client's to invent, so trusting it would let anyone dodge the lockout."""
    if request is None:
        return None
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None
