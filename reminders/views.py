"""The calendar feed: a person's deadlines as iCalendar (RFC 5545), at a secret URL a phone subscribes to.

No sign-in: a phone's calendar cannot sign in, so the secret token in the URL is the key
(`NotificationPreference.calendar_token`). Its owner renews it on the notification settings page,
and every password change renews it too (`accounts.services`), so an address copied along with a
leaked password stops working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from notifications.models import NotificationPreference
from reminders import calendar
from reminders.deadlines import Deadline

LINE_OCTETS = 75
# Fixed rather than the request's host, so an event keeps its UID whatever address the feed is read at.
UID_DOMAIN = "deadlines.partybuilding"


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    preference = (
        NotificationPreference.objects.select_related("person")
        .filter(calendar_token=token, person__is_active=True)
        .first()
        if token
        else None
    )
    if preference is None or not preference.calendar_address_is_current():
        raise Http404
    deadlines = calendar.deadlines_for(preference.person)
    # A phone's calendar asks in no particular language: the feed speaks the person's (User.language).
    with translation.override(preference.person.language):
        body = ical(deadlines, absolute=request.build_absolute_uri)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    # The feed is personal: shared caches must not keep it.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Robots-Tag"] = "noindex"
    return response


def ical(deadlines: Iterable[Deadline], *, absolute: Callable[[str], str]) -> str:
    """An iCalendar with one all-day event per deadline; the UID follows the deadline key, so it is stable."""
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//partybuilding//deadlines//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + escape(_("党建工作期限")),
        "X-WR-TIMEZONE:Asia/Shanghai",
        # Deadlines change through the day; phones that honour these fetch twice a day.
        "REFRESH-INTERVAL;VALUE=DURATION:PT12H",
        "X-PUBLISHED-TTL:PT12H",
    ]
    for deadline in deadlines:
        url = absolute(deadline.url)
        lines += [
            "BEGIN:VEVENT",
            "UID:" + escape(f"{deadline.key.replace(':', '-')}@{UID_DOMAIN}"),
            "DTSTAMP:" + stamp,
            "DTSTART;VALUE=DATE:" + deadline.due.strftime("%Y%m%d"),
            "DTEND;VALUE=DATE:" + (deadline.due + timedelta(days=1)).strftime("%Y%m%d"),
            "SUMMARY:" + escape(_("%(label)s截止") % {"label": deadline.label}),
            "DESCRIPTION:"
            + escape(_("党组织：%(organization)s") % {"organization": deadline.organization} + "\n" + url),
            "URL:" + url,
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def escape(text: str) -> str:
    """Escapes a TEXT value: backslash, semicolon, comma and newline."""
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Folds a content line into pieces of at most 75 octets, never inside a UTF-8 character."""
    pieces: list[str] = []
    current = ""
    size = 0
    for character in line:
        width = len(character.encode())
        # A continuation line starts with one space, which counts toward its 75 octets.
        limit = LINE_OCTETS if not pieces else LINE_OCTETS - 1
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += character
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)
