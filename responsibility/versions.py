"""What a list version holds and what changed between two of them, item by item.

An approved version keeps its items as rows (`ListVersion.items`): each row has the item's id
and raw fields to compare, and the text shown. Versions approved before ids were kept have only
the text; their rows are matched to the items by content. `compare` is pure: it takes rows,
whether from a version or from the items as they are now (`item_row`), and says what was added,
removed and changed (old → new), field by field.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from responsibility.models import DutyType, LateMark, ListItem, Period

Row = Mapping[str, Any]


def item_row(item: ListItem) -> dict[str, Any]:
    """How a version keeps one item (category, work point and responsible person loaded with it)."""
    return {
        "id": item.id,
        "category_id": item.category_id,
        "category": item.category.name,
        "duty_type": item.duty_type,
        "duty_type_label": str(item.get_duty_type_display()),
        "content": item.content,
        "target_period": item.target_period,
        "target_count": item.target_count,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "target": item.target_label(),
        "work_point_id": item.work_point_id,
        "work_point": item.work_point.text if item.work_point else "",
        "responsible_id": item.responsible_id,
        "responsible": str(item.responsible.person) if item.responsible else "",
    }


def _choice_label(choices: type[DutyType] | type[Period], value: Any, stored: Any = "") -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(stored or value or "")


def _due_date(row: Row) -> str:
    value = row.get("due_date")
    return date_format(date.fromisoformat(value)) if value else "—"


@dataclass(frozen=True)
class _Field:
    name: str
    label: Promise
    key: str
    """The raw value compared when both rows have it."""
    text: str
    """The stored text compared when a row has no raw value (a version approved before ids were kept)."""

    def show(self, row: Row) -> str:
        if self.name == "duty_type":
            return _choice_label(DutyType, row.get("duty_type"), row.get("duty_type_label"))
        if self.name == "target_period":
            return _choice_label(Period, row.get("target_period"))
        if self.name == "due_date":
            return _due_date(row)
        if self.name == "target_count":
            return str(row.get("target_count", ""))
        value = row.get(self.text)
        return "—" if value in (None, "") else str(value)

    def differs(self, old: Row, new: Row) -> bool:
        if self.key in old and self.key in new:
            return bool(old[self.key] != new[self.key])
        return bool(old.get(self.text) != new.get(self.text))


FIELDS = (
    _Field("content", _("责任内容"), "content", "content"),
    _Field("category", _("类别"), "category_id", "category"),
    _Field("duty_type", _("责任类型"), "duty_type", "duty_type_label"),
    _Field("target_period", _("周期"), "target_period", "target"),
    _Field("target_count", _("每周期次数"), "target_count", "target"),
    _Field("due_date", _("完成期限"), "due_date", "target"),
    _Field("responsible", _("责任人"), "responsible_id", "responsible"),
    _Field("work_point", _("落实的工作要点"), "work_point_id", "work_point"),
)
# Rows of versions approved before ids were kept say the target only as text.
TARGET_AS_TEXT = _Field("target", _("目标"), "target", "target")
TARGET_FIELDS = {"target_period", "target_count", "due_date"}


def _fields_between(old: Row, new: Row) -> tuple[_Field, ...]:
    if "target_period" not in old or "target_period" not in new:
        return (*(spec for spec in FIELDS if spec.name not in TARGET_FIELDS), TARGET_AS_TEXT)
    if old["target_period"] == new["target_period"] == Period.ONCE:
        # A one-off is done once by its due date: its count per period means nothing.
        return tuple(spec for spec in FIELDS if spec.name != "target_count")
    return FIELDS


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class ItemChange:
    """One item added, removed or changed; `row` is the item as it is now (as it was, when removed)."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"

    kind: str
    row: Row
    fields: tuple[FieldChange, ...] = ()
    marks: tuple[LateMark, ...] = ()

    @property
    def item_id(self) -> int | None:
        return self.row.get("id")

    @property
    def content(self) -> str:
        return str(self.row.get("content", ""))

    @property
    def summary(self) -> list[tuple[str, str]]:
        """(label, text) of the item's fields, for an added or removed one."""
        shown = [spec for spec in _fields_between(self.row, self.row) if spec.name != "content"]
        if self.row.get("target_period") == Period.ONCE:
            shown = [spec for spec in shown if spec.name != "target_count"]
        elif "target_period" in self.row:
            shown = [spec for spec in shown if spec.name != "due_date"]
        return [(str(spec.label), spec.show(self.row)) for spec in shown]


@dataclass(frozen=True)
class Comparison:
    """What the items are now against an approved version, in the order of the items, the removed last."""

    against: int
    changes: list[ItemChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def added(self) -> int:
        return sum(1 for change in self.changes if change.kind == ItemChange.ADDED)

    @property
    def removed(self) -> int:
        return sum(1 for change in self.changes if change.kind == ItemChange.REMOVED)

    @property
    def changed(self) -> int:
        return sum(1 for change in self.changes if change.kind == ItemChange.CHANGED)


def _pairs(old: Sequence[Row], new: Sequence[Row]) -> tuple[dict[int, int], list[int]]:
    """{new index: old index} of the same item, and the old indexes left unmatched.

    Rows with ids are the same item when the ids are equal. A row without an id (kept before ids
    were) is taken to be the first not yet matched item of exactly the same content.
    """
    new_by_id = {row["id"]: index for index, row in enumerate(new) if row.get("id") is not None}
    pairs: dict[int, int] = {}
    without_id: list[int] = []
    unmatched: list[int] = []
    for old_index, row in enumerate(old):
        if row.get("id") is None:
            without_id.append(old_index)
            continue
        new_index = new_by_id.get(row["id"])
        if new_index is None:
            unmatched.append(old_index)
        else:
            pairs[new_index] = old_index
    free: dict[str, deque[int]] = defaultdict(deque)
    for new_index, row in enumerate(new):
        if new_index not in pairs:
            free[row.get("content", "")].append(new_index)
    for old_index in without_id:
        candidates = free.get(old[old_index].get("content", ""))
        if candidates:
            pairs[candidates.popleft()] = old_index
        else:
            unmatched.append(old_index)
    return pairs, sorted(unmatched)


def compare(
    old: Sequence[Row],
    new: Sequence[Row],
    *,
    against: int,
    marks: Mapping[int, Sequence[LateMark]] | None = None,
) -> Comparison:
    """The items NEW (rows as `item_row` makes them) against the rows OLD of version AGAINST.

    MARKS, by item id, are shown beside the items they belong to.
    """
    marks = marks or {}
    pairs, removed = _pairs(old, new)
    changes: list[ItemChange] = []
    unchanged = 0
    for new_index, row in enumerate(new):
        item_marks = tuple(marks.get(row.get("id") or 0, ()))
        if new_index not in pairs:
            changes.append(ItemChange(ItemChange.ADDED, row, marks=item_marks))
            continue
        before = old[pairs[new_index]]
        fields = tuple(
            FieldChange(spec.name, str(spec.label), spec.show(before), spec.show(row))
            for spec in _fields_between(before, row)
            if spec.differs(before, row)
        )
        if fields:
            changes.append(ItemChange(ItemChange.CHANGED, row, fields, item_marks))
        else:
            unchanged += 1
    for old_index in removed:
        row = old[old_index]
        changes.append(ItemChange(ItemChange.REMOVED, row, marks=tuple(marks.get(row.get("id") or 0, ()))))
    return Comparison(against=against, changes=changes, unchanged=unchanged)
