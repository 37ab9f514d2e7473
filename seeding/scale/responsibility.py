"""Province-sized responsibility data: this year's list of every organization, its items and duty records.

Four quarterly, half-yearly or yearly items a list from the demo's templates (by sector); records
period by period up to today, met as reliably as the organization is diligent (most are), which
makes about two records an item and a mix of green, yellow and red lists. Each item's light and
figures are computed here with the same pure function the nightly refresh uses
(`progress.item_state`) and written with the rows, with a LateMark for each late or missed period,
so the load needs no refresh pass and its lights, marks and 曾逾期 figures equal what
`progress.refresh_items` would store.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from responsibility import progress
from responsibility.models import (
    Category,
    DutyRecord,
    DutyType,
    LateMark,
    Light,
    ListItem,
    Period,
    ResponsibilityList,
)
from seeding.demo.responsibility import DEFAULT_CATEGORIES, TEMPLATE_FOR_SECTOR, TEMPLATES
from seeding.scale.people import ScaleTree, TableWriter
from seeding.scale.texts import record_text

ITEMS_PER_LIST = 4
# How reliably organizations do their work: the chance that a period's target is met (most are diligent).
DILIGENCE = [1.0, 0.98, 0.9, 0.6]
DILIGENCE_WEIGHTS = [35, 40, 17, 8]
LATE_SHARE = 0.1
ORGS_PER_CHUNK = 5000
# Share of lists in each state; the rest are approved.
LIST_STATES = [
    (0.04, ResponsibilityList.Status.DRAFT),
    (0.09, ResponsibilityList.Status.SUBMITTED),
    (0.12, ResponsibilityList.Status.RETURNED),
]
RETURN_COMMENT = "请按县委模板补充“一岗双责”条目，并明确每名班子成员的责任。"
RECORD_RETURN_REASON = "记实内容过于简单，请补充时间、参加人员和具体成效。"

LIST_COLUMNS = [
    "id",
    "organization_id",
    "year",
    "status",
    "version",
    "submitted_at",
    "reviewed_at",
    "reviewed_by_id",
    "review_comment",
    *progress.LIST_TOTAL_FIELDS,
]
ITEM_COLUMNS = [
    "id",
    "list_id",
    "category_id",
    "duty_type",
    "content",
    "target_period",
    "target_count",
    "due_date",
    "responsible_id",
    "order",
    *progress.STATE_FIELDS,
]
MARK_COLUMNS = [
    "id",
    "list_id",
    "item_id",
    "content",
    "target_period",
    "target_count",
    "due_date",
    "period_start",
    "period_end",
    "outcome",
    "recorded_at",
]
RECORD_COLUMNS = [
    "id",
    "item_id",
    "organization_id",
    "occurred_on",
    "content",
    "done_by_id",
    "personal_action",
    "status",
    "review_reason",
    "reviewed_by_id",
    "reviewed_at",
    "created_by_id",
    "submitted_at",
]


def _categories() -> dict[str, int]:
    """The default categories' ids; the first migration creates them, a flushed test database has none."""
    ids = dict(Category.objects.values_list("name", "id"))
    for order, name in enumerate(DEFAULT_CATEGORIES, start=1):
        if name not in ids:
            ids[name] = Category.objects.create(name=name, order=order).pk
    return ids


