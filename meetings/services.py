"""Every write of organizational life: planning a meeting, its sign-in, closing it with its minutes, its
evidence, and the committees' frequency rules and kinds. Each service checks its actor again."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from accounts.models import Organization, Position, User
from foundation.errors import DomainError, clean_text, transition
from foundation.files import evidence_check, stored_file_delete
from meetings import access, counting, progress, texts
from meetings.models import Attendance, FrequencyRule, Meeting, MeetingFile, MeetingKind
from meetings.workflow import MEETING_STEPS, MEETING_TRANSITIONS
from members.models import Member, PartyGroup
from notifications.services import Draft, notify_many
from responsibility.models import Period

Status = Meeting.Status
# A code is good for the minute it is shown and the minute after: a member who scans at 0:59 still gets in.
CODE_SECONDS = 60
CODE_GRACE_WINDOWS = 1
# How far back a stale code is still recognised as one (to say "expired" rather than "wrong").
CODE_MEMORY_WINDOWS = 24 * 60
CODE_DIGITS = 6
COMMITTEE_ROLES = (Position.Role.SECRETARY, Position.Role.DEPUTY, Position.Role.COMMITTEE_MEMBER)


def _require_keeper(by: User, organization: Organization) -> None:
    if not access.keeps_meetings(by, organization):
        raise PermissionDenied


def _require_step(meeting: Meeting, step: str) -> None:
    if meeting.status not in MEETING_STEPS[step]:
        raise DomainError(_("会议当前状态为“%(status)s”，不能执行此操作。") % {"status": meeting.get_status_display()})


# Planning -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingFields:
    """What a keeper fills in when planning or editing a meeting."""

    kind: MeetingKind
    starts_at: datetime
    place: str
    topic: str
    host: Member | None = None
    recorder: Member | None = None
    lecturer: Member | None = None
    party_group: PartyGroup | None = None
    agenda: str = ""


def _check_fields(organization: Organization, fields: MeetingFields) -> dict[str, object]:
    if fields.kind not in progress.kinds_for(organization):
        raise DomainError(_("本组织不召开“%(kind)s”。") % {"kind": fields.kind.name})
    for role, member in ((_("主持人"), fields.host), (_("记录人"), fields.recorder), (_("授课人"), fields.lecturer)):
        if member is not None and (member.organization_id != organization.pk or not member.is_current):
            raise DomainError(_("%(role)s须是本组织在册党员。") % {"role": role})
    group = fields.party_group
    if fields.kind.attendees == MeetingKind.Attendees.GROUP:
        if group is None:
            raise DomainError(_("党小组会须选择党小组。"))
        if group.organization_id != organization.pk:
            raise DomainError(_("请选择本组织的党小组。"))
    elif group is not None:
        group = None
    return {
        "kind": fields.kind,
        "starts_at": fields.starts_at,
        "place": clean_text(fields.place, field=_("地点"), max_length=128),
        "topic": clean_text(fields.topic, field=_("主题"), max_length=200),
        "host": fields.host,
        "recorder": fields.recorder,
        "lecturer": fields.lecturer if fields.kind.code == MeetingKind.LECTURE else None,
        "party_group": group,
        "agenda": (fields.agenda or "").strip()[:5000],
    }


def expected_members(
    organization: Organization, kind: MeetingKind, group: PartyGroup | None, chosen: Sequence[Member] = ()
) -> list[Member]:
    """The people a meeting of this kind expects, from the roll as it is now (停止党籍 left out)."""
    roll = Member.objects.current().filter(organization=organization).exclude(status=Member.Status.SUSPENDED)
    if kind.attendees == MeetingKind.Attendees.COMMITTEE:
        leaders = Position.objects.filter(organization=organization, role__in=COMMITTEE_ROLES, is_current=True)
        roll = roll.filter(person__in=leaders.values("person"))
    elif kind.attendees == MeetingKind.Attendees.GROUP:
        roll = roll.filter(party_group=group)
    elif kind.attendees == MeetingKind.Attendees.CHOSEN:
        roll = roll.filter(pk__in=[member.pk for member in chosen])
    return list(roll.order_by("name", "id"))


@transaction.atomic
def meeting_plan(
    *, organization: Organization, by: User, fields: MeetingFields, chosen: Sequence[Member] = ()
) -> Meeting:
    """Plans a meeting with the people it expects (one attendance row each)."""
    _require_keeper(by, organization)
    values = _check_fields(organization, fields)
    expected = expected_members(organization, fields.kind, values["party_group"], chosen)  # type: ignore[arg-type]
    if not expected:
        raise DomainError(
            _("名册中没有这次“%(kind)s”应参会的党员：请先在党员名册中登记党员（支委会按现任支委，党小组会按党小组）。")
            % {"kind": fields.kind.name}
        )
    meeting = Meeting.objects.create(organization=organization, created_by=by, **values)
    Attendance.objects.bulk_create(Attendance(meeting=meeting, member=member) for member in expected)
    _recount(meeting)
    _announce(meeting, expected)
    return meeting


def _announce(meeting: Meeting, expected: Sequence[Member]) -> None:
    """会议通知: each expected member with a login hears when and where, with the page to sign in from."""
    if meeting.starts_at < timezone.now():
        return
    params = {
        "kind": meeting.kind.name,
        "topic": meeting.topic,
        "organization": meeting.organization.name,
        "when": meeting.starts_at.isoformat(),
        "place": meeting.place,
    }
    url = reverse("meeting_detail", args=[meeting.pk])
    recipients = User.objects.filter(
        pk__in=[member.person_id for member in expected if member.person_id is not None], is_active=True
    )
    notify_many(
        [
            Draft(recipient=person, kind="meeting_planned", key="meeting_planned", params=params, url=url)
            for person in recipients
        ]
    )


@transaction.atomic
def meeting_update(*, meeting: Meeting, by: User, fields: MeetingFields) -> Meeting:
    """Corrects a meeting not yet held; a change of kind or party group does not change who is expected."""
    _require_keeper(by, meeting.organization)
    meeting = _locked(meeting)
    _require_step(meeting, "edit")
    values = _check_fields(meeting.organization, fields)
    kind = fields.kind
    if kind != meeting.kind and kind.attendees != meeting.kind.attendees:
        raise DomainError(_("应到人员不同的会议类型不能互改：请取消本次会议后重新计划。"))
    for name, value in values.items():
        setattr(meeting, name, value)
    meeting.save()
    return meeting


def _locked(meeting: Meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("organization", "kind", "lecturer")
        .get(pk=meeting.pk)
    )


@transaction.atomic
def meeting_open(*, meeting: Meeting, by: User) -> Meeting:
    """Opens the sign-in: the host's screen shows the code that changes every minute."""
    _require_keeper(by, meeting.organization)
    meeting = _locked(meeting)
    meeting.status = transition(MEETING_TRANSITIONS, "open", meeting.status, meeting.get_status_display())
    meeting.save(update_fields=["status"])
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: User, reason: str) -> Meeting:
    """Cancels a meeting not held; it stays on the record as cancelled and counts for nothing."""
    _require_keeper(by, meeting.organization)
    meeting = _locked(meeting)
    meeting.status = transition(MEETING_TRANSITIONS, "cancel", meeting.status, meeting.get_status_display())
    meeting.cancel_reason = clean_text(reason, field=_("取消原因"), max_length=200)
    meeting.save(update_fields=["status", "cancel_reason"])
    return meeting


