"""Security headers Django does not send by itself: a Content Security Policy and a Permissions-Policy.

Django's SecurityMiddleware and XFrameOptionsMiddleware already send nosniff, the
referrer policy, Cross-Origin-Opener-Policy, HSTS (production) and X-Frame-Options.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        # No inline script anywhere: pages load static/js/*.js, which read their settings from data- attributes.
        "script-src 'self'",
        # Inline style attributes stay allowed: progress bars are drawn with style="width: NN%" from the
        # figures, and the admin uses style attributes too. Style cannot run code, so the cost is small.
        "style-src 'self' 'unsafe-inline'",
        # data: for the small images browsers and the admin build in; everything else comes from static/.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"


class SecurityHeadersMiddleware:
    """Sends the Content Security Policy and the Permissions-Policy on every HTML page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # Only documents run script; files (evidence, PDFs, Excel) are never served as HTML.
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        # Django's yellow debug page runs inline script; it exists only with DEBUG on, never in production.
        if settings.DEBUG and response.status_code >= 500:
            return response
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
