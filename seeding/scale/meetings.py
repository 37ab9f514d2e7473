"""Province-sized organizational life: every branch's roll (about 30 members in three party groups) and its year
of meetings (三会一课, 主题党日, 组织生活会) with their sign-in sheets.

Each kind is held period by period up to today as reliably as the branch is diligent (the responsibility
builder's shares), a tenth of the held periods closed late; the党小组会 of a month is one group's (the
groups take turns), which keeps a province at tens of millions of attendance rows rather than a hundred.
A member takes part as their status makes likely: a 流动党员 remotely or not at all, a 失联 member never.
The year's stored state (KindYear, LifeYear, LifeLateMark) is then what `meetings.progress.refresh`
computes, run over the province in chunks once the rows and their indexes are in.

No ID numbers are generated: an invented one could pass for a real person's, and no benchmarked page reads it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection

from accounts.models import Organization
from meetings import progress as life_progress
from meetings.models import Attendance, FrequencyRule, Meeting, MeetingKind
from members.models import Member, PartyGroup
from responsibility import progress as list_progress
from seeding.demo.people import GIVEN_NAMES, SURNAMES
from seeding.scale.people import ScaleTree, TableWriter, restore_configuration
from seeding.scale.responsibility import DILIGENCE, DILIGENCE_WEIGHTS, LATE_SHARE

Kind = Organization.Kind
Status = Attendance.Status
Way = Attendance.Way

MEMBERS_PER_BRANCH = (24, 36)
"""The roll's size is drawn between these: about 30 a branch."""
GROUPS_PER_BRANCH = 3
COMMITTEE_SIZE = 5
BRANCHES_PER_CHUNK = 2000
REFRESH_CHUNK = 2000
# A member's status, drawn with these weights (the rest are 正常).
STATUS_SHARES = [
    (0.04, Member.Status.MIGRANT),
    (0.01, Member.Status.LOST),
    (0.005, Member.Status.ABROAD),
    (0.005, Member.Status.SUSPENDED),
]
PROBATIONARY_SHARE = 0.05
# (present, leave) chances of a member at a meeting by status; the rest are absent.
TAKES_PART: dict[str, tuple[float, float]] = {
    Member.Status.NORMAL: (0.9, 0.06),
    Member.Status.MIGRANT: (0.35, 0.3),
    Member.Status.ABROAD: (0.0, 0.6),
    Member.Status.LOST: (0.0, 0.0),
}
NORMAL_CHANCES = TAKES_PART[Member.Status.NORMAL]
HAND_SHARE = 0.1
TOPICS = {
    MeetingKind.ASSEMBLY: "学习贯彻党的二十届四中全会精神，讨论发展党员工作",
    MeetingKind.COMMITTEE: "研究本月党建重点工作",
    MeetingKind.GROUP: "学习党章党规，交流思想工作情况",
    MeetingKind.LECTURE: "书记讲党课：以党建引领基层治理",
    MeetingKind.THEME_DAY: "主题党日：志愿服务和政治生日",
    MeetingKind.LIFE_MEETING: "年度组织生活会暨民主评议党员",
}
PLACES = ("党群服务中心会议室", "支部活动室", "村委会议室", "社区党建活动室")

MEMBER_COLUMNS = [
    "id",
    "organization_id",
    "person_id",
    "name",
    "gender",
    "birth_date",
    "education",
    "joined_on",
    "category",
    "full_membership_due",
    "party_group_id",
    "status",
    "migrant_where",
    "migrant_since",
    "arrived_on",
]
GROUP_COLUMNS = ["id", "organization_id", "name", "leader_id", "order"]
MEETING_COLUMNS = [
    "id",
    "organization_id",
    "kind_id",
    "party_group_id",
    "starts_at",
    "place",
    "topic",
    "host_id",
    "recorder_id",
    "lecturer_id",
    "lecturer_is_secretary",
    "minutes",
    "status",
    "sign_in_key",
    "expected_count",
    "present_count",
    "leave_count",
    "remote_count",
    "held_on",
    "closed_at",
    "created_by_id",
    "created_at",
]
ATTENDANCE_COLUMNS = ["id", "meeting_id", "member_id", "status", "way", "reason", "signed_at", "marked_by_id"]
EDUCATIONS = ("大学本科", "大专", "高中", "初中", "研究生")
MIGRANT_PLACES = ("广东省深圳市", "浙江省杭州市", "江苏省苏州市", "上海市", "北京市")


def branch_kinds() -> dict[str, tuple[int, str]]:
    """The kinds a branch holds with their default period, by code (put back first if a wipe took them)."""
    restore_configuration()
    return {
        rule.kind.code: (rule.kind_id, rule.period)
        for rule in FrequencyRule.objects.filter(organization__isnull=True, kind__organization__isnull=True)
        .select_related("kind")
        .filter(kind__for_committees=False)
    }


