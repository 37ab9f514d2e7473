"""Two-factor sign-in pages: the code after the password, setting up an authenticator, recovery codes,
and the person's own 两步验证 page. accounts.security keeps a person on the first two until done."""

from __future__ import annotations

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import two_factor
from accounts.forms import TwoFactorCodeForm, TwoFactorDisableForm, TwoFactorEnrolForm
from accounts.security import TWO_FACTOR_STEP, log
from accounts.two_factor import CodeRejected, Step
from foundation.client import client_address


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


def _rejected_message(rejected: CodeRejected) -> str:
    if rejected.locked_until is not None:
        return _("验证码错误次数过多，请 %(seconds)s 秒后再试。") % {"seconds": rejected.wait_seconds}
    return _("验证码不正确，请重新输入。")


def _log_rejected(request: HttpRequest, what: str, rejected: CodeRejected) -> None:
    outcome = "throttled" if rejected.locked_until is not None else "failed"
    log.warning(
        "two-factor %s %s user=%s address=%s",
        what,
        outcome,
        request.user.get_username(),
        client_address(request),
    )


def _signed_in_with(request: HttpRequest, device: two_factor.Device) -> None:
    # A new session key once the second factor is in: a key seen before it proves nothing.
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[TWO_FACTOR_STEP] = str(Step.NONE)


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """输入动态验证码: the second step of signing in."""
    if request.session.get(TWO_FACTOR_STEP) != Step.VERIFY:
        return redirect(_next_url(request))
    if two_factor.authenticator_for(request.user) is None:
        # An administrator removed the device meanwhile: decide afresh (set up a new one, or pass).
        request.session[TWO_FACTOR_STEP] = str(two_factor.sign_in_step(request.user))
        return redirect(_next_url(request))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verified = two_factor.two_factor_verify(user=request.user, code=form.cleaned_data["code"])
        except CodeRejected as rejected:
            _log_rejected(request, "verification", rejected)
            form.add_error("code", _rejected_message(rejected))
        else:
            _signed_in_with(request, verified.device)
            method = "recovery-code" if verified.by_recovery_code else "authenticator"
            log.info(
                "two-factor verified user=%s address=%s method=%s",
                request.user.get_username(),
                client_address(request),
                method,
            )
            if verified.by_recovery_code:
                messages.warning(
                    request,
                    _("您使用了一个恢复码，还剩 %(count)s 个。如手机丢失，请在“两步验证”页更换验证器。")
                    % {"count": two_factor.recovery_codes_left(request.user)},
                )
            return redirect(_next_url(request))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """启用两步验证: scan the QR code (or type the key), confirm with a first code, keep the recovery codes."""
    step = request.session.get(TWO_FACTOR_STEP)
    if step == Step.VERIFY:
        return redirect("two_factor_verify")
    device = two_factor.authenticator_start(user=request.user)
    form = TwoFactorEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.authenticator_confirm(device=device, code=form.cleaned_data["code"])
        except CodeRejected as rejected:
            _log_rejected(request, "enrolment", rejected)
            form.add_error("code", _rejected_message(rejected))
        else:
            _signed_in_with(request, device)
            log.info("two-factor enrolled user=%s address=%s", request.user.get_username(), client_address(request))
            return _recovery_codes_page(request, codes, just_enrolled=True)
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr_code": two_factor.qr_code_data_uri(two_factor.provisioning_uri(device)),
            "secret": two_factor.secret_for_reading(device),
            "required": step == Step.ENROL,
            "replacing": two_factor.authenticator_for(request.user) is not None,
            "next": _next_url(request),
        },
    )


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, just_enrolled: bool) -> HttpResponse:
    # Rendered straight from the POST and never stored for later: the codes are shown this once.
    response = render(
        request,
        "accounts/two_factor_recovery_codes.html",
        {"codes": codes, "just_enrolled": just_enrolled, "next": _next_url(request)},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def two_factor_settings(request: HttpRequest) -> HttpResponse:
    """两步验证: whether it is on, how many recovery codes are left, and what the person may change."""
    required = two_factor.is_required_for(request.user)
    return render(
        request,
        "accounts/two_factor_settings.html",
        {
            "authenticator": two_factor.authenticator_for(request.user),
            "recovery_codes_left": two_factor.recovery_codes_left(request.user),
            "required": required,
            "disable_form": TwoFactorDisableForm(),
        },
    )


@login_required
@require_POST
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes in place of all the old ones."""
    if two_factor.authenticator_for(request.user) is None:
        messages.error(request, _("请先启用两步验证。"))
        return redirect("two_factor_settings")
    codes = two_factor.recovery_codes_regenerate(user=request.user)
    log.info(
        "two-factor recovery codes regenerated user=%s address=%s",
        request.user.get_username(),
        client_address(request),
    )
    return _recovery_codes_page(request, codes, just_enrolled=False)


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turning it off: only for someone it is not required of, and only with the password or a code."""
    if two_factor.is_required_for(request.user):
        messages.error(request, _("您的账号必须使用两步验证，不能关闭。"))
        return redirect("two_factor_settings")
    form = TwoFactorDisableForm(request.POST)
    confirmed = False
    if form.is_valid():
        given = form.cleaned_data["confirmation"]
        confirmed = request.user.check_password(given)
        if not confirmed:
            try:
                two_factor.two_factor_verify(user=request.user, code=given)
            except CodeRejected:
                pass
            else:
                confirmed = True
    if not confirmed:
        log.warning(
            "two-factor disable refused user=%s address=%s", request.user.get_username(), client_address(request)
        )
        messages.error(request, _("密码或验证码不正确，两步验证未关闭。"))
        return redirect("two_factor_settings")
    two_factor.two_factor_disable(user=request.user)
    log.info("two-factor disabled user=%s address=%s", request.user.get_username(), client_address(request))
    messages.success(request, _("两步验证已关闭。"))
    return redirect("two_factor_settings")
