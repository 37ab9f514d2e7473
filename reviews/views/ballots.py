"""民主测评: the committee's ballot codes and printable sheets, and public voting without signing in.

The committee pages go through reviews.access (the cycle's committee keeps its codes).
The voting page needs no account and writes nothing to the session. The code never travels
in a URL: the printed QR code carries it in the fragment (#…), which browsers never send,
and the page posts it in the body, so no access log line pairs a code with a time or an
address. Nothing here says whether a code was spent until it is used to cast a ballot.
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
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from foundation.client import client_address
from foundation.errors import DomainError
from reviews import access, selectors, services
from reviews.ballot_forms import BallotCodesForm, BallotCodeVoidForm, BallotForm, VoteCodeForm

# Against guessing codes: at most this many refused codes per client address in the window.
FAILED_ATTEMPTS_LIMIT = 20
FAILED_ATTEMPTS_WINDOW = 10 * 60  # seconds


def _user(request: HttpRequest) -> User:
    """The signed-in person (the committee pages are behind login_required)."""
    return cast(User, request.user)


# 测评码 ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def ballot_codes(request: HttpRequest, pk: int) -> HttpResponse:
    """Codes issued per organization against its members, turnout, the batches to print; make more, void one."""
    cycle = access.ballot_cycle_for(request.user, pk)
    rows = selectors.ballot_overview(cycle)
    organizations = [row.organization for row in rows]
    form = BallotCodesForm(organizations=organizations)
    void_form = BallotCodeVoidForm()
    if request.method == "POST" and request.POST.get("action") == "void":
        void_form = BallotCodeVoidForm(request.POST)
        if void_form.is_valid():
            try:
                services.ballot_code_void(cycle=cycle, by=_user(request), **void_form.cleaned_data)
            except DomainError as error:
                void_form.add_error(None, str(error))
            else:
                messages.success(request, _("测评码已作废，不能再用于投票。"))
                return redirect("ballot_codes", pk=cycle.pk)
    elif request.method == "POST":
        form = BallotCodesForm(request.POST, organizations=organizations)
        if form.is_valid():
            organization = form.cleaned_data["organization"]
            try:
                codes = services.ballot_codes_generate(
                    cycle=cycle,
                    organization=organization,
                    count=form.cleaned_data["count"],
                    reason=form.cleaned_data["reason"],
                    by=_user(request),
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
    return render(
        request,
        "reviews/ballots/codes.html",
        {
            "cycle": cycle,
            "rows": rows,
            "form": form,
            "void_form": void_form,
            "window_closed": services.ballot_window_closed(cycle),
            "totals": {
                "issued": sum(row.issued for row in rows),
                "cast": sum(row.standing.cast for row in rows if row.standing),
            },
        },
    )


@dataclass(frozen=True)
class Slip:
    """One cut-out slip of the printed sheet."""

    code: str
    url: str
    qr: SafeString
    is_void: bool

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


def vote_link(request: HttpRequest, code: str) -> str:
    """The voting page with the code in the fragment: the browser keeps it, the server never receives it."""
    return f"{request.build_absolute_uri(reverse('vote'))}#{code}"


@login_required
@require_GET
def ballot_sheet(request: HttpRequest, pk: int, org_pk: int, batch: int) -> HttpResponse:
    """One organization's batch as slips to print and cut: link, code and QR code each; voided codes marked.

    Nothing shows whether a slip was used: the sheet reads the same before and after anyone votes.
    Opening it is recorded in the audit trail (the batch's printings).
    """
    cycle = access.ballot_cycle_for(request.user, pk)
    codes = selectors.ballot_batch_codes(cycle, org_pk, batch)
    if not codes:
        raise Http404
    try:
        printed = services.ballot_batch_printed(cycle=cycle, organization_id=org_pk, number=batch, by=_user(request))
    except DomainError as error:
        raise Http404 from error
    slips = [
        Slip(
            code=ballot_code.code,
            url=vote_link(request, ballot_code.code),
            qr=SafeString("") if ballot_code.is_void else qr_svg(vote_link(request, ballot_code.code)),
            is_void=ballot_code.is_void,
        )
        for ballot_code in codes
    ]
    return render(
        request,
        "reviews/ballots/sheet.html",
        {
            "cycle": cycle,
            "organization": codes[0].organization,
            "batch": printed,
            "slips": slips,
            "voided": sum(slip.is_void for slip in slips),
            "vote_url": request.build_absolute_uri(reverse("vote")),
        },
    )


# 投票 ------------------------------------------------------------------------


def _client_key(request: HttpRequest) -> str:
    # Hashed: the cache holds a count, not who asked.
    address = client_address(request) or ""
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


def _refusal(subject: selectors.VoteSubject) -> str:
    """Why this code cannot vote now (the service says the same when a ballot is cast), or ''.

    Whether it was already used is not among the reasons: only casting a ballot tells that."""
    if subject.is_void:
        return _("该测评码已作废，不能投票。请向发放测评票的同志咨询。")
    return services.ballot_window_refusal(subject.cycle, timezone.localdate())


def _ballot_page(request: HttpRequest, subject: selectors.VoteSubject, form: BallotForm) -> HttpResponse:
    return render(request, "reviews/ballots/vote_form.html", {"subject": subject, "form": form})


def _open_ballot(request: HttpRequest) -> HttpResponse:
    """Step one: the code typed or read from the QR code's fragment; answers with the ballot for it."""
    form = VoteCodeForm(request.POST)
    if not form.is_valid():
        return render(request, "reviews/ballots/vote.html", {"form": form})
    subject = selectors.vote_subject(form.cleaned_data["code"])
    if subject is None:
        _count_failure(request)
        form.add_error("code", _("测评码无效，请核对后重新输入。"))
        return render(request, "reviews/ballots/vote.html", {"form": form})
    refusal = _refusal(subject)
    if refusal:
        return _refused(request, refusal, subject=subject)
    return _ballot_page(request, subject, BallotForm(initial={"code": subject.code}))


def _cast(request: HttpRequest) -> HttpResponse:
    """Step two: the ballot with its code in the body; cast once, then thanks."""
    form = BallotForm(request.POST)
    subject = selectors.vote_subject(services.normalize_code(request.POST.get("code", "")))
    if subject is None:
        _count_failure(request)
        return render(
            request, "reviews/ballots/vote.html", {"form": VoteCodeForm(), "error": _("测评码无效，请核对后重新输入。")}
        )
    if not form.is_valid():
        return _ballot_page(request, subject, form)
    try:
        services.ballot_cast(code=subject.code, rating=form.cleaned_data["rating"], item_ratings=form.item_ratings())
    except DomainError as error:
        _count_failure(request)
        return _refused(request, str(error), subject=subject)
    return redirect("vote_done")


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest) -> HttpResponse:
    """民主测评: the code (typed, or filled in from the QR code's fragment by the page), then the ballot."""
    access.open_to_anyone()
    if request.method == "GET":
        return render(request, "reviews/ballots/vote.html", {"form": VoteCodeForm()})
    if _is_blocked(request):
        return _too_many(request)
    if request.POST.get("step") == "cast":
        return _cast(request)
    return _open_ballot(request)


@never_cache
@require_GET
def vote_done(request: HttpRequest) -> HttpResponse:
    """Thanks, and nothing about the vote."""
    access.open_to_anyone()
    return render(request, "reviews/ballots/vote_done.html")


urlpatterns = [
    path("reviews/cycles/<int:pk>/ballots/", ballot_codes, name="ballot_codes"),
    path("reviews/cycles/<int:pk>/ballots/<int:org_pk>/<int:batch>/sheet/", ballot_sheet, name="ballot_sheet"),
    path("vote/", vote, name="vote"),
    path("vote/done/", vote_done, name="vote_done"),
]
