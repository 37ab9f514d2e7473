"""述职评议考核: the yearly review of each secretary's duty report.

A committee opens a `Cycle` over chosen subordinate organizations with weights,
grade bands, override rules and a rubric copied from a template. Each
organization's secretary writes a `DutyReport`; assigned reviewers score it
indicator by indicator; members cast anonymous `Ballot`s with one-time codes; at
closing the committee's figures become an immutable `Result` per report.

The arithmetic lives in `reviews/scoring.py`, the workflow in `reviews/services.py`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.history import audited
from accounts.models import Organization

DEFAULT_SECTIONS = ["履职情况", "存在问题", "原因分析", "下步打算"]


class IndicatorKind(models.TextChoices):
    STANDARD = "standard", _("考核指标")
    BONUS = "bonus", _("加分项")
    DEDUCTION = "deduction", _("扣分项")
    VETO = "veto", _("一票否决")


class Rating(models.TextChoices):
    """民主测评 ratings and the grades of a result share these four words."""

    GOOD = "good", _("好")
    FAIR = "fair", _("较好")
    AVERAGE = "average", _("一般")
    POOR = "poor", _("差")


class Classification(models.TextChoices):
    ADVANCED = "advanced", _("先进")
    STANDARD = "standard", _("达标")
    LAGGING = "lagging", _("后进")


class RubricTemplate(models.Model):
    """考核指标模板 kept by a committee; a cycle copies it, so later edits never touch a running cycle."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="rubric_templates", verbose_name=_("党组织")
    )
    name = models.CharField(_("名称"), max_length=128)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考核指标模板")
        verbose_name_plural = _("考核指标模板")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class IndicatorBase(models.Model):
    category = models.CharField(_("指标类别"), max_length=64)
    name = models.CharField(_("指标"), max_length=200)
    guidance = models.TextField(_("评分细则"), blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=IndicatorKind.choices, default=IndicatorKind.STANDARD)
    # Standard: the most points; bonus and deduction: the cap of the sum; veto: unused.
    max_points = models.DecimalField(_("分值"), max_digits=5, decimal_places=1, default=Decimal("0"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class TemplateIndicator(IndicatorBase):
    template = models.ForeignKey(
        RubricTemplate, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("模板")
    )

    class Meta(IndicatorBase.Meta):
        verbose_name = _("模板指标")
        verbose_name_plural = _("模板指标")


class Cycle(models.Model):
    """A year's review run by a committee over chosen subordinate organizations."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("筹备中")
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="review_cycles", verbose_name=_("组织单位")
    )
    year = models.PositiveSmallIntegerField(_("考核年度"))
    title = models.CharField(_("名称"), max_length=128)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)

    report_due = models.DateField(_("述职报告截止"))
    scoring_due = models.DateField(_("评分截止"))
    ballot_opens = models.DateField(_("民主测评开始"))
    ballot_closes = models.DateField(_("民主测评结束"))

    weight_daily = models.PositiveSmallIntegerField(_("日常考核权重"), default=40)
    weight_review = models.PositiveSmallIntegerField(_("述职评议权重"), default=30)
    weight_ballot = models.PositiveSmallIntegerField(_("民主测评权重"), default=30)

    # Grade bands: a composite at or above each floor earns that grade; below the last, 差.
    band_good = models.DecimalField(_("“好”的最低分"), max_digits=5, decimal_places=1, default=Decimal("90"))
    band_fair = models.DecimalField(_("“较好”的最低分"), max_digits=5, decimal_places=1, default=Decimal("80"))
    band_average = models.DecimalField(_("“一般”的最低分"), max_digits=5, decimal_places=1, default=Decimal("60"))
    # Overrides: more than this share of valid ballots rating 差 makes the grade 差; a veto hit always does.
    poor_ballot_share = models.DecimalField(
        _("“差”票比例超过即定为差"), max_digits=4, decimal_places=3, default=Decimal("0.333")
    )
    # Ballot points per rating (民主测评得分 = Σ points × count ÷ valid ballots).
    points_good = models.PositiveSmallIntegerField(_("“好”票分值"), default=100)
    points_fair = models.PositiveSmallIntegerField(_("“较好”票分值"), default=80)
    points_average = models.PositiveSmallIntegerField(_("“一般”票分值"), default=60)
    points_poor = models.PositiveSmallIntegerField(_("“差”票分值"), default=40)
    # 去掉一个最高分和一个最低分 when at least five reviewers scored.
    trim_extremes = models.BooleanField(_("去掉最高分和最低分"), default=True)
    # Classification thresholds on the composite (分类定级).
    advanced_floor = models.DecimalField(_("“先进”的最低分"), max_digits=5, decimal_places=1, default=Decimal("90"))
    standard_floor = models.DecimalField(_("“达标”的最低分"), max_digits=5, decimal_places=1, default=Decimal("60"))
    sections = models.JSONField(_("报告栏目"), default=list)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    opened_at = models.DateTimeField(_("启动时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    history = audited()

    class Meta:
        verbose_name = _("述职评议考核")
        verbose_name_plural = _("述职评议考核")
        ordering = ["-year", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_daily__lte=100) & Q(weight_review__lte=100) & Q(weight_ballot__lte=100),
                name="cycle_weights_in_range",
            ),
            models.CheckConstraint(
                condition=Q(band_good__gte=F("band_fair")) & Q(band_fair__gte=F("band_average")),
                name="cycle_bands_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    def section_titles(self) -> list[str]:
        return list(self.sections or DEFAULT_SECTIONS)


class Indicator(IndicatorBase):
    """A cycle's own copy of a rubric indicator."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("考核"))

    class Meta(IndicatorBase.Meta):
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")


class DutyReport(models.Model):
    """述职报告: one per organization in a cycle, written by its secretary."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("撰写中")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("退回修改")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="reports", verbose_name=_("考核"))
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="duty_reports", verbose_name=_("党组织")
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    # {section title: sanitized HTML}
    sections = models.JSONField(_("报告内容"), default=dict)
    # Bumped on every save: an autosave from a stale page is refused instead of overwriting.
    revision = models.PositiveIntegerField(_("修订号"), default=0)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_edited_at = models.DateTimeField(_("最后编辑"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True)

    # The committee's part.
    comment = models.TextField(_("点评意见"), blank=True)
    daily_score = models.DecimalField(_("日常考核得分（人工）"), max_digits=5, decimal_places=1, null=True, blank=True)
    daily_reason = models.CharField(_("人工评定理由"), max_length=500, blank=True)

    history = audited()

    class Meta:
        verbose_name = _("述职报告")
        verbose_name_plural = _("述职报告")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "organization"], name="one_report_per_org_cycle"),
        ]
        indexes = [models.Index(fields=["cycle", "status"], name="report_cycle_status_idx")]

    def __str__(self) -> str:
        return f"{self.organization} · {self.cycle}"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED) and not self.cycle.is_closed


class ReportVersion(models.Model):
    """Each submission, frozen: every submitted version stays readable."""

    report = models.ForeignKey(DutyReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本"))
    sections = models.JSONField(_("报告内容"))
    self_assessment = models.JSONField(_("自评"), default=list)
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Staff may submit for the secretary; the record says so.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("述职报告版本")
        verbose_name_plural = _("述职报告版本")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="one_report_version_number")]

    def __str__(self) -> str:
        return f"{self.report} v{self.number}"


class SelfAssessment(models.Model):
    """自评: the organization's own score per indicator, with duty records as evidence."""

    report = models.ForeignKey(DutyReport, on_delete=models.CASCADE, related_name="self_assessments")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(_("自评分"), max_digits=5, decimal_places=1, null=True, blank=True)
    note = models.TextField(_("自评说明"), blank=True)
    records = models.ManyToManyField("responsibility.DutyRecord", blank=True, related_name="+")

    class Meta:
        verbose_name = _("自评")
        verbose_name_plural = _("自评")
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="one_self_assessment_per_indicator"),
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.indicator}"