@dataclass
class _Roll:
    ids: list[int]
    statuses: list[str]
    groups: list[int]
    """Party group id of each member."""
    group_ids: list[int]


class _Ids:
    def __init__(self, writer: TableWriter) -> None:
        self.member = writer.next_id(Member)
        self.group = writer.next_id(PartyGroup)
        self.meeting = writer.next_id(Meeting)
        self.attendance = writer.next_id(Attendance)


def life_scale_build(writer: TableWriter, tree: ScaleTree) -> None:
    """Writes every branch's roll and its year of meetings with their sign-in sheets."""
    rng = tree.rng("meetings")
    kinds = branch_kinds()
    spans = {code: list_progress.periods_of(tree.year, period) for code, (_kind, period) in kinds.items()}
    ids = _Ids(writer)
    branches = [index for index, kind in enumerate(tree.kinds) if kind == Kind.BRANCH]
    for start in range(0, len(branches), BRANCHES_PER_CHUNK):
        members: list[tuple[Any, ...]] = []
        groups: list[tuple[Any, ...]] = []
        meetings: list[tuple[Any, ...]] = []
        attendances: list[tuple[Any, ...]] = []
        for index in branches[start : start + BRANCHES_PER_CHUNK]:
            roll = _roll(tree, rng, index, ids, members, groups)
            diligence = rng.choices(DILIGENCE, weights=DILIGENCE_WEIGHTS)[0]
            for code, (kind_id, _period) in kinds.items():
                for number, span in enumerate(spans[code]):
                    if span.start > tree.today:
                        break
                    _meeting(tree, rng, index, roll, code, kind_id, span, number, diligence, ids, meetings, attendances)
        writer.write(Member, MEMBER_COLUMNS, members)
        writer.write(PartyGroup, GROUP_COLUMNS, groups)
        writer.write(Meeting, MEETING_COLUMNS, meetings)
        writer.write(Attendance, ATTENDANCE_COLUMNS, attendances)


def _roll(
    tree: ScaleTree,
    rng: random.Random,
    index: int,
    ids: _Ids,
    members: list[tuple[Any, ...]],
    groups: list[tuple[Any, ...]],
) -> _Roll:
    org_id = tree.ids[index]
    size = rng.randint(*MEMBERS_PER_BRANCH)
    group_ids = list(range(ids.group, ids.group + GROUPS_PER_BRANCH))
    ids.group += GROUPS_PER_BRANCH
    roll = _Roll([], [], [], group_ids)
    for number in range(size):
        member_id = ids.member
        ids.member += 1
        draw = rng.random()
        status = Member.Status.NORMAL
        for share, candidate in STATUS_SHARES:
            if draw < share:
                status = candidate
                break
            draw -= share
        # The secretary and the branch committee are on the roll as ordinary members.
        if number < COMMITTEE_SIZE:
            status = Member.Status.NORMAL
        probationary = number >= COMMITTEE_SIZE and rng.random() < PROBATIONARY_SHARE
        if probationary:
            joined = tree.today - timedelta(days=rng.randint(30, 360))
            category, due = Member.Category.PROBATIONARY, joined + timedelta(days=365)
        else:
            joined = date(rng.randint(1975, tree.year - 2), rng.randint(1, 12), rng.randint(1, 28))
            category, due = Member.Category.FULL, None
        migrant = status == Member.Status.MIGRANT
        group_id = group_ids[number % GROUPS_PER_BRANCH]
        members.append(
            (
                member_id,
                org_id,
                tree.secretaries[index] if number == 0 else None,
                rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
                Member.Gender.MALE if rng.random() < 0.7 else Member.Gender.FEMALE,
                date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28)),
                rng.choice(EDUCATIONS),
                joined,
                category,
                due,
                group_id,
                status,
                rng.choice(MIGRANT_PLACES) if migrant else "",
                date(tree.year - 1, rng.randint(1, 12), 1) if migrant else None,
                None,
            )
        )
        roll.ids.append(member_id)
        roll.statuses.append(status)
        roll.groups.append(group_id)
    for order, group_id in enumerate(group_ids, start=1):
        leader = roll.ids[COMMITTEE_SIZE + order - 1] if len(roll.ids) > COMMITTEE_SIZE + order else None
        groups.append((group_id, org_id, f"第{'一二三四五六七八九十'[order - 1]}党小组", leader, order))
    return roll


def _expected(roll: _Roll, code: str, group_id: int | None) -> list[int]:
    """Positions in the roll of the members a meeting of this kind expects (停止党籍 left out)."""
    if code == MeetingKind.COMMITTEE:
        return list(range(min(COMMITTEE_SIZE, len(roll.ids))))
    return [
        position
        for position, status in enumerate(roll.statuses)
        if status != Member.Status.SUSPENDED and (group_id is None or roll.groups[position] == group_id)
    ]