# Sign-in --------------------------------------------------------------------------------------------


def _window(at: datetime) -> int:
    return int(at.timestamp()) // CODE_SECONDS


def _code(meeting: Meeting, window: int) -> str:
    key = f"{settings.SECRET_KEY}:{meeting.sign_in_key}".encode()
    digest = hmac.new(key, f"{meeting.pk}:{window}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def sign_in_code(meeting: Meeting, at: datetime | None = None) -> str:
    """The code the host's screen shows now (and its QR code carries); it changes every minute."""
    return _code(meeting, _window(at or timezone.now()))


def seconds_left(at: datetime | None = None) -> int:
    """Until the code on the screen changes."""
    moment = at or timezone.now()
    return CODE_SECONDS - int(moment.timestamp()) % CODE_SECONDS


def _code_state(meeting: Meeting, code: str, at: datetime) -> str:
    """'good', 'expired' (a code this meeting showed earlier) or 'wrong'."""
    code = (code or "").strip()
    now = _window(at)
    for window in range(now, now - CODE_GRACE_WINDOWS - 1, -1):
        if hmac.compare_digest(_code(meeting, window), code):
            return "good"
    if len(code) == CODE_DIGITS and code.isdigit():
        for window in range(now - CODE_GRACE_WINDOWS - 1, now - CODE_MEMORY_WINDOWS, -1):
            if _code(meeting, window) == code:
                return "expired"
    return "wrong"


def _check_sign_in_open(meeting: Meeting) -> None:
    if meeting.status == Status.PLANNED:
        raise DomainError(_("签到尚未开始：请等主持人开始签到。"))
    if meeting.status != Status.OPEN:
        raise DomainError(_("会议已结束或已取消，签到已关闭。"))


@transaction.atomic
def meeting_sign_in(*, meeting: Meeting, by: User, code: str, at: datetime | None = None) -> Attendance:
    """A member signs in from their own phone with the code on the host's screen (scanned or typed)."""
    at = at or timezone.now()
    meeting = _locked(meeting)
    _check_sign_in_open(meeting)
    row = access.expects(by, meeting)
    if row is None:
        raise DomainError(_("您不在本次会议的应到人员中，不能签到。如需参会，请联系主持人。"))
    state = _code_state(meeting, code, at)
    if state == "expired":
        raise DomainError(_("签到码已过期：请扫描主持人屏幕上最新的二维码，或输入最新的签到码。"))
    if state != "good":
        raise DomainError(_("签到码不正确：请核对主持人屏幕上的 6 位签到码。"))
    if row.status == Attendance.Status.PRESENT:
        raise DomainError(
            _("您已于 %(time)s 签到，无需重复签到。")
            % {"time": time_format(timezone.localtime(row.signed_at), "H:i") if row.signed_at else ""}
        )
    row.status = Attendance.Status.PRESENT
    # A 流动党员 signing in takes part from where they are: the sheet says so.
    row.way = Attendance.Way.REMOTE if row.member.status == Member.Status.MIGRANT else Attendance.Way.CODE
    row.reason = ""
    row.signed_at = at
    row.marked_by = None
    row.save(update_fields=["status", "way", "reason", "signed_at", "marked_by"])
    _recount(meeting)
    return row


def sign_in_by_code(*, by: User, code: str, at: datetime | None = None) -> Attendance:
    """A member types the short code: it names the open meeting that expects them and shows it now."""
    at = at or timezone.now()
    open_meetings = list(
        Meeting.objects.filter(status=Status.OPEN, attendances__member__person=by, attendances__member__left_on=None)
    )
    matched = [meeting for meeting in open_meetings if _code_state(meeting, code, at) != "wrong"]
    if not matched:
        if not open_meetings:
            raise DomainError(_("现在没有等待您签到的会议。"))
        raise DomainError(_("签到码不正确：请核对主持人屏幕上的 6 位签到码。"))
    good = [meeting for meeting in matched if _code_state(meeting, code, at) == "good"]
    return meeting_sign_in(meeting=(good or matched)[0], by=by, code=code, at=at)


@transaction.atomic
def attendance_mark(*, row: Attendance, by: User, status: str, reason: str = "", remote: bool = False) -> Attendance:
    """The host records a person by hand: present (代签, or remote for a 流动党员), on leave with its reason
    (请假), or back to not signed in. Who marked it and when stay on the row and in its history."""
    meeting = _locked(row.meeting)
    _require_keeper(by, meeting.organization)
    if meeting.status not in MEETING_STEPS["mark"]:
        raise DomainError(_("会议已结束或已取消，签到表不能再改。"))
    row = Attendance.objects.select_for_update(of=("self",)).select_related("member").get(pk=row.pk)
    if status == Attendance.Status.PRESENT:
        row.way = Attendance.Way.REMOTE if remote else Attendance.Way.HAND
        row.reason = (reason or "").strip()[:200]
        row.signed_at = timezone.now()
    elif status == Attendance.Status.LEAVE:
        row.reason = clean_text(reason, field=_("请假事由"), max_length=200)
        row.way, row.signed_at = "", None
    elif status == Attendance.Status.EXPECTED:
        row.reason, row.way, row.signed_at = "", "", None
    else:
        raise DomainError(_("请选择出席、请假或未签到。"))
    row.status = status
    row.marked_by = by
    row.save(update_fields=["status", "way", "reason", "signed_at", "marked_by"])
    _recount(meeting)
    return row


def _recount(meeting: Meeting) -> None:
    """Keeps the meeting's figures beside it, so lists of meetings count no attendance rows."""
    counts = meeting.attendances.aggregate(
        expected=Count("id"),
        present=Count("id", filter=Q(status=Attendance.Status.PRESENT)),
        leave=Count("id", filter=Q(status=Attendance.Status.LEAVE)),
        remote=Count("id", filter=Q(status=Attendance.Status.PRESENT, way=Attendance.Way.REMOTE)),
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        expected_count=counts["expected"],
        present_count=counts["present"],
        leave_count=counts["leave"],
        remote_count=counts["remote"],
    )
    meeting.expected_count, meeting.present_count = counts["expected"], counts["present"]
    meeting.leave_count, meeting.remote_count = counts["leave"], counts["remote"]


# Closing --------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_close(*, meeting: Meeting, by: User, minutes: str, resolutions: str = "") -> Meeting:
    """Records the meeting as held with its minutes: whoever has not signed in is absent, the kind's year and
    the list items it fulfils follow (the meeting is their duty record)."""
    _require_keeper(by, meeting.organization)
    meeting = _locked(meeting)
    if meeting.starts_at > timezone.now():
        raise DomainError(_("会议尚未开始，不能登记为已召开。"))
    target = transition(MEETING_TRANSITIONS, "close", meeting.status, meeting.get_status_display())
    meeting.minutes = clean_text(minutes, field=_("会议记录"), max_length=20000)
    meeting.resolutions = (resolutions or "").strip()[:5000]
    # Whoever left the organization's roll since the meeting was planned (transferred out, or moved to
    # another organization) was no longer expected; nobody else who has not signed in is there.
    meeting.attendances.filter(status=Attendance.Status.EXPECTED).filter(
        Q(member__left_on__isnull=False) | ~Q(member__organization=meeting.organization)
    ).delete()
    meeting.attendances.filter(status=Attendance.Status.EXPECTED).update(status=Attendance.Status.ABSENT)
    meeting.status = target
    meeting.held_on = timezone.localtime(meeting.starts_at).date()
    meeting.closed_at = timezone.now()
    lecturer = meeting.lecturer
    meeting.lecturer_is_secretary = bool(
        lecturer is not None
        and lecturer.person_id is not None
        and Position.objects.filter(
            organization=meeting.organization,
            person_id=lecturer.person_id,
            role=Position.Role.SECRETARY,
            is_current=True,
        ).exists()
    )
    meeting.save()
    _recount(meeting)
    counting.record_meeting(meeting=meeting, by=by)
    progress.refresh([meeting.organization_id], meeting.held_on.year)
    texts.minutes_compared(meeting)
    return meeting


@transaction.atomic
def meeting_minutes_update(*, meeting: Meeting, by: User, minutes: str, resolutions: str = "") -> Meeting:
    """Completes a held meeting's minutes (often typed up the day after); the records it wrote follow."""
    _require_keeper(by, meeting.organization)
    meeting = _locked(meeting)
    _require_step(meeting, "edit_minutes")
    meeting.minutes = clean_text(minutes, field=_("会议记录"), max_length=20000)
    meeting.resolutions = (resolutions or "").strip()[:5000]
    meeting.save(update_fields=["minutes", "resolutions"])
    # A record the committee returned (会议记录不全…) goes back for review once the minutes are completed.
    counting.follow_meeting(meeting=meeting, by=by)
    texts.minutes_compared(meeting)
    return meeting


@transaction.atomic
def meeting_files_add(*, meeting: Meeting, by: User, files: Sequence[UploadedFile]) -> list[MeetingFile]:
    """Keeps photos and files with the meeting, checked as duty records' evidence is; a bad file keeps none."""
    _require_keeper(by, meeting.organization)
    meeting = _locked(meeting)
    _require_step(meeting, "add_file")
    if not files:
        raise DomainError(_("请选择要上传的文件。"))
    checked = [(upload, evidence_check(upload)) for upload in files]
    if meeting.files.count() + len(checked) > settings.EVIDENCE_MAX_FILES * 2:
        raise DomainError(_("每次会议最多 %(max)s 个佐证文件。") % {"max": settings.EVIDENCE_MAX_FILES * 2})
    return [
        MeetingFile.objects.create(
            meeting=meeting,
            file=upload,
            original_name=(upload.name or "")[:200],
            content_type=mime,
            size=upload.size or 0,
            uploaded_by=by,
        )
        for upload, mime in checked
    ]


@transaction.atomic
def meeting_file_remove(*, stored: MeetingFile, by: User) -> None:
    _require_keeper(by, stored.meeting.organization)
    storage, name = stored.file.storage, stored.file.name or ""
    stored.delete()
    stored_file_delete(storage, name)


# Rules and kinds ------------------------------------------------------------------------------------


@transaction.atomic
def rule_set(
    *, organization: Organization, kind: MeetingKind, by: User, period: str, count: int, required: bool = True
) -> FrequencyRule:
    """A committee's rule for a kind over its subtree: how often it is due, or not at all."""
    if not access.sets_rules(by, organization):
        raise PermissionDenied
    if period not in Period.values or period == Period.ONCE:
        raise DomainError(_("请选择每月、每季度、每半年或每年。"))
    if not 1 <= count <= 31:
        raise DomainError(_("每周期次数须在 1 到 31 之间。"))
    if kind.organization_id is not None and kind.organization.path not in (  # type: ignore[union-attr]
        *organization.ancestor_paths(),
        organization.path,
    ):
        raise DomainError(_("该会议类型不在本组织使用范围内。"))
    rule, _created = FrequencyRule.objects.update_or_create(
        organization=organization, kind=kind, defaults={"period": period, "count": count, "required": required}
    )
    return rule


@transaction.atomic
def rule_clear(*, organization: Organization, kind: MeetingKind, by: User) -> None:
    """Back to the rule above (the defaults at the top)."""
    if not access.sets_rules(by, organization):
        raise PermissionDenied
    FrequencyRule.objects.filter(organization=organization, kind=kind).delete()


@transaction.atomic
def kind_add(
    *,
    organization: Organization,
    by: User,
    name: str,
    attendees: str,
    period: str = Period.YEAR,
    count: int = 1,
    required: bool = False,
) -> MeetingKind:
    """A committee adds a kind of meeting its subtree's branches hold (e.g. 党员冬训), with its rule."""
    if not access.sets_rules(by, organization):
        raise PermissionDenied
    name = clean_text(name, field=_("会议类型名称"), max_length=32)
    if attendees not in MeetingKind.Attendees.values:
        raise DomainError(_("请选择应到人员。"))
    if MeetingKind.objects.filter(
        Q(organization__isnull=True) | Q(organization__path__in=[*organization.ancestor_paths(), organization.path]),
        name=name,
    ).exists():
        raise DomainError(_("已有名为“%(name)s”的会议类型。") % {"name": name})
    kind = MeetingKind.objects.create(
        code=f"o{organization.pk}-{secrets.token_hex(4)}",
        name=name,
        attendees=attendees,
        organization=organization,
        order=100,
    )
    rule_set(organization=organization, kind=kind, by=by, period=period, count=count, required=required)
    return kind
