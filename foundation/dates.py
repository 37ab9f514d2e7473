"""Template filters for dates, built into every template (config/settings.py TEMPLATES "builtins").

A date in a table broke at its hyphens on a laptop ("2026-12-" / "03"). `day` and `moment` write the
date as a <time> element that the stylesheet keeps on one line, with its machine-readable value.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.template.defaultfilters import date as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


def _time(value: Any, shown: str, machine: str) -> SafeString | str:
    if not isinstance(value, date):
        return ""
    return format_html('<time datetime="{}">{}</time>', format_date(value, machine), format_date(value, shown))


@register.filter(expects_localtime=True)
def day(value: Any) -> SafeString | str:
    """2026-12-03, on one line; empty for no date."""
    return _time(value, "Y-m-d", "Y-m-d")


@register.filter(expects_localtime=True)
def moment(value: Any) -> SafeString | str:
    """2026-12-03 14:05 in the local time zone, on one line; empty for no time."""
    machine = "c" if isinstance(value, datetime) else "Y-m-d"
    return _time(value, "Y-m-d H:i", machine)
