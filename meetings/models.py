"""组织生活: the kinds of meeting (三会一课, 主题党日, 组织生活会…), how often each is due, the meetings a branch
holds with their sign-in (签到), and the year's figures the pages read.

A meeting is planned with the people it expects (an Attendance row each, taken from the roll when it is
planned), signed in to while it is open, and closed with its minutes: only a held meeting counts. The
state of each kind over a year (`KindYear`) is stored by meetings.progress from the held meetings, as the
list items' state is stored by responsibility.progress, and `LifeLateMark` keeps every period that went late
or was missed whatever is edited afterwards.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.history import audited
from accounts.models import Organization
from foundation.files import AttachedFile, stored_file_name
from members.models import Member, PartyGroup
from responsibility.models import DutyRecord, Light, ListItem, Period


class MeetingKind(models.Model):
    """A kind of meeting: the seven every organization knows, and those a committee adds for its subtree."""

    class Attendees(models.TextChoices):
        ALL = "all", _("全体党员")
        COMMITTEE = "committee", _("支部委员会成员")
        GROUP = "group", _("党小组成员")
        CHOSEN = "chosen", _("指定人员")

    # The kinds the product knows by their code: rules, the duty report and the list items' link name them.
    ASSEMBLY = "assembly"
    COMMITTEE = "committee"
    GROUP = "group"
    LECTURE = "lecture"
    THEME_DAY = "theme_day"
    LIFE_MEETING = "life_meeting"
    DEMOCRATIC_LIFE = "democratic_life"

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    attendees = models.CharField(_("应到人员"), max_length=16, choices=Attendees.choices, default=Attendees.ALL)
    for_committees = models.BooleanField(
        _("党委（党组）的会议"),
        default=False,
        help_text=_("如民主生活会：由党委（党组）领导班子召开，不是支部的会议。"),
    )
    # Empty for the kinds every organization knows; a committee's own kind is used in its subtree only.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_kinds",
        verbose_name=_("添加的组织"),
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("会议类型")
        verbose_name_plural = pgettext_lazy("plural", "会议类型")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class FrequencyRule(models.Model):
    """How often a kind is due: the defaults (no organization) or a committee's rule for its subtree.

    The nearest rule up the tree wins, so a township may ask more of its branches than the county does.
    """

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="meeting_rules",
        verbose_name=_("制定的组织"),
    )
    kind = models.ForeignKey(MeetingKind, on_delete=models.CASCADE, related_name="rules", verbose_name=_("会议类型"))
    period = models.CharField(
        _("周期"), max_length=16, choices=[(p.value, p.label) for p in Period if p != Period.ONCE]
    )
    count = models.PositiveSmallIntegerField(_("每周期至少次数"), default=1)
    # A committee may switch a kind off for its subtree (a kind its branches have no use for).
    required = models.BooleanField(_("必须召开"), default=True)

    history = audited()

    class Meta:
        verbose_name = _("组织生活频次规则")
        verbose_name_plural = pgettext_lazy("plural", "组织生活频次规则")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=Q(organization__isnull=False),
                name="one_meeting_rule_per_organization_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(organization__isnull=True), name="one_default_meeting_rule_per_kind"
            ),
            models.CheckConstraint(condition=Q(count__gte=1), name="meeting_rule_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.get_period_display()} ≥{self.count}"


class Meeting(models.Model):
    """A meeting of an organization: planned, open for sign-in, held (closed with its minutes) or cancelled."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("已计划")
        OPEN = "open", _("签到中")
        HELD = "held", _("已召开")
        CANCELLED = "cancelled", _("已取消")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("党组织")
    )
    kind = models.ForeignKey(MeetingKind, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("会议类型"))
    party_group = models.ForeignKey(
        PartyGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("党小组"),
    )
    starts_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=128)
    topic = models.CharField(_("主题"), max_length=200)
    host = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("主持人")
    )
    recorder = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("记录人")
    )
    # 党课: who gave it; the secretary gives at least one a year.
    lecturer = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("授课人")
    )
    lecturer_is_secretary = models.BooleanField(_("书记讲党课"), default=False)
    agenda = models.TextField(_("议程"), blank=True)
    minutes = models.TextField(_("会议记录"), blank=True)
    resolutions = models.TextField(_("决议事项"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    # The key the sign-in codes are derived from; never shown.
    sign_in_key = models.CharField(max_length=64, default=secrets.token_hex, editable=False)
    # Kept on the meeting when it changes, so the pages' figures take no count of attendance rows.
    expected_count = models.PositiveIntegerField(_("应到"), default=0)
    present_count = models.PositiveIntegerField(_("实到"), default=0)
    leave_count = models.PositiveIntegerField(_("请假"), default=0)
    remote_count = models.PositiveIntegerField(_("远程参加"), default=0)
    held_on = models.DateField(_("召开日期"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    history = audited(excluded_fields=["sign_in_key"])

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = pgettext_lazy("plural", "会议")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "kind", "held_on"], name="meeting_org_kind_held_idx"),
            models.Index(fields=["organization", "starts_at"], name="meeting_org_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {timezone.localtime(self.starts_at):%Y-%m-%d} {self.topic}"

    @property
    def is_held(self) -> bool:
        return self.status == self.Status.HELD

    @property
    def attendance_rate(self) -> float | None:
        """实到 over 应到; None before anyone is expected."""
        return self.present_count / self.expected_count if self.expected_count else None


class Attendance(models.Model):
    """One expected person at a meeting: how they took part, and who recorded it when it was not themself."""

    class Status(models.TextChoices):
        EXPECTED = "expected", _("未签到")
        PRESENT = "present", _("出席")
        LEAVE = "leave", _("请假")
        ABSENT = "absent", _("缺席")

    class Way(models.TextChoices):
        CODE = "code", _("扫码或签到码")
        HAND = "hand", _("主持人代签")
        REMOTE = "remote", _("远程参加")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("会议"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("党员"))
    status = models.CharField(_("情况"), max_length=16, choices=Status.choices, default=Status.EXPECTED)
    way = models.CharField(_("签到方式"), max_length=16, choices=Way.choices, blank=True)
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    signed_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )

    history = audited()

    class Meta:
        verbose_name = _("参会情况")
        verbose_name_plural = pgettext_lazy("plural", "参会情况")
        ordering = ["member__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_meeting_member"),
        ]
        indexes = [models.Index(fields=["member", "status"], name="attendance_member_status_idx")]

    def __str__(self) -> str:
        return f"{self.member} {self.get_status_display()}"


def meeting_file_path(instance: MeetingFile, filename: str) -> str:
    return stored_file_name("meetings", instance.meeting.organization_id, filename)


class MeetingFile(AttachedFile):
    """A photo or file kept with a meeting as evidence (签到表, 会议照片, 材料), under the duty records' rules."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="files", verbose_name=_("会议"))
    file = models.FileField(_("文件"), upload_to=meeting_file_path)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta(AttachedFile.Meta):
        verbose_name = _("会议佐证")
        verbose_name_plural = pgettext_lazy("plural", "会议佐证")


class KindYear(models.Model):
    """A kind's state in an organization's year, stored by meetings.progress from the held meetings."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="life_kind_years", verbose_name=_("党组织")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.ForeignKey(MeetingKind, on_delete=models.CASCADE, related_name="+", verbose_name=_("会议类型"))
    period = models.CharField(_("周期"), max_length=16, choices=Period.choices)
    count = models.PositiveSmallIntegerField(_("每周期至少次数"))
    warning = models.CharField(_("预警"), max_length=8, choices=Light.choices, default=Light.GREEN)
    required_total = models.PositiveSmallIntegerField(_("全年应召开"), default=0)
    held_total = models.PositiveSmallIntegerField(_("全年已召开（计入）"), default=0)
    period_required = models.PositiveSmallIntegerField(_("本期应召开"), default=0)
    period_done = models.PositiveSmallIntegerField(_("本期已召开"), default=0)
    next_due = models.DateField(_("下一期限"), null=True, blank=True)
    late_periods = models.PositiveSmallIntegerField(_("逾期期数"), default=0)
    missed_periods = models.PositiveSmallIntegerField(_("未召开期数"), default=0)
    expected_total = models.PositiveIntegerField(_("应到人次"), default=0)
    present_total = models.PositiveIntegerField(_("实到人次"), default=0)
    state_date = models.DateField(_("状态计算日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("组织生活年度情况")
        verbose_name_plural = pgettext_lazy("plural", "组织生活年度情况")
        ordering = ["kind__order", "kind_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year", "kind"], name="one_kind_year_per_organization"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.year} {self.kind}"


class LifeYear(models.Model):
    """An organization's year of organizational life in one row: what the committee's pages sum over a subtree."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="life_years", verbose_name=_("党组织")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    warning = models.CharField(_("预警"), max_length=8, choices=Light.choices, default=Light.GREEN)
    required_total = models.PositiveIntegerField(_("应召开"), default=0)
    held_total = models.PositiveIntegerField(_("已召开（计入）"), default=0)
    late_periods = models.PositiveIntegerField(_("逾期期数"), default=0)
    missed_periods = models.PositiveIntegerField(_("未召开期数"), default=0)
    meetings_held = models.PositiveIntegerField(_("召开会议"), default=0)
    expected_total = models.PositiveIntegerField(_("应到人次"), default=0)
    present_total = models.PositiveIntegerField(_("实到人次"), default=0)
    lectures_by_secretary = models.PositiveSmallIntegerField(_("书记讲党课"), default=0)
    members = models.PositiveIntegerField(_("党员"), default=0)
    members_unseen = models.PositiveIntegerField(_("全年未参加组织生活的党员"), default=0)
    migrants = models.PositiveIntegerField(_("流动党员"), default=0)
    migrants_unreached = models.PositiveIntegerField(_("全年未参加组织生活的流动党员"), default=0)
    state_date = models.DateField(_("状态计算日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("组织生活年度汇总")
        verbose_name_plural = pgettext_lazy("plural", "组织生活年度汇总")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="one_life_year_per_organization"),
        ]
        indexes = [models.Index(fields=["year", "warning"], name="life_year_warning_idx")]

    def __str__(self) -> str:
        return f"{self.organization} {self.year}"


class LifeLateMark(models.Model):
    """逾期记录 of organizational life: a period of a kind that went late or was missed, never changed afterwards."""

    class Outcome(models.TextChoices):
        LATE = "late", _("逾期召开")
        MISSED = "missed", _("逾期未召开")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="life_late_marks", verbose_name=_("党组织")
    )
    kind = models.ForeignKey(MeetingKind, on_delete=models.PROTECT, related_name="+", verbose_name=_("会议类型"))
    period = models.CharField(_("当时周期"), max_length=16, choices=Period.choices)
    count = models.PositiveSmallIntegerField(_("当时每周期次数"))
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    outcome = models.CharField(_("情况"), max_length=8, choices=Outcome.choices)
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("组织生活逾期记录")
        verbose_name_plural = pgettext_lazy("plural", "组织生活逾期记录")
        ordering = ["period_start", "kind_id", "recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "period_start", "period_end", "outcome"],
                name="one_life_late_mark_per_period_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period_start}–{self.period_end} {self.get_outcome_display()}"


class ItemLink(models.Model):
    """Which kind of meeting a list item counts (一次录入，多处使用): set by the rules from the item's words, or by
    hand on the item, which the rules then leave alone. No row, or no kind, counts no meeting."""

    item = models.OneToOneField(
        ListItem, on_delete=models.CASCADE, related_name="meeting_link", verbose_name=_("清单条目")
    )
    kind = models.ForeignKey(
        MeetingKind, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("计入的会议类型")
    )
    by_hand = models.BooleanField(_("人工指定"), default=False)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who set it by hand and when stay on the row; the records it writes and removes are in their own history.
    set_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        verbose_name = _("条目计入的会议")
        verbose_name_plural = pgettext_lazy("plural", "条目计入的会议")

    def __str__(self) -> str:
        return f"{self.item} ← {self.kind or '-'}"


class MeetingRecord(models.Model):
    """The duty record a held meeting wrote on a list item it fulfils: the meeting is the record's evidence."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="records", verbose_name=_("会议"))
    record = models.OneToOneField(
        DutyRecord, on_delete=models.CASCADE, related_name="meeting_link", verbose_name=_("履责记实")
    )

    class Meta:
        verbose_name = _("会议生成的记实")
        verbose_name_plural = pgettext_lazy("plural", "会议生成的记实")

    def __str__(self) -> str:
        return f"{self.meeting} → {self.record_id}"
