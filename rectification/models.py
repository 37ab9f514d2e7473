"""整改 and 督查: problems found become tasks that are followed until the committee closes them.

An `Inspection` (定期检查 / 随机抽查 / 集中督查) checks organizations of a committee's
subtree and raises `Finding`s; so do review comments (a review `Problem` becomes a
finding without retyping), self-checks and member feedback. A finding worded like one
of the same organization in an earlier year is linked to it as a suggestion, and it
counts as recurring (年年是问题) once the committee confirms the link. A
`RectificationTask` covers one or more findings and moves through
`services.TASK_TRANSITIONS`; every step is a `TaskEvent` in its timeline.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.history import audited
from accounts.models import Organization
from foundation.files import AttachedFile, stored_file_name


class Inspection(models.Model):
    """督查: a committee's planned check of organizations in its subtree."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("定期检查")
        RANDOM = "random", _("随机抽查")
        CONCENTRATED = "concentrated", _("集中督查")

    class Status(models.TextChoices):
        PLANNED = "planned", _("计划中")
        IN_PROGRESS = "in_progress", _("检查中")
        DONE = "done", _("已完成")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="inspections", verbose_name=_("组织单位")
    )
    kind = models.CharField(_("方式"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("名称"), max_length=200)
    year = models.PositiveSmallIntegerField(_("年度"))
    planned_on = models.DateField(_("计划日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    # A random draw is recorded so that anyone can re-run it: the same seed, the same
    # candidates (by path) and the same size give the same organizations.
    draw_seed = models.CharField(_("抽取种子"), max_length=64, blank=True)
    draw_size = models.PositiveSmallIntegerField(_("抽取数量"), null=True, blank=True)
    draw_per_sector = models.BooleanField(_("按领域分别抽取"), default=False)
    draw_kind = models.CharField(_("抽取范围"), max_length=32, blank=True)
    draw_candidates = models.PositiveIntegerField(_("候选组织数"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("督查")
        verbose_name_plural = pgettext_lazy("plural", "督查")
        ordering = ["-planned_on", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        """Completed (完成督查): its results are final, nothing more is recorded."""
        return self.status == self.Status.DONE


class ChecklistItem(models.Model):
    """检查要点; may be copied from a review rubric indicator."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(_("检查要点"), max_length=300)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("检查要点")
        verbose_name_plural = pgettext_lazy("plural", "检查要点")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class InspectionTarget(models.Model):
    """An organization being inspected, and what the inspection concluded about it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待检查")
        GOOD = "good", _("好")
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="targets")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="inspection_targets")
    outcome = models.CharField(_("检查结果"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    notes = models.TextField(_("检查情况"), blank=True)
    checked_on = models.DateField(_("检查日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("被检查组织")
        verbose_name_plural = pgettext_lazy("plural", "被检查组织")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "organization"], name="one_target_per_inspection_org"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection} · {self.organization}"


class Finding(models.Model):
    """问题: one problem found in one organization, from wherever it was found."""

    class Source(models.TextChoices):
        REVIEW = "review", _("述职评议")
        INSPECTION = "inspection", _("督查检查")
        SELF_CHECK = "self_check", _("自查")
        FEEDBACK = "feedback", _("党员群众反映")

    class Severity(models.TextChoices):
        MINOR = "minor", _("一般")
        MAJOR = "major", _("较重")
        SEVERE = "severe", _("严重")

    class Recurrence(models.TextChoices):
        """The committee's word on a link to an earlier year's finding (blank: no link)."""

        SUGGESTED = "suggested", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("不是同一问题")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="findings", verbose_name=_("党组织")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    description = models.TextField(_("问题描述"))
    category = models.ForeignKey(
        "responsibility.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("类别")
    )
    severity = models.CharField(_("严重程度"), max_length=16, choices=Severity.choices, default=Severity.MINOR)
    inspection = models.ForeignKey(
        Inspection, on_delete=models.SET_NULL, null=True, blank=True, related_name="findings", verbose_name=_("督查")
    )
    problem = models.OneToOneField(
        "reviews.Problem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="finding",
        verbose_name=_("点评问题"),
    )
    # 年年提问题、年年是问题: the earlier year's finding of the same organization this one is worded like
    # (services.earlier_alike). Only a link the committee confirmed makes the finding recurring; a rejected
    # one is kept so that it is not suggested again.
    recurring_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("往年同类问题")
    )
    recurring_likeness = models.PositiveSmallIntegerField(_("相似度"), null=True, blank=True)
    recurring_state = models.CharField(_("往年问题确认"), max_length=16, choices=Recurrence.choices, blank=True)
    task = models.ForeignKey(
        "RectificationTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("整改任务"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = pgettext_lazy("plural", "问题清单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "year"], name="finding_org_year_idx"),
            models.Index(fields=["year", "source"], name="finding_year_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(recurring_likeness__isnull=True) | Q(recurring_likeness__lte=100),
                name="finding_recurring_likeness_range",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:40]

    @property
    def is_recurring(self) -> bool:
        """年年是问题: the committee confirmed that an earlier year's finding was the same problem."""
        return self.recurring_of_id is not None and self.recurring_state == self.Recurrence.CONFIRMED

    @property
    def recurrence_to_confirm(self) -> bool:
        """A link suggested by the wording, waiting for the committee's 确认 or 不是同一问题."""
        return self.recurring_of_id is not None and self.recurring_state == self.Recurrence.SUGGESTED


class RectificationTask(models.Model):
    """整改任务: measures, standard, owner, leader, deadline and commitment for one or more findings."""

    class Status(models.TextChoices):
        AWAITING_PLAN = "awaiting_plan", _("待制定方案")
        IN_PROGRESS = "in_progress", _("整改中")
        AWAITING_ACCEPTANCE = "awaiting_acceptance", _("申请销号")
        ACCEPTED = "accepted", _("已销号")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="rectification_tasks", verbose_name=_("整改单位")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("整改事项"), max_length=200)
    measures = models.TextField(_("整改措施"), blank=True)
    standard = models.TextField(_("整改标准"), blank=True)
    commitment = models.TextField(_("整改承诺"), blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rectification_tasks", verbose_name=_("责任人")
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任领导"),
    )
    deadline = models.DateField(_("整改时限"))
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.AWAITING_PLAN)
    returned_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    accepted_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The committee took it over as supervised work (督办), and what it did about weak rectification.
    supervised = models.BooleanField(_("挂牌督办"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("下达时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("整改任务")
        verbose_name_plural = pgettext_lazy("plural", "整改任务")
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(fields=["status", "deadline"], name="task_status_deadline_idx"),
            models.Index(fields=["organization", "year"], name="task_org_year_idx"),
            models.Index(fields=["responsible", "status"], name="task_responsible_idx"),
            # The board's order (open work first, then by deadline) read straight off an index: at
            # province scale sorting the year's 300,000 tasks for one page cost a third of a second.
            models.Index(
                F("year"),
                Case(When(status="accepted", then=Value(1)), default=Value(0)),
                F("deadline"),
                name="task_board_order_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.ACCEPTED

    def overdue_days(self, today: date) -> int:
        """Days past the deadline of an open task (0 when on time or closed)."""
        if not self.is_open or today <= self.deadline:
            return 0
        return (today - self.deadline).days


class TaskEvent(models.Model):
    """One step of a task's timeline; the timeline is never edited, only added to."""

    class Kind(models.TextChoices):
        CREATED = "created", _("下达任务")
        PLANNED = "planned", _("制定整改方案")
        PROGRESS = "progress", _("报告进展")
        SUBMITTED = "submitted", _("申请销号")
        RETURNED = "returned", _("退回")
        ACCEPTED = "accepted", _("验收销号")
        EXTENSION_REQUESTED = "extension_requested", _("申请延期")
        EXTENSION_APPROVED = "extension_approved", _("同意延期")
        EXTENSION_REJECTED = "extension_rejected", _("不同意延期")
        SUPERVISED = "supervised", _("挂牌督办")
        MEASURE = "measure", _("问责措施")

    task = models.ForeignKey(RectificationTask, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事项"), max_length=24, choices=Kind.choices)
    text = models.TextField(_("说明"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改记录")
        verbose_name_plural = pgettext_lazy("plural", "整改记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.task} {self.get_kind_display()}"


def task_evidence_path(instance: TaskEvidence, filename: str) -> str:
    return stored_file_name("rectification", instance.event.task.organization_id, filename)


class TaskEvidence(AttachedFile):
    """A file attached to a progress update, under the same rules as duty-record evidence."""

    event = models.ForeignKey(TaskEvent, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), upload_to=task_evidence_path, max_length=200)

    class Meta(AttachedFile.Meta):
        verbose_name = _("整改佐证")
        verbose_name_plural = pgettext_lazy("plural", "整改佐证")


class ExtensionRequest(models.Model):
    """A request to move the deadline; the committee decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已同意")
        REJECTED = "rejected", _("未同意")

    task = models.ForeignKey(RectificationTask, on_delete=models.CASCADE, related_name="extensions")
    requested_deadline = models.DateField(_("申请延至"))
    reason = models.TextField(_("延期理由"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    history = audited()

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = pgettext_lazy("plural", "延期申请")
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(status="pending"), name="one_pending_extension_per_task"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} → {self.requested_deadline}"


class Disclosure(models.Model):
    """党务公开 of an organization's rectification list for a year, published by its committee."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="rectification_disclosures")
    year = models.PositiveSmallIntegerField(_("年度"))
    hide_names = models.BooleanField(_("隐去责任人姓名"), default=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("公开时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改公开")
        verbose_name_plural = pgettext_lazy("plural", "整改公开")
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="one_disclosure_per_org_year")]

    def __str__(self) -> str:
        return f"{self.organization} {self.year}"