class ReviewerAssignment(models.Model):
    """A reviewer assigned to a report; their scores stay hidden from the others until they submit."""

    report = models.ForeignKey(DutyReport, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments")
    comment = models.TextField(_("评议意见"), blank=True)
    submitted_at = models.DateTimeField(_("评分提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评议人")
        verbose_name_plural = _("评议人")
        constraints = [models.UniqueConstraint(fields=["report", "reviewer"], name="one_assignment_per_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.report}"


class Score(models.Model):
    """One reviewer's points on one indicator (for a veto indicator: whether it was hit)."""

    assignment = models.ForeignKey(ReviewerAssignment, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, default=Decimal("0"))
    vetoed = models.BooleanField(_("触发否决"), default=False)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "indicator"], name="one_score_per_indicator"),
            models.CheckConstraint(condition=Q(points__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.indicator}: {self.points}"


class Problem(models.Model):
    """A problem the committee found in the report: one entry each, ready to become a rectification finding."""

    report = models.ForeignKey(DutyReport, on_delete=models.CASCADE, related_name="problems")
    text = models.TextField(_("问题"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("发现问题")
        verbose_name_plural = _("发现问题")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class BallotCode(models.Model):
    """A one-time code handed to a member. It never records which ballot it cast."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="ballot_codes")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("测评码"), max_length=32, unique=True)
    is_used = models.BooleanField(_("已使用"), default=False)
    batch = models.PositiveSmallIntegerField(_("批次"), default=1)

    class Meta:
        verbose_name = _("测评码")
        verbose_name_plural = _("测评码")
        indexes = [models.Index(fields=["cycle", "organization", "is_used"], name="ballot_code_org_idx")]

    def __str__(self) -> str:
        return self.code


class Ballot(models.Model):
    """A cast vote, stored apart from the codes: a random key and no time, so nothing ties it to a code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="ballots")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    rating = models.CharField(_("总体评价"), max_length=16, choices=Rating.choices)
    # Optional per-item ratings: {item label: rating}.
    item_ratings = models.JSONField(_("分项评价"), default=dict, blank=True)

    class Meta:
        verbose_name = _("测评票")
        verbose_name_plural = _("测评票")
        indexes = [models.Index(fields=["cycle", "organization"], name="ballot_cycle_org_idx")]

    def __str__(self) -> str:
        return f"{self.organization} {self.get_rating_display()}"


class Result(models.Model):
    """The closed cycle's verdict on one report; written once at closing and never changed."""

    report = models.OneToOneField(DutyReport, on_delete=models.CASCADE, related_name="result")
    daily_score = models.DecimalField(_("日常考核"), max_digits=5, decimal_places=1)
    review_score = models.DecimalField(_("述职评议"), max_digits=5, decimal_places=1)
    ballot_score = models.DecimalField(_("民主测评"), max_digits=5, decimal_places=1)
    composite = models.DecimalField(_("综合得分"), max_digits=5, decimal_places=1)
    grade = models.CharField(_("等次"), max_length=16, choices=Rating.choices)
    grade_reason = models.CharField(_("等次说明"), max_length=200, blank=True)
    rank = models.PositiveIntegerField(_("排名"))
    classification = models.CharField(_("分类定级"), max_length=16, choices=Classification.choices)
    ballots_valid = models.PositiveIntegerField(_("有效票数"), default=0)
    ballots_poor = models.PositiveIntegerField(_("“差”票数"), default=0)
    reviewers = models.PositiveSmallIntegerField(_("评分人数"), default=0)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["rank"]

    def __str__(self) -> str:
        return f"{self.report} {self.composite}"


class RenderedReport(models.Model):
    """A yearly PDF rendered in the background: an organization's report, or a committee's summary."""

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", _("年度报告")
        SUMMARY = "summary", _("年度汇总")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RENDERING = "rendering", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="rendered_reports")
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(_("文件"), upload_to="reports/", max_length=200, blank=True)
    error = models.TextField(_("失败原因"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("年度报告文件")
        verbose_name_plural = _("年度报告文件")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # Asking again while one renders does not start a second.
            models.UniqueConstraint(
                fields=["organization", "year", "kind"],
                condition=Q(status__in=["queued", "rendering"]),
                name="one_render_in_flight",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.year} {self.get_kind_display()}"
