"""Two-factor sign-in (两步验证): who must use it, the authenticator (a django-otp TOTPDevice) and the
single-use recovery codes (a StaticDevice with its StaticTokens).

A person "has two-factor sign-in" when they hold a confirmed TOTPDevice; the recovery codes only
stand in for it. Both device kinds keep django-otp's throttling (OTP_TOTP_THROTTLE_FACTOR and
OTP_STATIC_THROTTLE_FACTOR, 1 by default): after n wrong codes the next try waits 2^(n-1) seconds.
"""

from __future__ import annotations

import base64
import enum
import io
import re
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.permissions import scope_for

RECOVERY_CODE_COUNT = 10
RECOVERY_DIGEST_SALT = "accounts.two_factor.recovery_code"
TOTP_DIGITS = 6
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


class Step(enum.StrEnum):
    """What a signed-in person still owes before the site opens (kept in the session)."""

    NONE = ""
    VERIFY = "verify"
    """They have an authenticator: the code (or a recovery code) comes next."""
    ENROL = "enrol"
    """It is required of them and they have none: they set one up first."""


class CodeRejected(Exception):
    """A code that did not verify; `locked_until` is set when it was refused unread (throttled)."""

    def __init__(self, locked_until: datetime | None = None) -> None:
        super().__init__("code rejected")
        self.locked_until = locked_until

    @property
    def wait_seconds(self) -> int:
        if self.locked_until is None:
            return 0
        return max(1, int((self.locked_until - timezone.now()).total_seconds() + 0.999))


# Selectors


def is_required_for(user: Any) -> bool:
    """Whether this person must sign in with two factors: administrators and committee roles
    (anyone who supervises other organizations, the same notion the committee menu uses)."""
    if not settings.TWO_FACTOR_REQUIRED or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or scope_for(user).is_committee)


def authenticator_for(user: Any) -> TOTPDevice | None:
    """The person's confirmed authenticator, if they have one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def sign_in_step(user: Any) -> Step:
    """What a person who has just given their password still has to do."""
    if authenticator_for(user) is not None:
        return Step.VERIFY
    if is_required_for(user):
        return Step.ENROL
    return Step.NONE


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def provisioning_uri(device: TOTPDevice) -> str:
    """The otpauth:// address an authenticator app reads from the QR code, labelled with the site."""
    issuer = str(settings.SITE_TITLE).replace(":", "")
    label = f"{issuer}:{device.user.get_username()}"
    parameters = {"secret": secret_of(device), "algorithm": "SHA1", "digits": device.digits, "period": device.step}
    return f"otpauth://totp/{quote(label)}?{urlencode(parameters)}&issuer={quote(issuer)}"


def secret_of(device: TOTPDevice) -> str:
    """The key in base 32, as authenticator apps take it when typed in by hand."""
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def secret_for_reading(device: TOTPDevice) -> str:
    """The key in groups of four, so it can be read off the screen and typed without losing one's place."""
    secret = secret_of(device)
    return " ".join(secret[start : start + 4] for start in range(0, len(secret), 4))


def qr_code_data_uri(text: str) -> str:
    """The text as an SVG QR code in a data: address; the Content Security Policy allows data: images,
    so the page needs neither a script nor a file on disk."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def normalize_code(code: str) -> str:
    """Spaces and hyphens are only for reading; recovery codes are stored in lower case."""
    return re.sub(r"[\s\-]", "", code or "").lower()


def recovery_code_for_reading(token: str) -> str:
    return f"{token[:4]}-{token[4:]}"


def stored_recovery_code(token: str, secret: str | bytes | None = None) -> str:
    """What the database keeps of a recovery code: a digest keyed with SECRET_KEY, never the code.

    16 hex characters, the width of django-otp's column. A copy of the database alone gives no
    code away; a recovery code made under a key now in SECRET_KEY_FALLBACKS still works.
    """
    return salted_hmac(RECOVERY_DIGEST_SALT, token, secret=secret, algorithm="sha256").hexdigest()[:16]


def _stored_forms(token: str) -> list[str]:
    return [stored_recovery_code(token, secret) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


# Services


@transaction.atomic
def authenticator_start(*, user: Any) -> TOTPDevice:
    """An unconfirmed authenticator for the person to scan; the same one until confirmed, so a reload
    of the page does not change the QR code under an app that has already read it."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if pending is not None:
        return pending
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def authenticator_confirm(*, device: TOTPDevice, code: str) -> list[str]:
    """Confirms the new authenticator with its first code, retires any older one and issues fresh
    recovery codes, which are returned to be shown once. Raises CodeRejected."""
    _verify(device, normalize_code(code))
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        return recovery_codes_regenerate(user=device.user)


@transaction.atomic
def recovery_codes_regenerate(*, user: Any) -> list[str]:
    """Replaces every recovery code with RECOVERY_CODE_COUNT new single-use ones, returned to be shown
    this once; the old ones stop working at once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    tokens = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=stored_recovery_code(token)) for token in tokens)
    return [recovery_code_for_reading(token) for token in tokens]


@dataclass(frozen=True)
class Verified:
    device: Device
    by_recovery_code: bool


def two_factor_verify(*, user: Any, code: str) -> Verified:
    """Checks a six-digit code from the authenticator or a recovery code (used up on success).
    Raises CodeRejected; a failure still counts towards the throttle."""
    token = normalize_code(code)
    by_recovery_code = not (len(token) == TOTP_DIGITS and token.isdigit())
    device: Device | None
    if by_recovery_code:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None and token:
            # Checked as stored: under the current key, or an older one the code was made with.
            forms = _stored_forms(token)
            held = set(device.token_set.filter(token__in=forms).values_list("token", flat=True))
            token = next((form for form in forms if form in held), forms[0])
    else:
        device = authenticator_for(user)
    if device is None or not token:
        raise CodeRejected()
    _verify(device, token)
    return Verified(device=device, by_recovery_code=by_recovery_code)


@transaction.atomic
def two_factor_disable(*, user: Any) -> None:
    """Removes the authenticator and the recovery codes (the view checks that this is allowed)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _verify(device: Device, token: str) -> None:
    # Its own transaction, committed before CodeRejected is raised: the failure count must survive,
    # or throttling would count nothing. The row lock stops two parallel guesses from both passing.
    with transaction.atomic():
        locked = type(device).objects.select_for_update().get(pk=device.pk)
        allowed, details = locked.verify_is_allowed()
        if not allowed:
            rejected = CodeRejected(locked_until=(details or {}).get("locked_until"))
        elif locked.verify_token(token):
            return
        else:
            rejected = CodeRejected()
    raise rejected
