"""Demo data for organizational life (组织生活): this year of 柳塘村党支部's meetings (demo-secretary's branch).

`meetings_demo_build()` runs after `responsibility_demo_build()` (see `manage.py seed_demo`), so the
branch's approved list is there for the meetings to fill: from 1 January to today the branch holds a
支委会 and a 主题党日 each month, a 党员大会 and a 党课 each quarter (the first 党课 given by the secretary),
and a 党小组会 each month, the two groups taking turns. Everything goes through meetings.services:
planned, opened, signed in with the minute's code from the members' own logins, marked by hand for those
without one, closed with minutes. So a newcomer sees it all:

- a missed month of 支委会 and one of 党小组会, and a 支委会 held in its month but recorded after the month
  ended (late);
- the latest 党员大会 with a member on leave (请假) and the 流动党员 taking part remotely;
- photos with the 党员大会 and the 党课;
- the list items a kind counts ("召开支部委员会会议…", "召开党员大会…", "书记为党员讲党课") get the meetings
  as their duty records, so the responsibility demo types none on them for this branch (one entry).

The services stamp "now"; a made-up past is dated back afterwards, and the late marks the services wrote
while the year was being written are replaced by the ones the finished record shows. Idempotent: nothing
is built when the branch already has meetings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from meetings import counting, services
from meetings import progress as life_progress
from meetings.defaults import ensure_default_kinds
from meetings.models import Attendance, LifeLateMark, Meeting, MeetingKind
from meetings.services import MeetingFields
from members.models import Member, PartyGroup
from responsibility import progress as list_progress
from responsibility.models import DutyRecord, LateMark, ListItem, Period
from seeding.demo.people import FIRST_VILLAGE_CODE
from seeding.demo.responsibility import JOURNEY_ITEM, RED_ITEM, demo_png

PLACE = "柳塘村党群服务中心"
NOT_MEETINGS = (JOURNEY_ITEM, RED_ITEM)
LEAVE_REASON = "在县医院陪护住院的母亲，已向支部书记请假"
# (kind code, day of its period it is held on, hour, topics taken in turn)
PLAN: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    (
        MeetingKind.COMMITTEE,
        5,
        19,
        ("研究本月党建重点工作", "讨论发展党员和党员教育管理事项", "研究村级重大事项和为民办实事项目"),
    ),
    (
        MeetingKind.THEME_DAY,
        12,
        9,
        ("重温入党誓词，开展志愿服务", "学习党章党规，开展交流研讨", "走访慰问困难党员群众"),
    ),
    (MeetingKind.GROUP, 18, 19, ("学习上级会议精神，交流心得体会", "开展批评与自我批评，查找不足")),
    (MeetingKind.ASSEMBLY, 20, 14, ("通报本季度党建和村务工作", "讨论村级重大事项")),
    (MeetingKind.LECTURE, 25, 15, ("发挥党员先锋模范作用", "学习党史，坚定理想信念")),
)
MINUTES = (
    "主持人通报了本次会议议题。与会人员逐项讨论，{topic}，形成一致意见。会议要求：一、会后抓好落实；"
    "二、未到会的党员由所在党小组长传达会议精神。"
)


@dataclass
class MeetingsDemoSummary:
    held: int = 0
    missed: int = 0
    late: int = 0
    created: bool = False

    def __str__(self) -> str:
        return (
            f"组织生活：柳塘村党支部本年度召开会议 {self.held} 次，"
            f"逾期未召开 {self.missed} 期，逾期召开 {self.late} 期。"
        )


@dataclass(frozen=True)
class _Roll:
    branch: Organization
    by: User
    secretary: Member
    groups: list[PartyGroup]


def default_kinds() -> dict[str, MeetingKind]:
    """The seven kinds by code, made again when a test database was flushed (meetings.defaults)."""
    return ensure_default_kinds()


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _story(year: int, today: date) -> tuple[date | None, date | None, date | None]:
    """The 支委会 month missed, the 支委会 month recorded late and the 党小组会 month missed: past months only,
    chosen from today so that the story is there on any day after March."""
    past = [span for span in list_progress.periods_of(year, Period.MONTH) if span.end + timedelta(days=7) < today]
    if len(past) < 3:
        return None, None, None
    return past[len(past) // 2].start, past[-1].start, past[len(past) // 2 - 1].start


def _fields(roll: _Roll, kind: MeetingKind, starts_at: datetime, topic: str, number: int) -> MeetingFields:
    group = roll.groups[number % len(roll.groups)] if kind.code == MeetingKind.GROUP else None
    lecturer = roll.secretary if kind.code == MeetingKind.LECTURE and number == 0 else None
    if kind.code == MeetingKind.LECTURE and lecturer is None:
        lecturer = (
            Member.objects.current()
            .filter(organization=roll.branch, person__isnull=False, status=Member.Status.NORMAL)
            .exclude(pk=roll.secretary.pk)
            .order_by("id")
            .first()
        )
    return MeetingFields(
        kind=kind,
        starts_at=starts_at,
        place=PLACE,
        topic=topic,
        host=group.leader if group is not None and group.leader is not None else roll.secretary,
        recorder=roll.secretary,
        lecturer=lecturer,
        party_group=group,
        agenda=f"一、{topic}\n二、其他事项",
    )


def _hold(
    roll: _Roll, meeting: Meeting, *, rng: random.Random, leave_and_remote: bool, recorded_at: datetime, photo: bool
) -> None:
    """Signs the meeting in as it happened, closes it with its minutes and dates it all back."""
    starts_at = meeting.starts_at
    services.meeting_open(meeting=meeting, by=roll.by)
    rows = list(meeting.attendances.select_related("member").order_by("member__name", "id"))
    on_leave = None
    if leave_and_remote:
        on_leave = next(
            (row for row in rows if row.member.person_id is None and row.member.status == Member.Status.NORMAL), None
        )
    for number, row in enumerate(rows):
        member = row.member
        signed_at = starts_at + timedelta(minutes=number % 9 - 8)
        if row == on_leave:
            services.attendance_mark(row=row, by=roll.by, status=Attendance.Status.LEAVE, reason=LEAVE_REASON)
        elif member.status == Member.Status.MIGRANT:
            if leave_and_remote:
                services.attendance_mark(
                    row=row, by=roll.by, status=Attendance.Status.PRESENT, remote=True, reason="视频连线参加"
                )
                Attendance.objects.filter(pk=row.pk).update(signed_at=signed_at)
        elif member.status != Member.Status.NORMAL or rng.random() < 0.12:
            continue  # Abroad, out of touch, or simply not there: absent when the meeting closes.
        elif member.person is not None:
            code = services.sign_in_code(meeting, signed_at)
            services.meeting_sign_in(meeting=meeting, by=member.person, code=code, at=signed_at)
        else:
            services.attendance_mark(row=row, by=roll.by, status=Attendance.Status.PRESENT, reason="纸质签到表")
            Attendance.objects.filter(pk=row.pk).update(signed_at=signed_at)
    services.meeting_close(
        meeting=meeting,
        by=roll.by,
        minutes=MINUTES.format(topic=meeting.topic),
        resolutions="会议决定的事项由支部委员会分工落实，下次会议通报进展。",
    )
    if photo:
        image = demo_png((180 + starts_at.month * 5, 40, 40))
        upload = SimpleUploadedFile(f"{meeting.kind.name}{starts_at:%m%d}.png", image, content_type="image/png")
        services.meeting_files_add(meeting=meeting, by=roll.by, files=[upload])
        meeting.files.update(uploaded_at=recorded_at)
    Meeting.objects.filter(pk=meeting.pk).update(closed_at=recorded_at, created_at=starts_at - timedelta(days=3))
    records = DutyRecord.objects.filter(meeting_link__meeting=meeting)
    records.update(submitted_at=recorded_at, created_at=recorded_at)


@transaction.atomic
def meetings_demo_build() -> MeetingsDemoSummary:
    """Builds this year's meetings of the demo branch once."""
    summary = MeetingsDemoSummary()
    branch = Organization.objects.filter(code=FIRST_VILLAGE_CODE).first()
    by = User.objects.filter(username="demo-secretary").first()
    secretary = Member.objects.current().filter(organization=branch, person=by).first() if by else None
    if branch is None or by is None or secretary is None or Meeting.objects.filter(organization=branch).exists():
        summary.held = Meeting.objects.filter(organization=branch, status=Meeting.Status.HELD).count() if branch else 0
        return summary
    summary.created = True
    now = timezone.now()
    today = timezone.localdate()
    year = today.year
    roll = _Roll(branch, by, secretary, list(PartyGroup.objects.filter(organization=branch).order_by("order", "id")))
    # Items whose words name a kind of meeting without being one are set by hand to count none, as the
    # secretary would: the browser journey's one-off "开展一次主题党日活动" stays to be recorded by hand, and
    # putting right what last year's 组织生活会 found is not holding one.
    for item in ListItem.objects.filter(list__organization=branch, list__year=year, content__in=NOT_MEETINGS):
        counting.item_link_set(item=item, kind=None, by=by)
    committee_missed, committee_late, group_missed = _story(year, today)
    skipped = {(MeetingKind.COMMITTEE, committee_missed), (MeetingKind.GROUP, group_missed)}
    kinds = default_kinds()
    for code, day, hour, topics in PLAN:
        period = Period.QUARTER if code in (MeetingKind.ASSEMBLY, MeetingKind.LECTURE) else Period.MONTH
        spans = [
            (span, _at(span.start + timedelta(days=day - 1), hour))
            for span in list_progress.periods_of(year, period)
            if (code, span.start) not in skipped
        ]
        # Only meetings over by now (three hours after they began) are on the record.
        spans = [(span, starts_at) for span, starts_at in spans if starts_at + timedelta(hours=3) <= now]
        rng = random.Random(f"life:{code}")
        for number, (span, starts_at) in enumerate(spans):
            recorded_at = starts_at + timedelta(hours=2)
            if code == MeetingKind.COMMITTEE and span.start == committee_late:
                # Held in its month, typed up after the month ended.
                recorded_at = _at(span.end + timedelta(days=3), 10)
            fields = _fields(roll, kinds[code], starts_at, topics[number % len(topics)], number)
            meeting = services.meeting_plan(organization=branch, by=by, fields=fields)
            _hold(
                roll,
                meeting,
                rng=rng,
                # The latest 党员大会 has a member on leave and the 流动党员 taking part remotely.
                leave_and_remote=code == MeetingKind.ASSEMBLY and number == len(spans) - 1,
                recorded_at=recorded_at,
                photo=code in (MeetingKind.ASSEMBLY, MeetingKind.LECTURE),
            )

    # The services judged the items and kinds while this made-up year was still being written, before the
    # meetings were dated back: those marks record a past that never happened. Mark what the record shows.
    items = list(ListItem.objects.filter(list__organization=branch, list__year=year))
    LateMark.objects.filter(item__in=items).delete()
    LifeLateMark.objects.filter(organization=branch, period_start__year=year).delete()
    list_progress.refresh_items([item.pk for item in items])
    life_progress.refresh([branch.pk], year)
    # Two meetings to try: a 党员大会 that has just begun (开始签到 shows the code demo-member signs in with)
    # and next week's 支委会, announced to the committee's members.
    services.meeting_plan(
        organization=branch,
        by=by,
        fields=_fields(roll, kinds[MeetingKind.ASSEMBLY], now - timedelta(minutes=5), "学习贯彻全会精神", 1),
    )
    services.meeting_plan(
        organization=branch,
        by=by,
        fields=_fields(
            roll, kinds[MeetingKind.COMMITTEE], _at(today + timedelta(days=7), 9), "研究下月党建重点工作", 1
        ),
    )
    held = Meeting.objects.filter(organization=branch, status=Meeting.Status.HELD)
    summary.held = held.count()
    marks = LifeLateMark.objects.filter(organization=branch, period_start__year=year)
    summary.missed = marks.filter(outcome=LifeLateMark.Outcome.MISSED).count()
    summary.late = marks.filter(outcome=LifeLateMark.Outcome.LATE).count()
    return summary
