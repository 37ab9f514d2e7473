"""What a revision changes: responsibility.versions compares version rows item by item (pure, no database)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from responsibility.versions import Comparison, ItemChange, compare


def row(item_id: int | None = 1, **fields: Any) -> dict[str, Any]:
    """A row as responsibility.versions.item_row makes it; None as the id leaves the id and raw fields out."""
    values: dict[str, Any] = {
        "id": item_id,
        "category_id": 3,
        "category": "组织建设",
        "duty_type": "organization",
        "duty_type_label": "主体责任",
        "content": "每月召开支委会",
        "target_period": "month",
        "target_count": 1,
        "due_date": None,
        "target": "每月至少 1 次",
        "work_point_id": None,
        "work_point": "",
        "responsible_id": None,
        "responsible": "",
    }
    values.update(fields)
    if item_id is None:
        # A version approved before ids were kept: text only.
        keep = ("category", "duty_type", "duty_type_label", "content", "target", "work_point", "responsible")
        values = {key: values[key] for key in keep}
    return values


def kinds(comparison: Comparison) -> list[tuple[str, str]]:
    return [(change.kind, change.content) for change in comparison.changes]


def fields_of(change: ItemChange) -> dict[str, tuple[str, str]]:
    return {field.name: (field.old, field.new) for field in change.fields}


def test_the_same_items_are_unchanged() -> None:
    comparison = compare([row(1), row(2, content="每季度讲党课")], [row(2, content="每季度讲党课"), row(1)], against=1)
    assert comparison.changes == []
    assert (comparison.unchanged, comparison.against) == (2, 1)


def test_added_removed_and_changed_items_are_told_apart_by_id() -> None:
    old = [row(1), row(2, content="每半年开展一次组织生活会筹备"), row(3, content="每年走访党员")]
    new = [row(1), row(2, content="每半年开展一次组织生活会"), row(4, content="每月开展主题党日")]

    comparison = compare(old, new, against=1)

    assert kinds(comparison) == [
        ("changed", "每半年开展一次组织生活会"),
        ("added", "每月开展主题党日"),
        ("removed", "每年走访党员"),
    ]
    assert fields_of(comparison.changes[0]) == {"content": ("每半年开展一次组织生活会筹备", "每半年开展一次组织生活会")}
    assert (comparison.added, comparison.removed, comparison.changed, comparison.unchanged) == (1, 1, 1, 1)


def test_every_field_that_changed_is_shown_old_to_new() -> None:
    old = row(
        1,
        category_id=3,
        category="组织建设",
        duty_type="first",
        duty_type_label="第一责任人",
        target_period="quarter",
        target_count=1,
        responsible_id=7,
        responsible="张书记",
        work_point_id=None,
        work_point="",
    )
    new = row(
        1,
        category_id=4,
        category="作风建设",
        duty_type="direct",
        duty_type_label="直接责任人",
        target_period="month",
        target_count=2,
        responsible_id=8,
        responsible="李副书记",
        work_point_id=5,
        work_point="推进党支部标准化建设",
    )

    (change,) = compare([old], [new], against=1).changes

    assert change.kind == ItemChange.CHANGED
    assert fields_of(change) == {
        "category": ("组织建设", "作风建设"),
        "duty_type": ("第一责任人", "直接责任人"),
        "target_period": ("每季度", "每月"),
        "target_count": ("1", "2"),
        "responsible": ("张书记", "李副书记"),
        "work_point": ("—", "推进党支部标准化建设"),
    }


def test_a_moved_due_date_is_shown_and_a_one_offs_count_is_not_compared() -> None:
    old = row(1, target_period="once", target_count=1, due_date="2026-11-23", target="2026年11月23日 前完成")
    new = row(1, target_period="once", target_count=3, due_date="2026-12-31", target="2026年12月31日 前完成")

    (change,) = compare([old], [new], against=1).changes

    assert list(fields_of(change)) == ["due_date"]
    assert fields_of(change)["due_date"] == ("2026年11月23日", "2026年12月31日")


def test_a_period_turned_into_a_due_date_shows_both() -> None:
    (change,) = compare(
        [row(1)], [row(1, target_period="once", due_date="2026-06-30", target="2026年6月30日 前完成")], against=1
    ).changes
    assert fields_of(change)["target_period"] == ("每月", "限期完成")
    assert fields_of(change)["due_date"][0] == "—"


def test_an_item_removed_and_added_again_with_the_same_text_is_not_the_same_item() -> None:
    comparison = compare([row(1)], [row(9)], against=1)
    assert kinds(comparison) == [("added", "每月召开支委会"), ("removed", "每月召开支委会")]


def test_rows_of_a_version_without_ids_are_matched_by_content() -> None:
    old = [row(None), row(None, content="每季度讲党课", target="每季度至少 1 次"), row(None, content="已取消的条目")]
    new = [
        row(1),
        row(2, content="每季度讲党课", target_period="quarter", target_count=2, target="每季度至少 2 次"),
        row(3, content="新条目"),
    ]

    comparison = compare(old, new, against=1)

    assert kinds(comparison) == [("changed", "每季度讲党课"), ("added", "新条目"), ("removed", "已取消的条目")]
    # The old row says its target only as text: the target is compared as text.
    assert fields_of(comparison.changes[0]) == {"target": ("每季度至少 1 次", "每季度至少 2 次")}
    assert comparison.unchanged == 1


def test_rows_without_ids_and_the_same_text_pair_up_in_order() -> None:
    old = [row(None, responsible="甲"), row(None, responsible="乙")]
    new = [row(1, responsible="甲"), row(2, responsible="丙")]
    comparison = compare(old, new, against=1)
    assert kinds(comparison) == [("changed", "每月召开支委会")]
    assert fields_of(comparison.changes[0]) == {"responsible": ("乙", "丙")}


def test_late_marks_go_with_their_items() -> None:
    mark = SimpleNamespace(outcome="missed")
    comparison = compare([row(1)], [row(1, content="改过"), row(2, content="新")], against=1, marks={1: [mark]})  # type: ignore[dict-item]
    assert comparison.changes[0].marks == (mark,)
    assert comparison.changes[1].marks == ()


def test_an_added_or_removed_item_is_summed_up_with_its_target() -> None:
    added, removed = compare(
        [row(1, target_period="once", due_date="2026-03-31", target="x")], [row(2, content="新")], against=1
    ).changes
    assert [label for label, _text in added.summary] == [
        "类别",
        "责任类型",
        "周期",
        "每周期次数",
        "责任人",
        "落实的工作要点",
    ]
    assert [label for label, _text in removed.summary] == [
        "类别",
        "责任类型",
        "周期",
        "完成期限",
        "责任人",
        "落实的工作要点",
    ]
    legacy = compare([row(None)], [], against=1).changes[0]
    assert [label for label, _text in legacy.summary] == ["类别", "责任类型", "责任人", "落实的工作要点", "目标"]
