"""相似内容: the committee's page of the year's near-copies, one pair side by side, and standard text."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from foundation.errors import DomainError
from foundation.years import chosen_year
from similarity import access, exports, kinds, selectors, services
from similarity.forms import PairFilterForm, StandardTextForm

PAIRS_PER_PAGE = 50


class CountedPaginator(Paginator):
    """A paginator told its count: the page counts its pairs by kind anyway, and counting them twice was a
    third of the page's time at 10,000 organizations (docs/benchmarks.md)."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _filters(request: HttpRequest) -> tuple[PairFilterForm, int, str, int]:
    form = PairFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    year = data.get("year") or chosen_year()
    return form, year, data.get("kind") or "", data.get("min_share") or services.FLAG_SHARE


@login_required
def similar_pairs(request: HttpRequest) -> HttpResponse:
    """The year's near-copies across the committee's subtree, the most shared first; ?org= drills into one."""
    user = _user(request)
    access.committee_only(user)
    form, year, kind, min_share = _filters(request)
    organization = access.drilled_organization(user, request.GET.get("org", ""))
    pairs = selectors.committee_pairs(user, year=year, kind=kind, organization=organization, min_share=min_share)
    counted = selectors.pair_counts_by_kind(user, year=year, organization=organization, min_share=min_share)
    total = counted.get(kind, 0) if kind else sum(counted.values())
    page = CountedPaginator(pairs, PAIRS_PER_PAGE, total).get_page(request.GET.get("page"))
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    return render(
        request,
        "similarity/pairs.html",
        {
            "form": form,
            "year": year,
            "page": page,
            "pairs": page.object_list,
            "organization": organization,
            "counts": [(kind.label, counted[kind.key]) for kind in kinds.registered() if counted.get(kind.key)],
            "query": urlencode(query),
            "flag_share": services.FLAG_SHARE,
        },
    )


@login_required
def similar_pairs_export(request: HttpRequest) -> FileResponse:
    """The same list as Excel, every pair (not one page)."""
    user = _user(request)
    access.committee_only(user)
    _form, year, kind, min_share = _filters(request)
    organization = access.drilled_organization(user, request.GET.get("org", ""))
    pairs = selectors.committee_pairs(user, year=year, kind=kind, organization=organization, min_share=min_share)
    output = exports.pairs_workbook(pairs, year=year, min_share=min_share, organization=organization)
    return exports.xlsx_response(output, _("相似内容_%(year)s.xlsx") % {"year": year})


@login_required
def similar_pair(request: HttpRequest, pk: int) -> HttpResponse:
    """Two texts side by side with their shared sentences marked; a committee above both may mark a shared
    passage as standard text from here."""
    user = _user(request)
    pair = access.pair_for(user, pk)
    committee = access.leading_over(user, pair.organization, pair.other_organization)
    return render(
        request,
        "similarity/pair.html",
        {"view": selectors.side_by_side(pair), "pair": pair, "committee": committee},
    )


@login_required
def standard_texts(request: HttpRequest) -> HttpResponse:
    """规范表述: passages every organization below must write, left out of every comparison."""
    user = _user(request)
    access.committee_only(user)
    organizations = access.leading_organizations(user)
    if request.method == "POST":
        form = StandardTextForm(request.POST, organizations=organizations)
        if form.is_valid():
            try:
                services.standard_text_add(
                    organization=form.cleaned_data["organization"],
                    kind=form.cleaned_data["kind"] or "",
                    passage=form.cleaned_data["text"],
                    by=user,
                )
            except DomainError as error:
                form.add_error("text", str(error))
            else:
                messages.success(request, _("已设为规范表述，比对时不再计入；已有的文本正在后台重新比对。"))
                back = request.POST.get("back", "")
                return redirect(back if back.startswith("/similar/") else "standard_texts")
    else:
        form = StandardTextForm(organizations=organizations, initial={"organization": organizations.first()})
    return render(
        request,
        "similarity/standard_texts.html",
        {
            "form": form,
            "standards": selectors.standard_texts(user),
            "leading": {organization.pk for organization in organizations},
        },
    )


@login_required
@require_POST
def standard_text_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    standard = access.standard_to_remove(user, pk)
    try:
        services.standard_text_remove(standard=standard, by=user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已取消该规范表述，比对时重新计入。"))
    return redirect("standard_texts")


urlpatterns = [
    path("similar/", similar_pairs, name="similar_pairs"),
    path("similar/export/", similar_pairs_export, name="similar_pairs_export"),
    path("similar/<int:pk>/", similar_pair, name="similar_pair"),
    path("similar/standard/", standard_texts, name="standard_texts"),
    path("similar/standard/<int:pk>/remove/", standard_text_remove, name="standard_text_remove"),
]
