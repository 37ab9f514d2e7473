"""一次录入，多处使用: a held meeting is the duty record of each list item it fulfils.

Which kind of meeting an item counts is found by the rules below from the item's words ("每月召开支委会"
counts 支委会 meetings), unless someone set it by hand on the item (ItemLink), which the rules then
leave alone. Closing a meeting writes one duty record per such item of the organization's list for
the meeting's year, with the meeting as its evidence (MeetingRecord); the item's colour follows as for
any record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from foundation.errors import DomainError
from meetings.models import ItemLink, Meeting, MeetingKind, MeetingRecord
from responsibility import progress as list_progress
from responsibility.models import ListItem
from responsibility.services.records import may_record, record_add, record_follow_meeting

# The words that name each kind in a list item, most specific first: "党小组会" before "党课" never clash,
# but "组织生活会" must be tried before nothing shorter claims it.
KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (MeetingKind.DEMOCRATIC_LIFE, ("民主生活会",)),
    (MeetingKind.LIFE_MEETING, ("组织生活会",)),
    (MeetingKind.THEME_DAY, ("主题党日",)),
    (MeetingKind.COMMITTEE, ("支委会", "支部委员会", "支委会议")),
    (MeetingKind.ASSEMBLY, ("党员大会",)),
    (MeetingKind.GROUP, ("党小组会",)),
    (MeetingKind.LECTURE, ("党课",)),
)


def kind_code_by_rule(content: str) -> str | None:
    """The kind an item's words name: the one named first in the text."""
    found = [(content.find(word), code) for code, words in KIND_WORDS for word in words if content.find(word) >= 0]
    return min(found)[1] if found else None


def kinds_by_code() -> dict[str, MeetingKind]:
    return {kind.code: kind for kind in MeetingKind.objects.filter(organization__isnull=True)}


def linked_kinds(items: Sequence[ListItem]) -> dict[int, tuple[MeetingKind | None, bool]]:
    """Each item's counted kind and whether it was set by hand: two queries for any number of items."""
    by_code = kinds_by_code()
    links = {
        link.item_id: link
        for link in ItemLink.objects.filter(item__in=[item.pk for item in items]).select_related("kind")
    }
    result: dict[int, tuple[MeetingKind | None, bool]] = {}
    for item in items:
        link = links.get(item.pk)
        if link is not None and link.by_hand:
            result[item.pk] = (link.kind, True)
        else:
            code = kind_code_by_rule(item.content)
            result[item.pk] = (by_code.get(code) if code else None, False)
    return result


def items_counting(meeting: Meeting) -> list[ListItem]:
    """The items of the organization's list for the meeting's year that count this meeting's kind."""
    assert meeting.held_on is not None
    items = list(
        ListItem.objects.filter(
            list__organization_id=meeting.organization_id, list__year=meeting.held_on.year
        ).select_related("list__organization", "responsible")
    )
    kinds = linked_kinds(items)
    return [item for item in items if (kinds[item.pk][0] or None) == meeting.kind]


def _record_content(meeting: Meeting) -> str:
    return _("召开%(kind)s：%(topic)s（应到 %(expected)s 人，实到 %(present)s 人，请假 %(leave)s 人）") % {
        "kind": meeting.kind.name,
        "topic": meeting.topic,
        "expected": meeting.expected_count,
        "present": meeting.present_count,
        "leave": meeting.leave_count,
    }


def _write(meeting: Meeting, items: Iterable[ListItem], by: User) -> int:
    if meeting.held_on is None:
        return 0
    written = 0
    done_by = meeting.host.person if meeting.host is not None and meeting.host.person is not None else by
    for item in items:
        if MeetingRecord.objects.filter(meeting=meeting, record__item=item).exists():
            continue
        try:
            with transaction.atomic():
                record = record_add(
                    item=item, occurred_on=meeting.held_on, content=_record_content(meeting), done_by=done_by, by=by
                )
        except DomainError:
            # A year already closed takes no more records; the meeting is held all the same.
            continue
        MeetingRecord.objects.create(meeting=meeting, record=record)
        written += 1
    return written


def follow_meeting(*, meeting: Meeting, by: User) -> int:
    """The meeting's records take its words again after it changed; a returned one goes back for review.
    Returns how many records it has."""
    links = list(meeting.records.select_related("record__item__list__organization", "record__item__responsible"))
    for link in links:
        record_follow_meeting(record=link.record, content=_record_content(meeting), by=by)
    return len(links)


def record_meeting(*, meeting: Meeting, by: User) -> int:
    """Writes the held meeting's duty record on each item it fulfils; returns how many."""
    return _write(meeting, items_counting(meeting), by)


def _check_may_link(item: ListItem, by: User) -> None:
    if not may_record(by, item):
        raise PermissionDenied
    if item.list.is_closed:
        # The link writes and removes the item's records, which a closed year keeps as they are.
        raise DomainError(_("%(year)s 年度已关闭（锁定），不能再改变条目计入的会议。") % {"year": item.list.year})


def _follow(item: ListItem, kind: MeetingKind | None, by: User) -> int:
    """The item's meeting records follow KIND: those of another kind go, the year's held meetings of KIND
    are recorded on it. Returns how many meeting records the item has now."""
    stale = MeetingRecord.objects.filter(record__item=item)
    if kind is not None:
        stale = stale.exclude(meeting__kind=kind)
    for link in stale.select_related("record"):
        link.record.delete()
    if kind is not None:
        held = Meeting.objects.filter(
            organization_id=item.list.organization_id,
            kind=kind,
            status=Meeting.Status.HELD,
            held_on__year=item.list.year,
        ).select_related("kind", "host__person")
        for meeting in held:
            _write(meeting, [item], by)
    list_progress.refresh_items([item.pk])
    return MeetingRecord.objects.filter(record__item=item).count()


@transaction.atomic
def item_link_set(*, item: ListItem, kind: MeetingKind | None, by: User) -> int:
    """Sets by hand which kind of meeting the item counts (or none): the records the meetings wrote on it
    for another kind go, and the year's held meetings of the new kind are recorded on it. Returns how many
    meeting records the item has now."""
    _check_may_link(item, by)
    ItemLink.objects.update_or_create(item=item, defaults={"kind": kind, "by_hand": True, "set_by": by})
    return _follow(item, kind, by)


@transaction.atomic
def item_link_reset(*, item: ListItem, by: User) -> int:
    """Gives the item back to the rules: it counts the kind its words name (or none), and its meeting records
    follow as for a choice by hand. Returns how many meeting records the item has now."""
    _check_may_link(item, by)
    ItemLink.objects.filter(item=item).delete()
    code = kind_code_by_rule(item.content)
    return _follow(item, kinds_by_code().get(code) if code else None, by)
