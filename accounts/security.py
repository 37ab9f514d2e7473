"""Sign-in security: the lockout page, session time limits, the two-factor step, the forced change of
a password someone else set and the sign-in log (logger ``accounts.security``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts import two_factor
from accounts.models import User
from foundation.client import client_address

log = logging.getLogger("accounts.security")

SIGNED_IN_AT = "signed_in_at"
LAST_ACTIVITY = "last_activity"
# What the person still owes after the password (accounts.two_factor.Step); set at sign-in.
TWO_FACTOR_STEP = "two_factor_step"
# Writing the session on every request would cost a write per page; a minute is precise enough.
ACTIVITY_RESOLUTION_SECONDS = 60


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """django-axes' lockout answer: the sign-in page with the same message as a wrong password
    (a lockout must not tell whether the login exists), as 429 Too Many Requests."""
    from accounts.forms import SignInForm

    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = SignInForm(request, initial={"username": username})
    # Shown unbound so nothing authenticates again; an unbound form takes errors once it has cleaned_data.
    form.cleaned_data = {}
    form.add_error(None, SignInForm.error_messages["invalid_login"])
    return TemplateResponse(
        request,
        "accounts/login.html",
        {"form": form, "next": request.POST.get("next", ""), **sign_in_page_context()},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    ).render()


def sign_in_page_context() -> dict[str, Any]:
    # The demo of `make run` signs in without a second factor; the page says so rather than hide it.
    return {"two_factor_demo": not settings.TWO_FACTOR_REQUIRED}


@receiver(user_logged_in, dispatch_uid="accounts.security.signed_in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_ACTIVITY] = now
        # Decided once here, so later pages cost no query to know whether the person is through.
        request.session[TWO_FACTOR_STEP] = str(two_factor.sign_in_step(user))
    log.info("sign-in user=%s address=%s", user.get_username(), client_address(request))


@receiver(user_logged_out, dispatch_uid="accounts.security.signed_out")
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    username = user.get_username() if user is not None else "-"
    log.info("sign-out user=%s address=%s", username, client_address(request))


@receiver(user_login_failed, dispatch_uid="accounts.security.sign_in_failed")
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django already masks the password in `credentials`; only the login is written anyway.
    log.warning("sign-in failed user=%s address=%s", credentials.get("username", "-"), client_address(request))


def _exempt_from_two_factor(path: str, step: str) -> bool:
    allowed = (
        reverse("two_factor_verify" if step == two_factor.Step.VERIFY else "two_factor_enrol"),
        reverse("logout"),
        reverse("healthz"),
        reverse("set_language"),
        settings.STATIC_URL,
    )
    return path.startswith(allowed)


def _two_factor_redirect(request: HttpRequest, step: str) -> HttpResponse:
    target = reverse("two_factor_verify" if step == two_factor.Step.VERIFY else "two_factor_enrol")
    if request.method == "GET":
        target = f"{target}?{urlencode({'next': request.get_full_path()})}"
    return HttpResponseRedirect(target)


def _exempt_from_password_change(path: str) -> bool:
    allowed = (
        reverse("password_change"),
        reverse("logout"),
        reverse("login"),
        reverse("healthz"),
        reverse("set_language"),
        settings.STATIC_URL,
    )
    return path.startswith(allowed)


class SessionSecurityMiddleware:
    """Ends a session idle for SESSION_IDLE_MINUTES or older than SESSION_ABSOLUTE_HOURS, keeps a person
    who owes the second factor on its page until they give it (administration included), and then a
    person who must change their password on the password page until they do.

    The second factor comes before the password change: a password alone, even the initial one, must
    not be enough to set a new password."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            session = request.session
            now = int(time.time())
            signed_in_at = session.setdefault(SIGNED_IN_AT, now)
            last_activity = session.get(LAST_ACTIVITY, now)
            if (
                now - last_activity > settings.SESSION_IDLE_MINUTES * 60
                or now - signed_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600
            ):
                logout(request)
                messages.info(request, _("您已长时间未操作，请重新登录。"))
                return redirect_to_login(request.get_full_path())
            if now - last_activity >= ACTIVITY_RESOLUTION_SECONDS or LAST_ACTIVITY not in session:
                session[LAST_ACTIVITY] = now
            step = session.get(TWO_FACTOR_STEP)
            if step is None or (not step and self._newly_required(request)):
                # A session from before two-factor sign-in, or a person made a committee member (or the
                # setting switched on) since signing in: decided now, never assumed done.
                step = session[TWO_FACTOR_STEP] = str(two_factor.sign_in_step(request.user))
            if step:
                if not _exempt_from_two_factor(request.path, step):
                    return _two_factor_redirect(request, step)
            elif cast(User, request.user).must_change_password and not _exempt_from_password_change(request.path):
                # Read from the account on every request, so signing out and in again changes nothing.
                messages.warning(request, _("您的密码由管理员设置，请先修改为只有您自己知道的密码。"))
                return redirect("password_change")
        return self.get_response(request)

    @staticmethod
    def _newly_required(request: HttpRequest) -> bool:
        # The scope is cached on the user for the request, and nearly every page needs it anyway.
        user: Any = request.user
        verified = getattr(user, "is_verified", None)
        return settings.TWO_FACTOR_REQUIRED and not (verified and verified()) and two_factor.is_required_for(user)
