"""民主测评: the committee's ballot codes and printable sheets, and public voting without signing in.

The committee pages go through accounts.permissions (MANAGE on the cycle's committee).
The voting pages need no account, write nothing to the session and show nothing about
a vote once cast: the service marks the code used and stores the ballot apart from it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, cast

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from accounts.permissions import Action, get_object_for
from accounts.services import DomainError
from reviews import selectors, services
from reviews.ballot_forms import BallotCodesForm, BallotForm, VoteCodeForm
from reviews.models import Cycle

# Against guessing codes: at most this many refused codes per client address in the window.
FAILED_ATTEMPTS_LIMIT = 20
FAILED_ATTEMPTS_WINDOW = 10 * 60  # seconds


def _user(request: HttpRequest) -> User:
    """The signed-in person (the committee pages are behind login_required)."""
    return cast(User, request.user)


def _managed_cycle(user: Any, pk: int) -> Cycle:
    """The cycle if the user keeps its committee's work (or is an administrator): 404 unseen, 403 seen."""
    return get_object_for(user, Cycle.objects.all(), pk, Action.MANAGE)


# 测评码 ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def ballot_codes(request: HttpRequest, pk: int) -> HttpResponse:
    """Codes issued and used and ballots cast per organization, the batches to print, and a form to make more."""
    cycle = _managed_cycle(request.user, pk)
    rows = selectors.ballot_overview(cycle)
    organizations = [row.organization for row in rows]
    if request.method == "POST":
        form = BallotCodesForm(request.POST, organizations=organizations)
        if form.is_valid():
            organization = form.cleaned_data["organization"]
            try:
                codes = services.ballot_codes_generate(
                    cycle=cycle, organization=organization, count=form.cleaned_data["count"], by=_user(request)
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("已为%(org)s生成 %(count)s 个测评码（第 %(batch)s 批），请打印后分发。")
                    % {"org": organization.name, "count": len(codes), "batch": codes[0].batch},
                )
                return redirect("ballot_codes", pk=cycle.pk)
    else:
        form = BallotCodesForm(organizations=organizations)
    return render(
        request,
        "reviews/ballots/codes.html",
        {
            "cycle": cycle,
            "rows": rows,
            "form": form,
            "totals": {
                "issued": sum(row.issued for row in rows),
                "used": sum(row.used for row in rows),
                "cast": sum(row.cast for row in rows),
            },
        },
    )


@dataclass(frozen=True)
class Slip:
    """One cut-out slip of the printed sheet."""

    code: str
    url: str
    qr: SafeString
    is_used: bool

    @property
    def spaced_code(self) -> str:
        """The code in two groups of five, easier to read off paper (spaces are forgiven when typed)."""
        return f"{self.code[:5]} {self.code[5:]}"


def qr_svg(data: str) -> SafeString:
    """A QR code of DATA as inline SVG, drawn on the server: no external service, no JavaScript."""
    code = qrcode.QRCode(image_factory=qrcode.image.svg.SvgPathImage, border=2)
    code.add_data(data)
    code.make(fit=True)
    # Our own markup from our own URL (codes are drawn from a fixed alphabet): safe to inline.
    return mark_safe(code.make_image().to_string(encoding="unicode"))


@login_required
@require_GET
def ballot_sheet(request: HttpRequest, pk: int, org_pk: int, batch: int) -> HttpResponse:
    """One organization's batch as slips to print and cut: link, code and QR code each; used codes marked."""
    cycle = _managed_cycle(request.user, pk)
    codes = selectors.ballot_batch_codes(cycle, org_pk, batch)
    if not codes:
        raise Http404
    slips = []
    for ballot_code in codes:
        url = request.build_absolute_uri(reverse("vote_with_code", args=[ballot_code.code]))
        slips.append(
            Slip(
                code=ballot_code.code,
                url=url,
                qr=SafeString("") if ballot_code.is_used else qr_svg(url),
                is_used=ballot_code.is_used,
            )
        )
    return render(
        request,
        "reviews/ballots/sheet.html",
        {
            "cycle": cycle,
            "organization": codes[0].organization,
            "batch": batch,
            "slips": slips,
            "used": sum(slip.is_used for slip in slips),
        },
    )


