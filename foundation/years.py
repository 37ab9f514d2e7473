"""The year a person is working on (年度), chosen once and kept across pages.

Every page of the yearly loop shows one year. A person picks it once — from the header's year switch,
a page's year filter or a page whose address names a year — and the session keeps it, so the next page
opens on the same year instead of falling back to the calendar's. Like the active language, the chosen
year is set for the request by a middleware (`YearContextMiddleware`) and read by `chosen_year()`, so a
form's default and a view's fallback agree without each view passing the request down.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch
from django.utils import timezone

YEAR_MIN, YEAR_MAX = 2000, 2100
SESSION_KEY = "year"

_chosen: ContextVar[int | None] = ContextVar("chosen_year", default=None)


def parse_year(value: Any) -> int | None:
    """A year within the product's range, or None for anything else."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if YEAR_MIN <= year <= YEAR_MAX else None


def chosen_year() -> int:
    """The year this request works on: the person's choice, else the current year."""
    return _chosen.get() or timezone.localdate().year


def year_from(value: Any) -> int:
    """The year asked for in a query string; anything unusable means the year the person has chosen."""
    return parse_year(value) or chosen_year()


def offered_years(around: int | None = None) -> list[int]:
    """The years the header's switch offers: the last five and the next, and the chosen one if older."""
    this_year = timezone.localdate().year
    years = set(range(this_year - 4, this_year + 2))
    if around is not None:
        years.add(around)
    return sorted(years, reverse=True)


def _kept_session(request: HttpRequest) -> Any:
    """The session that keeps the choice: a signed-in person's (a public page never starts a session)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return getattr(request, "session", None)


class YearContextMiddleware:
    """Keeps the chosen year in the session and activates it for the request.

    A `year` in the query (a filter, the header's switch) or in the address (a list's, a meeting year's)
    becomes the chosen year. When the switch asks for another year on a page whose address names one,
    the page is opened again for the year asked, so the switch works the same on every page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = _kept_session(request)
        asked = parse_year(request.GET.get("year")) if request.method == "GET" else None
        kept = parse_year(session.get(SESSION_KEY)) if session is not None else None
        year = asked or kept
        if session is not None and asked is not None and asked != kept:
            session[SESSION_KEY] = asked
        token = _chosen.set(year)
        try:
            return self.get_response(request)
        finally:
            _chosen.reset(token)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]) -> HttpResponse | None:
        in_address = parse_year(kwargs.get("year"))
        if in_address is None or request.method != "GET":
            return None
        asked = parse_year(request.GET.get("year"))
        match = request.resolver_match
        if asked is not None and asked != in_address and match is not None and match.view_name:
            try:
                return redirect(match.view_name, *args, **{**kwargs, "year": asked})
            except NoReverseMatch:
                return None
        session = _kept_session(request)
        if session is not None and parse_year(session.get(SESSION_KEY)) != in_address:
            session[SESSION_KEY] = in_address
        _chosen.set(in_address)
        return None