def _meeting(
    tree: ScaleTree,
    rng: random.Random,
    index: int,
    roll: _Roll,
    code: str,
    kind_id: int,
    span: list_progress.Span,
    number: int,
    diligence: float,
    ids: _Ids,
    meetings: list[tuple[Any, ...]],
    attendances: list[tuple[Any, ...]],
) -> None:
    """One period's meeting of a kind: held (its sheet filled in), planned later this period, or none."""
    today = tree.today
    last = min(span.end, today)
    current = span.end >= today
    if current:
        used = ((last - span.start).days + 1) / span.days
        chance = diligence * (0.6 + 0.4 * used)
    else:
        chance = diligence
    held = rng.random() < chance
    if not held and not current:
        return
    group_id = roll.group_ids[number % GROUPS_PER_BRANCH] if code == MeetingKind.GROUP else None
    expected = _expected(roll, code, group_id)
    if not expected:
        return
    secretary_user = tree.secretaries[index]
    if held:
        day = span.start + timedelta(days=rng.randint(0, (last - span.start).days))
    elif span.end > today:
        day = today + timedelta(days=rng.randint(1, (span.end - today).days))
    else:
        return
    starts_at = tree.moment(day, 9 if rng.random() < 0.5 else 14) if held else _future(tree, day)
    meeting_id = ids.meeting
    ids.meeting += 1
    present = leave = remote = 0
    # The sheet is the bulk of the load (tens of millions of rows): one draw a row, the sign-in time as text
    # once a meeting (the CSV writer would format the same datetime for every row).
    signed = str(starts_at + timedelta(minutes=5))
    random_draw = rng.random
    append = attendances.append
    attendance_id = ids.attendance
    for position in expected:
        member_id = roll.ids[position]
        if not held:
            append((attendance_id, meeting_id, member_id, Status.EXPECTED, "", "", None, None))
        else:
            member_status = roll.statuses[position]
            present_chance, leave_chance = TAKES_PART.get(member_status, NORMAL_CHANCES)
            draw = random_draw()
            if draw < present_chance:
                present += 1
                if member_status == Member.Status.MIGRANT:
                    remote += 1
                    append((attendance_id, meeting_id, member_id, Status.PRESENT, Way.REMOTE, "", signed, None))
                elif draw < present_chance * HAND_SHARE:
                    append((attendance_id, meeting_id, member_id, Status.PRESENT, Way.HAND, "", signed, secretary_user))
                else:
                    append((attendance_id, meeting_id, member_id, Status.PRESENT, Way.CODE, "", signed, None))
            elif draw < present_chance + leave_chance:
                leave += 1
                append((attendance_id, meeting_id, member_id, Status.LEAVE, "", "因公外出", None, secretary_user))
            else:
                append((attendance_id, meeting_id, member_id, Status.ABSENT, "", "", None, None))
        attendance_id += 1
    ids.attendance = attendance_id
    closed_at: datetime | None = None
    if held:
        late = not (span.end >= today) and rng.random() < LATE_SHARE
        closed_at = tree.moment(span.end + timedelta(days=rng.randint(1, 10)), 17) if late else tree.moment(day, 17)
    lecture = code == MeetingKind.LECTURE
    meetings.append(
        (
            meeting_id,
            tree.ids[index],
            kind_id,
            group_id,
            starts_at,
            rng.choice(PLACES),
            TOPICS.get(code, ""),
            roll.ids[0],
            roll.ids[1] if len(roll.ids) > 1 else None,
            roll.ids[0] if lecture else None,
            lecture and number == 0,
            "会议按议程进行，形成决议事项。" if held else "",
            Meeting.Status.HELD if held else Meeting.Status.PLANNED,
            f"{rng.getrandbits(256):064x}",
            len(expected),
            present,
            leave,
            remote,
            day if held else None,
            closed_at,
            secretary_user,
            tree.moment(max(span.start, day - timedelta(days=7)), 8),
        )
    )


def _future(tree: ScaleTree, day: date) -> datetime:
    """A planned meeting's start: later than now, unlike `tree.moment`, which stops at now."""
    return datetime.combine(day, datetime.min.time().replace(hour=9), tzinfo=tree.zone)


def life_scale_refresh(tree: ScaleTree, *, progress: Callable[[int], None] | None = None) -> int:
    """Stores every organization's year of organizational life (KindYear, LifeYear, late marks) with the nightly
    refresh itself, in chunks: the seeded year is exactly what the product computes. Returns how many."""
    if connection.vendor == "postgresql":
        # The planner needs the fresh tables' sizes before the refresh's joins.
        with connection.cursor() as cursor:
            for model in (Member, PartyGroup, Meeting, Attendance):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    done = 0
    for start in range(0, len(tree), REFRESH_CHUNK):
        done += life_progress.refresh(tree.ids[start : start + REFRESH_CHUNK], tree.year, today=tree.today)
        if progress is not None:
            progress(done)
    return done