# 投票 ------------------------------------------------------------------------


def _client_key(request: HttpRequest) -> str:
    # Behind the front proxy every request comes from the proxy; the proxy appends the address it
    # saw to X-Forwarded-For (docs/deployment.md), so the last entry is the one a client cannot forge.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    address = forwarded.rsplit(",", 1)[-1].strip() if forwarded else request.META.get("REMOTE_ADDR", "")
    # Hashed: the cache holds a count, not who asked.
    return "vote-failures:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def _is_blocked(request: HttpRequest) -> bool:
    return int(cache.get(_client_key(request), 0)) >= FAILED_ATTEMPTS_LIMIT


def _count_failure(request: HttpRequest) -> None:
    key = _client_key(request)
    if cache.add(key, 1, FAILED_ATTEMPTS_WINDOW):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, FAILED_ATTEMPTS_WINDOW)


def _refused(request: HttpRequest, message: str, *, status: int = 200, **context: Any) -> HttpResponse:
    return render(request, "reviews/ballots/vote_refused.html", {"message": message, **context}, status=status)


def _too_many(request: HttpRequest) -> HttpResponse:
    return _refused(
        request,
        _("输入错误的测评码次数过多，请 %(minutes)s 分钟后再试。") % {"minutes": FAILED_ATTEMPTS_WINDOW // 60},
        status=429,
    )


def _invalid_code_message() -> str:
    return _("测评码无效，请核对后重新输入。")


@never_cache
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest) -> HttpResponse:
    """民主测评: type the code printed on the slip (for those who cannot scan its QR code)."""
    if request.method == "POST":
        if _is_blocked(request):
            return _too_many(request)
        form = VoteCodeForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["code"]
            if selectors.ballot_code_exists(code):
                return redirect("vote_with_code", code=code)
            _count_failure(request)
            form.add_error("code", _invalid_code_message())
    else:
        form = VoteCodeForm()
    return render(request, "reviews/ballots/vote.html", {"form": form})


def _refusal(subject: selectors.VoteSubject) -> str:
    """Why this code cannot vote now (the service says the same when a ballot is cast), or ''."""
    if subject.is_used:
        return _("该测评码已使用过，每个测评码只能投票一次。")
    if not subject.is_open_on(timezone.localdate()):
        return _("不在民主测评时间内（%(start)s 至 %(end)s）。") % {
            "start": subject.cycle.ballot_opens.isoformat(),
            "end": subject.cycle.ballot_closes.isoformat(),
        }
    return ""


@never_cache
@require_http_methods(["GET", "POST"])
def vote_with_code(request: HttpRequest, code: str) -> HttpResponse:
    """The ballot: who is rated, 好 / 较好 / 一般 / 差 and optional aspects; cast once, then thanks."""
    if _is_blocked(request):
        return _too_many(request)
    subject = selectors.vote_subject(services.normalize_code(code))
    if subject is None:
        _count_failure(request)
        return _refused(request, _invalid_code_message(), status=404)
    if request.method == "POST":
        form = BallotForm(request.POST)
        if form.is_valid():
            try:
                services.ballot_cast(
                    code=subject.code, rating=form.cleaned_data["rating"], item_ratings=form.item_ratings()
                )
            except DomainError as error:
                _count_failure(request)
                return _refused(request, str(error), subject=subject)
            return redirect("vote_done")
    else:
        refusal = _refusal(subject)
        if refusal:
            return _refused(request, refusal, subject=subject)
        form = BallotForm()
    return render(request, "reviews/ballots/vote_form.html", {"subject": subject, "form": form})


@never_cache
@require_GET
def vote_done(request: HttpRequest) -> HttpResponse:
    """Thanks, and nothing about the vote."""
    return render(request, "reviews/ballots/vote_done.html")


urlpatterns = [
    path("reviews/cycles/<int:pk>/ballots/", ballot_codes, name="ballot_codes"),
    path("reviews/cycles/<int:pk>/ballots/<int:org_pk>/<int:batch>/sheet/", ballot_sheet, name="ballot_sheet"),
    path("vote/", vote, name="vote"),
    path("vote/done/", vote_done, name="vote_done"),
    path("vote/<str:code>/", vote_with_code, name="vote_with_code"),
]
