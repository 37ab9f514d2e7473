"""Responsibility lists and duty records: 确权定责、清单明责、规范履责.

A committee issues its year's work points (年度工作要点); every organization keeps
one responsibility list (责任清单) a year whose items say who answers for what and
how often; duty records (履责记实) with evidence are counted against each item's
target, and the item's warning colour (红黄绿) follows from time left against
progress. The colour and counts are stored on the item and list so that pages over
a province's subtree read them without recomputing.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.history import audited
from accounts.models import Organization, Position
from foundation.files import AttachedFile, stored_file_name


class Category(models.Model):
    """责任类别: a configurable set; six defaults are created by the first migration."""

    name = models.CharField(_("名称"), max_length=32, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("责任类别")
        verbose_name_plural = pgettext_lazy("plural", "责任类别")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class DutyType(models.TextChoices):
    """Whose duty an item is."""

    ORGANIZATION = "organization", _("主体责任")
    FIRST = "first", _("第一责任人")
    DIRECT = "direct", _("直接责任人")
    DUAL = "dual", _("一岗双责")


class Period(models.TextChoices):
    """How often a counted target repeats; ONCE means a single due date."""

    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    HALF = "half", _("每半年")
    YEAR = "year", _("每年")
    ONCE = "once", _("限期完成")


class Light(models.TextChoices):
    """红黄绿灯: the warning colour of an item or a list."""

    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")


def target_label(period: str, count: int, due_date: date | None) -> str:
    """A target as people read it: "每季度至少 1 次", or "2026年11月23日 前完成" for a one-off."""
    if period == Period.ONCE and due_date:
        return gettext("%(date)s 前完成") % {"date": date_format(due_date)}
    return gettext("%(period)s至少 %(count)s 次") % {"period": Period(period).label, "count": count}


class WorkPlan(models.Model):
    """年度工作要点: a committee's points for a year, seen by its whole subtree once published."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="work_plans", verbose_name=_("党组织")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=128)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("年度工作要点")
        verbose_name_plural = pgettext_lazy("plural", "年度工作要点")
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="one_work_plan_per_org_year")]
        indexes = [models.Index(fields=["year", "published_at"], name="work_plan_year_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class WorkPoint(models.Model):
    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="points", verbose_name=_("工作要点"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("类别"))
    text = models.CharField(_("内容"), max_length=500)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    history = audited()

    class Meta:
        verbose_name = _("工作要点条目")
        verbose_name_plural = pgettext_lazy("plural", "工作要点条目")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class ListTemplate(models.Model):
    """清单模板 a committee publishes, e.g. one per sector; a subordinate list starts from one."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="list_templates", verbose_name=_("发布组织")
    )
    name = models.CharField(_("名称"), max_length=128)
    sector = models.CharField(_("适用领域"), max_length=32, choices=Organization.Sector.choices, blank=True)
    is_published = models.BooleanField(_("已发布"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("清单模板")
        verbose_name_plural = pgettext_lazy("plural", "清单模板")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class TemplateItem(models.Model):
    template = models.ForeignKey(ListTemplate, on_delete=models.CASCADE, related_name="items", verbose_name=_("模板"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("类别"))
    duty_type = models.CharField(_("责任类型"), max_length=16, choices=DutyType.choices)
    content = models.CharField(_("内容"), max_length=500)
    target_period = models.CharField(_("周期"), max_length=16, choices=Period.choices, default=Period.YEAR)
    target_count = models.PositiveSmallIntegerField(_("每周期次数"), default=1)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("模板条目")
        verbose_name_plural = pgettext_lazy("plural", "模板条目")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(target_count__gte=1), name="template_item_target_positive"),
        ]

    def __str__(self) -> str:
        return self.content


class ResponsibilityList(models.Model):
    """责任清单: one per organization and year, approved by the committee one level up."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已审定")
        RETURNED = "returned", _("已退回")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="responsibility_lists", verbose_name=_("党组织")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    template = models.ForeignKey(
        ListTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("来源模板")
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    review_comment = models.TextField(_("审核意见"), blank=True)
    # Closed once the year's assessment is done: no more records, no more changes.
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    # Denormalized from the items (progress.refresh_list) so subtree pages filter and
    # count without touching items or records.
    warning = models.CharField(_("预警"), max_length=8, choices=Light.choices, default=Light.GREEN)
    red_items = models.PositiveIntegerField(_("红灯条目"), default=0)
    yellow_items = models.PositiveIntegerField(_("黄灯条目"), default=0)
    green_items = models.PositiveIntegerField(_("绿灯条目"), default=0)
    late_items = models.PositiveIntegerField(_("曾逾期条目"), default=0)
    required_total = models.PositiveIntegerField(_("全年应完成次数"), default=0)
    done_total = models.PositiveIntegerField(_("全年已完成次数"), default=0)

    history = audited()

    class Meta:
        verbose_name = _("责任清单")
        verbose_name_plural = pgettext_lazy("plural", "责任清单")
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="one_list_per_org_year")]
        indexes = [
            models.Index(fields=["year", "warning"], name="list_year_warning_idx"),
            models.Index(fields=["year", "status"], name="list_year_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.year}"

    @property
    def is_editable(self) -> bool:
        """Items may change only in a draft or a returned list; approval locks them."""
        return self.closed_at is None and self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def is_submitted(self) -> bool:
        """待审核: waiting for the committee above, its items locked meanwhile."""
        return self.status == self.Status.SUBMITTED

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_returned(self) -> bool:
        """退回: the committee's comment waits for the organization's answer."""
        return self.status == self.Status.RETURNED

    @property
    def completion_rate(self) -> int:
        """Percent of the year's required records done (on time or late)."""
        if not self.required_total:
            return 0
        return round(100 * min(self.done_total, self.required_total) / self.required_total)


class ListVersion(models.Model):
    """An approved version of a list, frozen as it was approved; earlier versions stay readable."""

    list = models.ForeignKey(
        ResponsibilityList, on_delete=models.CASCADE, related_name="versions", verbose_name=_("责任清单")
    )
    number = models.PositiveSmallIntegerField(_("版本"))
    items = models.JSONField(_("条目"))
    approved_at = models.DateTimeField(_("审定时间"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("审定人")
    )
    comment = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("清单版本")
        verbose_name_plural = pgettext_lazy("plural", "清单版本")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["list", "number"], name="one_list_version_number")]

    def __str__(self) -> str:
        return f"{self.list} v{self.number}"


class ListItem(models.Model):
    """One duty in a list: who answers for what, how often."""

    list = models.ForeignKey(
        ResponsibilityList, on_delete=models.CASCADE, related_name="items", verbose_name=_("责任清单")
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("类别"))
    duty_type = models.CharField(_("责任类型"), max_length=16, choices=DutyType.choices)
    content = models.CharField(_("内容"), max_length=500)
    target_period = models.CharField(_("周期"), max_length=16, choices=Period.choices, default=Period.YEAR)
    target_count = models.PositiveSmallIntegerField(_("每周期次数"), default=1)
    due_date = models.DateField(_("完成期限"), null=True, blank=True)
    work_point = models.ForeignKey(
        WorkPoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="list_items",
        verbose_name=_("落实的工作要点"),
    )
    responsible = models.ForeignKey(
        Position,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="list_items",
        verbose_name=_("责任人"),
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    # Stored by progress.refresh_items: the colour and today's figures. `late_periods` and
    # `missed_periods` are counted from the item's LateMarks, not from today's target, so no edit
    # lowers them: a period counts as late if it was ever completed late, else as missed.
    warning = models.CharField(_("预警"), max_length=8, choices=Light.choices, default=Light.GREEN)
    required_total = models.PositiveSmallIntegerField(_("全年应完成次数"), default=0)
    done_total = models.PositiveSmallIntegerField(_("全年已完成次数"), default=0)
    period_required = models.PositiveSmallIntegerField(_("本期应完成"), default=0)
    period_done = models.PositiveSmallIntegerField(_("本期已完成"), default=0)
    next_due = models.DateField(_("下一期限"), null=True, blank=True)
    late_periods = models.PositiveSmallIntegerField(_("逾期期数"), default=0)
    missed_periods = models.PositiveSmallIntegerField(_("未完成期数"), default=0)
    state_date = models.DateField(_("状态计算日期"), null=True, blank=True)

    history = audited()

    class Meta:
        verbose_name = _("清单条目")
        verbose_name_plural = pgettext_lazy("plural", "清单条目")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(target_count__gte=1), name="list_item_target_positive"),
            models.CheckConstraint(
                condition=~Q(target_period="once") | Q(due_date__isnull=False),
                name="list_item_once_has_due_date",
            ),
        ]
        indexes = [models.Index(fields=["list", "warning"], name="list_item_warning_idx")]

    def __str__(self) -> str:
        return self.content

    @property
    def was_overdue(self) -> bool:
        """曾逾期: the item has at least one LateMark (late_periods and missed_periods are counted from them)."""
        return bool(self.late_periods or self.missed_periods)

    def target_label(self) -> str:
        return target_label(self.target_period, self.target_count, self.due_date)