def responsibility_scale_build(writer: TableWriter, tree: ScaleTree) -> None:
    """Writes every organization's list for the tree's year, its items, records and lights."""
    rng = tree.rng("responsibility")
    categories = _categories()
    thresholds = progress.Thresholds.from_settings()
    year, today = tree.year, tree.today
    next_list = writer.next_id(ResponsibilityList)
    next_item = writer.next_id(ListItem)
    next_record = writer.next_id(DutyRecord)
    next_mark = writer.next_id(LateMark)
    actions = list(DutyRecord.PersonalAction.values)
    states: dict[tuple[Any, ...], progress.ItemState] = {}
    spans_of: dict[str, list[progress.Span]] = {}

    for start in range(0, len(tree), ORGS_PER_CHUNK):
        lists: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []
        records: list[tuple[Any, ...]] = []
        marks: list[tuple[Any, ...]] = []
        for index in range(start, min(start + ORGS_PER_CHUNK, len(tree))):
            org_id, secretary = tree.ids[index], tree.secretaries[index]
            parent = tree.parents[index]
            reviewer = tree.secretaries[parent] if parent >= 0 else tree.logins["scale-province"]
            template = TEMPLATES[TEMPLATE_FOR_SECTOR.get(tree.sectors[index], 0)]
            # Items done a few times a year: a monthly item would need a dozen records by December.
            candidates = [number for number, spec in enumerate(template.items) if spec.period != Period.MONTH]
            chosen = sorted(rng.sample(candidates, ITEMS_PER_LIST))
            diligence = rng.choices(DILIGENCE, weights=DILIGENCE_WEIGHTS)[0]
            totals = {Light.RED: 0, Light.YELLOW: 0, Light.GREEN: 0, "late": 0, "required": 0, "done": 0}
            list_id = next_list
            next_list += 1
            for order, spec_index in enumerate(chosen, start=1):
                spec = template.items[spec_index]
                counting: list[tuple[date, date]] = []
                previous: str | None = None
                spans = spans_of.get(spec.period) or spans_of.setdefault(
                    spec.period, progress.periods_of(year, spec.period)
                )
                for occurred_on, submitted_on in _record_days(rng, spans, spec.count, diligence, today):
                    submitted_at = tree.moment(submitted_on, 16)
                    draw = rng.random()
                    status = (
                        DutyRecord.Status.RETURNED
                        if draw < 0.02
                        else DutyRecord.Status.SUBMITTED
                        if draw < 0.3
                        else DutyRecord.Status.ACCEPTED
                    )
                    reviewed = status != DutyRecord.Status.SUBMITTED
                    action = rng.choice(actions) if spec.duty_type == DutyType.FIRST and rng.random() < 0.5 else ""
                    previous = record_text(rng, rng.choice(spec.records), previous)
                    records.append(
                        (
                            next_record,
                            next_item,
                            org_id,
                            occurred_on,
                            previous,
                            secretary,
                            action,
                            status,
                            RECORD_RETURN_REASON if status == DutyRecord.Status.RETURNED else "",
                            reviewer if reviewed else None,
                            min(submitted_at + timedelta(days=2), tree.now) if reviewed else None,
                            secretary,
                            submitted_at,
                        )
                    )
                    next_record += 1
                    if status != DutyRecord.Status.RETURNED:
                        counting.append((occurred_on, submitted_at.astimezone(tree.zone).date()))
                # Items whose records fall alike into their periods share a state: one computation serves all.
                canonical = _canonical(spans, counting)
                key = (spec.period, spec.count, canonical)
                state = states.get(key)
                if state is None:
                    state = states[key] = progress.item_state(
                        year=year,
                        period=spec.period,
                        target=spec.count,
                        due_date=None,
                        records=canonical,
                        today=today,
                        thresholds=thresholds,
                    )
                totals[state.warning] += 1
                totals["late"] += bool(state.late_periods or state.missed_periods)
                for outcome, late_spans in (
                    (LateMark.Outcome.LATE, state.late_spans),
                    (LateMark.Outcome.MISSED, state.missed_spans),
                ):
                    for span in late_spans:
                        marks.append(
                            (
                                next_mark,
                                list_id,
                                next_item,
                                spec.content,
                                spec.period,
                                spec.count,
                                None,
                                span.start,
                                span.end,
                                outcome.value,
                                tree.now,
                            )
                        )
                        next_mark += 1
                totals["required"] += state.required_total
                totals["done"] += state.done_total
                responsible = tree.secretary_positions[index] if spec.duty_type == DutyType.FIRST else None
                items.append(
                    (
                        next_item,
                        list_id,
                        categories[spec.category],
                        spec.duty_type,
                        spec.content,
                        spec.period,
                        spec.count,
                        None,
                        responsible,
                        order,
                        *(getattr(state, name) for name in progress.STATE_FIELDS[:-1]),
                        today,
                    )
                )
                next_item += 1
            lists.append((list_id, org_id, *_list_state(tree, rng, reviewer), *_list_totals(totals)))
        writer.write(ResponsibilityList, LIST_COLUMNS, lists)
        writer.write(ListItem, ITEM_COLUMNS, items)
        writer.write(DutyRecord, RECORD_COLUMNS, records)
        writer.write(LateMark, MARK_COLUMNS, marks)


