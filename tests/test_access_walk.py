"""Every page asks its app's access module: a walk over every URL pattern of the site.

For each pattern the walk requests the page as a committee secretary, with every id in the path naming
nothing (and a POST where the page takes no GET), while each function of the view's app's `access` module
is watched. The view must have called one of them (its `<thing>_for`, or a page-level gate) before
answering, and an id naming nothing must answer 404 — from the access module, not from a view's own lookup.

Pages that reach no object of the permission tree are listed in PERSONAL or PUBLIC with their reason; a
new URL pattern fails here until its view goes through its app's access module or is listed.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.clients import signed_in

DOMAIN_APPS = (
    "accounts",
    "notifications",
    "similarity",
    "members",
    "meetings",
    "responsibility",
    "meetings",
    "reviews",
    "rectification",
    "reminders",
    "workbench",
)

# The signed-in person's own account, read and changed only through request.user.
PERSONAL = {
    "login": "signs a person in; reaches nobody else",
    "logout": "signs the person out",
    "password_change": "changes the signed-in person's own password",
    "two_factor_settings": "the signed-in person's own second factor",
    "two_factor_verify": "the signed-in person's own second factor",
    "two_factor_enrol": "the signed-in person's own second factor",
    "two_factor_recovery_codes": "the signed-in person's own second factor",
    "two_factor_disable": "the signed-in person's own second factor",
    "notifications": "the signed-in person's own notifications, selected by recipient",
    "notifications_read_all": "marks the signed-in person's own notifications read",
    "meeting_sign_in_code": "signs the person in to an open meeting that expects them, found by the code they type",
}
# Pages for anyone, signed in or not: what they show is published, or reached by a secret they carry.
PUBLIC = {
    "healthz": "says the service is up; reads no data",
    "vote": "the member ballot: reached by a one-time code, never by a person",
    "vote_done": "the ballot's thank-you page; reads no data",
    "public_commitments": "the published 公开承诺 of every organization",
    "public_commitment": "one published 公开承诺",
    "public_rectifications": "the published 整改 disclosures",
    "public_rectification": "one published 整改 disclosure",
    "calendar_feed": "reached by the owner's secret calendar address, which ends with their password",
    "set_language": "Django's language switch",
    "admin_password_change_redirect": "a redirect to password_change",
    # first sign-in (issue 17)
    "first_sign_in": "sets a password with the one-time code on a printed slip; answers every wrong code alike",
}

ABSENT = 987_654_321


def patterns(resolver: URLResolver | None = None) -> Iterator[URLPattern]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name != "admin":
                yield from patterns(entry)
        elif entry.name:
            yield entry


def app_of(pattern: URLPattern) -> str:
    return pattern.callback.__module__.split(".")[0]


def arguments(pattern: URLPattern) -> dict[str, Any]:
    """A value for every converter in the path: ids name nothing, words are ones the views accept."""
    words = {"action": "submit", "code": "NOWHERE", "token": "nothing", "number": 1, "year": 2026}
    return {
        name: words.get(name, ABSENT) if converter.regex == "[0-9]+" and name not in ("year", "number") else words[name]
        for name, converter in pattern.pattern.converters.items()
    }


def watched(module: ModuleType, calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every function the access module defines records its name when called, then runs as before."""
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if function.__module__ != module.__name__ or name.startswith("_"):
            continue

        def spy(*args: Any, __name: str = name, __function: Any = function, **kwargs: Any) -> Any:
            calls.append(__name)
            return __function(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)


def checked_patterns() -> list[URLPattern]:
    return [
        pattern
        for pattern in patterns()
        if app_of(pattern) in DOMAIN_APPS and pattern.name not in PERSONAL and pattern.name not in PUBLIC
    ]


def test_every_url_pattern_is_walked_or_listed_with_a_reason() -> None:
    unlisted = [
        pattern.name
        for pattern in patterns()
        if app_of(pattern) not in DOMAIN_APPS and pattern.name not in PERSONAL and pattern.name not in PUBLIC
    ]
    assert unlisted == []
    assert len(checked_patterns()) > 70


def test_every_app_that_has_pages_has_an_access_module() -> None:
    for app in {app_of(pattern) for pattern in checked_patterns()}:
        assert importlib.import_module(f"{app}.access")


@pytest.mark.parametrize("pattern", checked_patterns(), ids=lambda pattern: pattern.name)
def test_each_page_resolves_what_it_reaches_through_its_apps_access_module(
    pattern: URLPattern, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    watched(importlib.import_module(f"{app_of(pattern)}.access"), calls, monkeypatch)
    client = signed_in(people.committee_secretary)
    client.raise_request_exception = False
    url = reverse(pattern.name, kwargs=arguments(pattern))
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    assert calls, f"{pattern.name} answered {response.status_code} without asking {app_of(pattern)}.access"
    names_an_object = any(value == ABSENT for value in arguments(pattern).values())
    if names_an_object:
        assert response.status_code == 404, f"{pattern.name}: an id naming nothing answered {response.status_code}"
    else:
        assert response.status_code < 500