class LateMark(models.Model):
    """逾期记录: a period of an item that went late or was missed, kept as a fact of the year's record.

    Written by progress.refresh_items the first time it sees the period late or missed, with the
    item's content and target copied as they were then; nothing updates or deletes a mark. Editing
    the item (its text, target, period or due date) or revising the list changes what later periods
    are judged against, never what is already on the record, and the list's 曾逾期 figures are
    counted from the marks, so they only grow.
    """

    class Outcome(models.TextChoices):
        LATE = "late", _("逾期完成")
        MISSED = "missed", _("逾期未完成")

    # The list goes with its organization only; the admin refuses because marks may not be deleted there.
    list = models.ForeignKey(
        ResponsibilityList, on_delete=models.CASCADE, related_name="late_marks", verbose_name=_("责任清单")
    )
    # RESTRICT, not SET_NULL: an item with marks carries part of the year's record, so it may not be
    # deleted on its own (services.list_item_remove refuses with a message first); it goes only with
    # its whole list.
    item = models.ForeignKey(ListItem, on_delete=models.RESTRICT, related_name="late_marks", verbose_name=_("清单条目"))
    content = models.CharField(_("当时内容"), max_length=500)
    target_period = models.CharField(_("当时周期"), max_length=16, choices=Period.choices)
    target_count = models.PositiveSmallIntegerField(_("当时每周期次数"))
    due_date = models.DateField(_("当时完成期限"), null=True, blank=True)
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    # A period seen missed and completed afterwards gets a second mark, 逾期完成: both were true
    # when recorded, and no row ever changes.
    outcome = models.CharField(_("情况"), max_length=8, choices=Outcome.choices)
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("逾期记录")
        verbose_name_plural = pgettext_lazy("plural", "逾期记录")
        ordering = ["period_start", "period_end", "recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "period_start", "period_end", "outcome"], name="one_late_mark_per_item_period_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content[:30]} {self.period_start}–{self.period_end} {self.get_outcome_display()}"

    def target_label(self) -> str:
        """The target as it was when the mark was recorded."""
        return target_label(self.target_period, self.target_count, self.due_date)