def _record_days(
    rng: random.Random, spans: list[progress.Span], target: int, diligence: float, today: date
) -> list[tuple[date, date]]:
    """(occurred, submitted) days of an item's records up to TODAY: a period's target is met with the
    organization's DILIGENCE (the current period's more likely the further it has run), a tenth of them late."""
    days: list[tuple[date, date]] = []
    for span in spans:
        if span.start > today:
            break
        last = min(span.end, today)
        used = ((last - span.start).days + 1) / span.days
        chance = diligence if span.end < today else diligence * (0.6 + 0.4 * used)
        if rng.random() >= chance:
            continue
        late = span.end < today and rng.random() < LATE_SHARE
        for _ in range(target):
            occurred = span.start + timedelta(days=rng.randint(0, (last - span.start).days))
            if late:
                submitted = min(span.end + timedelta(days=rng.randint(1, 10)), today)
            else:
                submitted = min(occurred + timedelta(days=rng.choice((0, 0, 1, 2))), last)
            days.append((occurred, submitted))
    return sorted(days)


def _canonical(spans: list[progress.Span], records: list[tuple[date, date]]) -> tuple[tuple[date, date], ...]:
    """The records as `progress.item_state` tells them apart: each one's period, and whether it came in time.

    A record becomes (its period's first day, that period's last day or the day after when late), which
    gives the same state; a province's items then need a few thousand computations instead of 400,000.
    """
    canonical = []
    for occurred_on, submitted_on in records:
        for span in spans:
            if occurred_on in span:
                late = submitted_on > span.end
                canonical.append((span.start, span.end + timedelta(days=1) if late else span.end))
                break
    return tuple(sorted(canonical))


def _list_state(tree: ScaleTree, rng: Any, reviewer: int) -> tuple[Any, ...]:
    """(year, status, version, submitted_at, reviewed_at, reviewed_by_id, review_comment) of one list."""
    submitted = tree.moment(date(tree.year, 1, 10) + timedelta(days=rng.randint(0, 30)), 9)
    draw = rng.random()
    status = next((state for share, state in LIST_STATES if draw < share), ResponsibilityList.Status.APPROVED)
    if status == ResponsibilityList.Status.DRAFT:
        return (tree.year, status, 1, None, None, None, "")
    if status == ResponsibilityList.Status.SUBMITTED:
        return (tree.year, status, 1, submitted, None, None, "")
    reviewed = min(submitted + timedelta(days=rng.randint(1, 7)), tree.now)
    comment = RETURN_COMMENT if status == ResponsibilityList.Status.RETURNED else "同意。"
    return (tree.year, status, 1, submitted, reviewed, reviewer, comment)


def _list_totals(totals: dict[str, int]) -> Iterator[Any]:
    """(warning, red, yellow, green, late, required, done) as `progress.refresh_lists` stores them."""
    red, yellow = totals[Light.RED], totals[Light.YELLOW]
    yield Light.RED if red else Light.YELLOW if yellow else Light.GREEN
    yield from (red, yellow, totals[Light.GREEN], totals["late"], totals["required"], totals["done"])
