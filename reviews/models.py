"""述职评议考核: the yearly review of each secretary's duty report.

Why one long file: just over 600 lines on purpose, the tables of one review and their constraints read
together, and Django finds them here.

A committee opens a `Cycle` over chosen subordinate organizations with weights,
grade bands, override rules and a rubric copied from a template. Each
organization's secretary writes a `DutyReport`; assigned reviewers score it
indicator by indicator; members cast anonymous `Ballot`s with one-time codes; at
closing the committee's figures become an immutable `Result` per report.

The arithmetic lives in `reviews/scoring.py`, the workflow in `reviews/workflow.py` and `reviews/services/`.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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


class Grade(models.TextChoices):
    """A result's 等次: the four words of a rating, or 待定 when the cycle holds a grade with missing data."""

    GOOD = "good", _("好")
    FAIR = "fair", _("较好")
    AVERAGE = "average", _("一般")
    POOR = "poor", _("差")
    PENDING = "pending", _("待定")


class Classification(models.TextChoices):
    ADVANCED = "advanced", _("先进")
    STANDARD = "standard", _("达标")
    LAGGING = "lagging", _("后进")
    PENDING = "pending", _("待定")


class GradeRule(models.TextChoices):
    """Which rule decided a result's grade; every result names one."""

    VETO = "veto", _("触发一票否决，定为“差”")
    NOT_SUBMITTED = "not_submitted", _("未提交述职报告，定为“差”")
    POOR_BALLOTS = "poor_ballots", _("“差”票超过规定比例，定为“差”")
    PENDING = "pending", _("缺少考核数据，等次待定")
    BAND = "band", _("按综合得分分数段")


class MissingRule(models.TextChoices):
    """What a cycle does with a component that has no data (never a silent 0)."""

    REDISTRIBUTE = "redistribute", _("该项权重按比例分配给其余有数据的各项")
    PENDING = "pending", _("不计算综合得分，等次定为“待定”")


class Component(models.TextChoices):
    DAILY = "daily", _("日常考核")
    REVIEW = "review", _("述职评议")
    BALLOT = "ballot", _("民主测评")


class GapKind(models.TextChoices):
    """What may be missing when a cycle closes (see services.closing_gaps)."""

    BALLOTS_OPEN = "ballots_open", _("民主测评尚未结束")
    FEW_REVIEWERS = "few_reviewers", _("评分人数少于规定人数")
    REVIEWERS_PENDING = "reviewers_pending", _("评议人未提交评分")
    REPORT_MISSING = "report_missing", _("述职报告未提交")
    FEW_BALLOTS = "few_ballots", _("民主测评有效票少于规定票数")
    NO_DAILY = "no_daily", _("没有日常考核数据")


class RubricTemplate(models.Model):
    """考核指标模板 kept by a committee; a cycle copies it, so later edits never touch a running cycle."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="rubric_templates", verbose_name=_("党组织")
    )
    name = models.CharField(_("名称"), max_length=128)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考核指标模板")
        verbose_name_plural = pgettext_lazy("plural", "考核指标模板")
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
        verbose_name_plural = pgettext_lazy("plural", "模板指标")


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
    # 组织生活 in the daily assessment (一次录入，多处使用): the share of the daily score the year's meetings make,
    # from what the meetings stored (scoring.life_score); 0 leaves the daily score to the list alone.
    life_share = models.PositiveSmallIntegerField(_("日常考核中组织生活占比（%）"), default=0)
    life_late_deduction = models.DecimalField(
        _("组织生活每期逾期召开扣分"), max_digits=4, decimal_places=1, default=Decimal("2")
    )
    life_missed_deduction = models.DecimalField(
        _("组织生活每期未召开扣分"), max_digits=4, decimal_places=1, default=Decimal("5")
    )

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
    # Below this many valid ballots an organization's 民主测评 is not published: a handful of votes would
    # tell who voted what. Votes are also added to the counts in batches of this size (reviews.ballot_box).
    min_ballots = models.PositiveSmallIntegerField(_("民主测评最少有效票数"), default=5)
    # A submitted report scored by fewer reviewers than this holds the closing until the committee says why.
    min_reviewers = models.PositiveSmallIntegerField(_("最少评分人数"), default=3)
    missing_rule = models.CharField(
        _("缺项处理"), max_length=16, choices=MissingRule.choices, default=MissingRule.REDISTRIBUTE
    )
    # Every score and composite is an exact decimal rounded half up to this many places, everywhere.
    score_places = models.PositiveSmallIntegerField(
        _("得分保留小数位数"), choices=[(0, "0"), (1, "1"), (2, "2")], default=1
    )

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    opened_at = models.DateTimeField(_("启动时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    history = audited()

    class Meta:
        verbose_name = _("述职评议考核")
        verbose_name_plural = pgettext_lazy("plural", "述职评议考核")
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
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def life_list_share(self) -> int:
        """The list's part of the daily score when organizational life takes its share."""
        return 100 - self.life_share

    def section_titles(self) -> list[str]:
        return list(self.sections or DEFAULT_SECTIONS)