class DutyRecord(models.Model):
    """履责记实 "一事一记": a dated record of work done against a list item."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审阅")
        ACCEPTED = "accepted", _("已认可")
        RETURNED = "returned", _("已驳回")

    class PersonalAction(models.TextChoices):
        DEPLOY = "deploy", _("亲自部署")
        INQUIRE = "inquire", _("亲自过问")
        COORDINATE = "coordinate", _("亲自协调")
        SUPERVISE = "supervise", _("亲自督办")

    item = models.ForeignKey(ListItem, on_delete=models.PROTECT, related_name="records", verbose_name=_("清单条目"))
    # Copied from the item's list so that permission filters need no joins.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="duty_records", verbose_name=_("党组织")
    )
    occurred_on = models.DateField(_("履责日期"))
    content = models.TextField(_("履责内容"))
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="duty_records", verbose_name=_("履责人")
    )
    personal_action = models.CharField(_("书记亲自履责"), max_length=16, choices=PersonalAction.choices, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    review_reason = models.TextField(_("审阅意见"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审阅人"),
    )
    reviewed_at = models.DateTimeField(_("审阅时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    # When the record last started to count: its creation, or its resubmission after a
    # return. Whether a period was met on time is judged by this moment.
    submitted_at = models.DateTimeField(_("提交时间"))

    history = audited()

    class Meta:
        verbose_name = _("履责记实")
        verbose_name_plural = pgettext_lazy("plural", "履责记实")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["item", "occurred_on"], name="record_item_date_idx"),
            models.Index(fields=["organization", "status"], name="record_org_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.content[:30]}"

    @property
    def counts(self) -> bool:
        """A returned record does not count towards the target."""
        return self.status != self.Status.RETURNED

    @property
    def is_returned(self) -> bool:
        """驳回: its author sees the reason and corrects it."""
        return self.status == self.Status.RETURNED

    @property
    def is_accepted(self) -> bool:
        """认可: no longer changed by anyone."""
        return self.status == self.Status.ACCEPTED


def evidence_path(instance: Evidence, filename: str) -> str:
    return stored_file_name("evidence", instance.record.organization_id, filename)


class Evidence(AttachedFile):
    """A file attached to a duty record, stored under MEDIA_ROOT and served only through a checked view."""

    record = models.ForeignKey(
        DutyRecord, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("履责记实")
    )
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta(AttachedFile.Meta):
        verbose_name = _("佐证材料")
        verbose_name_plural = pgettext_lazy("plural", "佐证材料")


class PublicCommitment(models.Model):
    """公开承诺: the secretary's promise for the year, published with the list's completion rate."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("党组织")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    text = models.TextField(_("承诺内容"))
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("承诺人")
    )
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = audited()

    class Meta:
        verbose_name = _("公开承诺")
        verbose_name_plural = pgettext_lazy("plural", "公开承诺")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="one_commitment_per_org_year"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.year}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ContactPoint(models.Model):
    """书记联系点: a committee member takes a weak subordinate organization under personal guidance."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact_points", verbose_name=_("联系领导")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contact_points", verbose_name=_("联系点")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    reason = models.CharField(_("确定原因"), max_length=500)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("书记联系点")
        verbose_name_plural = pgettext_lazy("plural", "书记联系点")
        constraints = [
            models.UniqueConstraint(fields=["member", "organization", "year"], name="one_contact_point_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.organization}"


class ContactVisit(models.Model):
    contact_point = models.ForeignKey(
        ContactPoint, on_delete=models.CASCADE, related_name="visits", verbose_name=_("书记联系点")
    )
    visited_on = models.DateField(_("走访日期"))
    summary = models.TextField(_("指导内容"))
    problems = models.TextField(_("发现问题"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("联系点走访")
        verbose_name_plural = pgettext_lazy("plural", "联系点走访")
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.contact_point} {self.visited_on}"
