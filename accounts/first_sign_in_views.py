"""首次登录: printing first-sign-in slips (administrators, committees) and the public page where a person
sets their password with the slip's one-time code (accounts/first_sign_in.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts import access
from accounts.first_sign_in import (
    CODE_VALID_DAYS,
    MAX_SLIPS,
    CodeRefused,
    people_by_ids,
    people_out_of_reach,
    sign_in_candidates,
    sign_in_code_redeem,
    sign_in_codes_issue,
    slip_organization_names,
)
from accounts.forms import FirstSignInForm, SlipPeopleForm
from accounts.models import User
from foundation.client import client_address
from foundation.errors import DomainError

IMPORTED_PEOPLE = "accounts.imported_people"
"""The session key under which the import page keeps the ids of the people it has just created."""


@sensitive_post_parameters("code", "new_password1", "new_password2")
@csrf_protect
@never_cache
def first_sign_in(request: HttpRequest) -> HttpResponse:
    """The public page: login, the slip's code and a new password; then the person is signed in."""
    form = FirstSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = sign_in_code_redeem(
                username=data["username"],
                code=data["code"],
                password=data["new_password1"],
                address=client_address(request),
            )
        except CodeRefused as refused:
            form.add_error(None, str(refused))
        except ValidationError as weak:
            form.add_error("new_password1", weak)
        else:
            login(request, person, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("密码已设置，您已登录。以后请用登录名和这个密码登录。"))
            return redirect("home")
    return render(request, "accounts/first_sign_in.html", {"form": form, "valid_days": CODE_VALID_DAYS})


@login_required
def organization_sign_in_slips(request: HttpRequest, pk: int) -> HttpResponse:
    """The people of an organization's subtree (by default those who never signed in), to print slips for."""
    organization = access.sign_in_organization_for(request.user, pk)
    include_signed_in = request.GET.get("all") == "1" or request.POST.get("all") == "1"
    candidates = sign_in_candidates(organization, include_signed_in=include_signed_in)
    return _slips_page(
        request,
        candidates,
        {
            "organization": organization,
            "include_signed_in": include_signed_in,
            "back": reverse("organization_detail", args=[organization.pk]),
        },
    )


@login_required
def imported_sign_in_slips(request: HttpRequest) -> HttpResponse:
    """The people the administrator's last import created, to print slips for."""
    access.administrator_only(request.user)
    candidates = people_by_ids(request.session.get(IMPORTED_PEOPLE, []))
    return _slips_page(request, candidates, {"imported": True, "back": reverse("organization_import")})


def _slips_page(request: HttpRequest, candidates: QuerySet[User], context: dict[str, Any]) -> HttpResponse:
    """Choose people (GET), or issue their codes and print the slips (POST): the codes are in this response
    only, which no cache keeps; printing again issues new codes."""
    # Someone out of the actor's reach (a county secretary who also sits in a branch) is not offered at all,
    # rather than refusing the whole batch; the page says how many were left out.
    out_of_reach = [person.pk for person in people_out_of_reach(request.user, list(candidates))]
    candidates = candidates.exclude(pk__in=out_of_reach)
    form = SlipPeopleForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            slips = sign_in_codes_issue(people=form.cleaned_data["people"], by=request.user)
        except DomainError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("已为 %(n)d 人发放首次登录码，请现在打印登录单。") % {"n": len(slips)})
            response = render(request, "accounts/sign_in_slips.html", {"slips": slips, **_slip_context(request)})
            add_never_cache_headers(response)
            return response
    # A county's thousands are printed township by township: the list stops at one printing's worth.
    people = list(candidates[: MAX_SLIPS + 1])
    names = slip_organization_names(people[:MAX_SLIPS])
    rows = [{"person": person, "organizations": names.get(person.pk, "")} for person in people[:MAX_SLIPS]]
    return render(
        request,
        "accounts/sign_in_slip_people.html",
        {
            "form": form,
            "rows": rows,
            "max_slips": MAX_SLIPS,
            "more_than_max": len(people) > MAX_SLIPS,
            "out_of_reach": len(out_of_reach),
            **context,
        },
    )


def _slip_context(request: HttpRequest) -> dict[str, Any]:
    # The address people reach the site by is the one the administrator is using: an intranet name or address.
    return {"sign_in_address": request.build_absolute_uri(reverse("first_sign_in"))}