class Indicator(IndicatorBase):
    """A cycle's own copy of a rubric indicator."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("考核"))

    class Meta(IndicatorBase.Meta):
        verbose_name = _("考核指标")
        verbose_name_plural = pgettext_lazy("plural", "考核指标")


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
        verbose_name_plural = pgettext_lazy("plural", "述职报告")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "organization"], name="one_report_per_org_cycle"),
        ]
        indexes = [models.Index(fields=["cycle", "status"], name="report_cycle_status_idx")]

    def __str__(self) -> str:
        return f"{self.organization} · {self.cycle}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_returned(self) -> bool:
        return self.status == self.Status.RETURNED

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
        verbose_name_plural = pgettext_lazy("plural", "述职报告版本")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="one_report_version_number")]

    def __str__(self) -> str:
        return f"{self.report} v{self.number}"


class SelfAssessment(models.Model):
    """自评: the organization's own score per indicator, with duty records and held meetings as evidence."""

    report = models.ForeignKey(DutyReport, on_delete=models.CASCADE, related_name="self_assessments")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(_("自评分"), max_digits=5, decimal_places=1, null=True, blank=True)
    note = models.TextField(_("自评说明"), blank=True)
    records = models.ManyToManyField("responsibility.DutyRecord", blank=True, related_name="+")
    # Held meetings cited as records are (一次录入，多处使用): the minutes and sign-in are the evidence.
    meetings = models.ManyToManyField("meetings.Meeting", blank=True, related_name="+", verbose_name=_("佐证会议"))

    class Meta:
        verbose_name = _("自评")
        verbose_name_plural = pgettext_lazy("plural", "自评")
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
        verbose_name_plural = pgettext_lazy("plural", "评议人")
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
        verbose_name_plural = pgettext_lazy("plural", "评分")
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
        verbose_name_plural = pgettext_lazy("plural", "发现问题")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class BallotBatch(models.Model):
    """One batch of codes made for an organization: how many, why more than its members if so, and its printings."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="ballot_batches", verbose_name=_("考核"))
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("党组织"))
    number = models.PositiveSmallIntegerField(_("批次"))
    count = models.PositiveIntegerField(_("数量"))
    # Codes beyond the members on record need a reason, kept here and shown with the batch.
    reason = models.CharField(_("超出党员人数的理由"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("生成人")
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    printed_count = models.PositiveIntegerField(_("打印次数"), default=0)
    last_printed_at = models.DateTimeField(_("最近打印时间"), null=True, blank=True)

    history = audited()

    class Meta:
        verbose_name = _("测评码批次")
        verbose_name_plural = pgettext_lazy("plural", "测评码批次")
        ordering = ["organization_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "organization", "number"], name="one_ballot_batch_number"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} #{self.number}"


class BallotCode(models.Model):
    """A one-time code handed to a member. A vote never writes, locks or points to this row."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="ballot_codes")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("测评码"), max_length=32, unique=True)
    batch = models.PositiveSmallIntegerField(_("批次"), default=1)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(_("作废理由"), max_length=500, blank=True)

    history = audited()

    class Meta:
        verbose_name = _("测评码")
        verbose_name_plural = pgettext_lazy("plural", "测评码")
        indexes = [models.Index(fields=["cycle", "organization", "batch"], name="ballot_code_org_idx")]

    def __str__(self) -> str:
        return self.code

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class SpentCode(models.Model):
    """That some code was spent, as a keyed digest (reviews.ballot_box.spent_digest): no code, no time, no link."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("已使用的测评码")
        verbose_name_plural = pgettext_lazy("plural", "已使用的测评码")
        indexes = [models.Index(fields=["cycle", "organization"], name="spent_code_org_idx")]

    def __str__(self) -> str:
        return str(self.organization_id)


class PendingBallot(models.Model):
    """A cast vote waiting, sealed, until its organization has a batch of them (reviews.ballot_box)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("待计入的测评票")
        verbose_name_plural = pgettext_lazy("plural", "待计入的测评票")
        indexes = [models.Index(fields=["cycle", "organization"], name="pending_ballot_org_idx")]

    def __str__(self) -> str:
        return str(self.organization_id)


