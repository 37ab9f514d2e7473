"""一次录入，多处使用 on responsibility's pages, which may not import meetings: which kind of meeting each item
counts, the records a meeting wrote, and the form that changes an item's link.

Each tag reads what a whole page needs in a fixed number of queries (the list page's items, the item
page's records), so a page's query count does not grow with its rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from meetings import access
from meetings.counting import linked_kinds
from meetings.item_forms import BY_RULE, NO_MEETING, ItemLinkForm
from meetings.models import Meeting, MeetingKind, MeetingRecord
from responsibility.models import DutyRecord, ListItem

register = template.Library()


def _items(items_or_groups: Iterable[Any]) -> list[ListItem]:
    """Items, or the list page's groups of items (each with `.items`)."""
    items: list[ListItem] = []
    for entry in items_or_groups:
        items.extend([entry] if isinstance(entry, ListItem) else entry.items)
    return items


@register.simple_tag
def item_meeting_kinds(items_or_groups: Iterable[Any]) -> dict[int, tuple[MeetingKind | None, bool]]:
    """Each item's counted kind and whether it was set by hand, for a whole page of items in two queries."""
    return linked_kinds(_items(items_or_groups))


@register.simple_tag
def item_meeting_kind(item: ListItem) -> tuple[MeetingKind | None, bool]:
    """One item's counted kind and whether it was set by hand (the record page's)."""
    return linked_kinds([item])[item.pk]


@register.filter
def keyed(mapping: Mapping[int, Any] | None, key: int) -> Any:
    """`mapping|keyed:item.pk`: the entry a tag above read for one row."""
    return (mapping or {}).get(key)


@register.inclusion_tag("meetings/_item_kind.html")
def item_kind_label(link: tuple[MeetingKind | None, bool] | None) -> dict[str, Any]:
    """计入会议：支部委员会（按规则） / （人工指定）, or nothing when the item counts no meeting."""
    kind, by_hand = link if link is not None else (None, False)
    return {"kind": kind, "by_hand": by_hand}


@register.inclusion_tag("meetings/_item_link.html", takes_context=True)
def item_meeting_link(context: template.Context, item: ListItem) -> dict[str, Any]:
    """The item page's line on the meeting it counts, with the form for those who may change it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    kind, by_hand = linked_kinds([item])[item.pk]
    form = None
    if user is not None and access.links_item(user, item):
        initial = BY_RULE if not by_hand else (str(kind.pk) if kind is not None else NO_MEETING)
        form = ItemLinkForm(item=item, initial={"kind": initial})
    return {
        "item": item,
        "kind": kind,
        "by_hand": by_hand,
        "form": form,
        "next": request.get_full_path() if request is not None else "",
    }


@register.simple_tag
def records_meetings(records: Iterable[DutyRecord]) -> dict[int, Meeting]:
    """The meeting that wrote each of these records (those typed by hand are absent), in one query."""
    keys = [record.pk for record in records]
    links = MeetingRecord.objects.filter(record_id__in=keys).select_related("meeting__kind")
    return {link.record_id: link.meeting for link in links}


@register.simple_tag
def record_meeting(record: DutyRecord) -> Meeting | None:
    """The meeting that wrote the record, or None for a record typed by hand."""
    return records_meetings([record]).get(record.pk)


@register.simple_tag
def meeting_url(meeting: Meeting | None) -> str:
    """The meeting's page, or "" while the meetings pages are not part of the site (no dead link)."""
    if meeting is None:
        return ""
    try:
        return reverse("meeting_detail", args=[meeting.pk])
    except NoReverseMatch:
        return ""