class BallotTally(models.Model):
    """民主测评 counts of one organization in a cycle: the only form in which ratings are stored."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="tallies")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    good = models.PositiveIntegerField(_("好"), default=0)
    fair = models.PositiveIntegerField(_("较好"), default=0)
    average = models.PositiveIntegerField(_("一般"), default=0)
    poor = models.PositiveIntegerField(_("差"), default=0)
    # {aspect: {rating: count}} for the optional 分项评价.
    items = models.JSONField(_("分项评价"), default=dict)

    class Meta:
        verbose_name = _("测评票统计")
        verbose_name_plural = pgettext_lazy("plural", "测评票统计")
        constraints = [models.UniqueConstraint(fields=["cycle", "organization"], name="one_tally_per_org_cycle")]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.good}/{self.fair}/{self.average}/{self.poor}"

    def counts(self) -> dict[str, int]:
        return {rating: getattr(self, rating) for rating in Rating.values}


class ClosingNote(models.Model):
    """The committee's reason for closing a cycle over a gap (情况说明); shown on the result and in the export."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="closing_notes")
    # Empty for a gap of the whole cycle (the ballot window still open).
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("党组织")
    )
    gap = models.CharField(_("缺项"), max_length=24, choices=GapKind.choices)
    reason = models.TextField(_("情况说明"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("结束考核情况说明")
        verbose_name_plural = pgettext_lazy("plural", "结束考核情况说明")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_gap_display()}: {self.reason[:40]}"


class Result(models.Model):
    """The closed cycle's verdict on one report; written once at closing and never changed.

    A component without data is None (never 0); `weights` are the weights actually applied after the
    cycle's missing rule, `rule` names what decided the grade and `notes` the committee's reasons.
    """

    report = models.OneToOneField(DutyReport, on_delete=models.CASCADE, related_name="result")
    daily_score = models.DecimalField(_("日常考核"), max_digits=5, decimal_places=2, null=True)
    review_score = models.DecimalField(_("述职评议"), max_digits=5, decimal_places=2, null=True)
    ballot_score = models.DecimalField(_("民主测评"), max_digits=5, decimal_places=2, null=True)
    composite = models.DecimalField(_("综合得分"), max_digits=5, decimal_places=2, null=True)
    grade = models.CharField(_("等次"), max_length=16, choices=Grade.choices)
    grade_reason = models.CharField(_("等次依据"), max_length=16, choices=GradeRule.choices, default=GradeRule.BAND)
    rank = models.PositiveIntegerField(_("排名"), null=True)
    classification = models.CharField(_("分类定级"), max_length=16, choices=Classification.choices)
    ballots_valid = models.PositiveIntegerField(_("有效票数"), default=0)
    ballots_poor = models.PositiveIntegerField(_("“差”票数"), default=0)
    ballots_published = models.BooleanField(_("民主测评已公布"), default=True)
    reviewers = models.PositiveSmallIntegerField(_("评分人数"), default=0)
    # {component: weight applied, in percent}; a missing component is absent.
    weights = models.JSONField(_("实际权重"), default=dict)
    # [{"gap": GapKind, "reason": text}]: the committee's reasons for closing over this organization's gaps.
    notes = models.JSONField(_("情况说明"), default=list)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = pgettext_lazy("plural", "考核结果")
        ordering = ["rank"]

    def __str__(self) -> str:
        return f"{self.report} {self.composite}"

    # The columns keep two places; a cycle may round to fewer, and every page shows its figures so.
    def _shown(self, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        return value.quantize(Decimal(1).scaleb(-self.report.cycle.score_places), rounding=ROUND_HALF_UP)

    @property
    def shown_daily(self) -> Decimal | None:
        return self._shown(self.daily_score)

    @property
    def shown_review(self) -> Decimal | None:
        return self._shown(self.review_score)

    @property
    def shown_ballot(self) -> Decimal | None:
        return self._shown(self.ballot_score)

    @property
    def shown_composite(self) -> Decimal | None:
        return self._shown(self.composite)

    @property
    def is_overridden(self) -> bool:
        """Whether a rule other than the bands decided the grade (a veto, 差 ballots, no report, missing data)."""
        return self.grade_reason != GradeRule.BAND

    @property
    def rule_label(self) -> str:
        return str(GradeRule(self.grade_reason).label) if self.grade_reason in GradeRule.values else ""

    @property
    def weights_label(self) -> str:
        """The weights applied, e.g. "日常考核 57.1% · 述职评议 42.9%"."""
        return " · ".join(f"{Component(name).label} {weight}%" for name, weight in self.weights.items())

    @property
    def note_lines(self) -> list[tuple[str, str]]:
        """(gap, reason) of the committee's reasons, the gap in words."""
        return [
            (str(GapKind(note["gap"]).label) if note.get("gap") in GapKind.values else "", note.get("reason", ""))
            for note in self.notes
        ]
