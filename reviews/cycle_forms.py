"""Forms of the committee's cycle pages: they parse input; reviews/services/ holds the rules."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, User
from reviews.models import DEFAULT_SECTIONS, Cycle, DutyReport, IndicatorKind, MissingRule, RubricTemplate
from reviews.services import Gap

SHARE_STEP = Decimal("0.001")
HUNDRED = Decimal("100")
SCOPE_CHOICES = [("children", _("直属下级组织")), ("branches", _("全部党支部"))]
# The cycle fields a settings form writes, besides the percentage and the sections it converts.
PLAIN_SETTINGS = (
    "year",
    "title",
    "report_due",
    "scoring_due",
    "ballot_opens",
    "ballot_closes",
    "weight_daily",
    "weight_review",
    "weight_ballot",
    "life_share",
    "life_late_deduction",
    "life_missed_deduction",
    "band_good",
    "band_fair",
    "band_average",
    "points_good",
    "points_fair",
    "points_average",
    "points_poor",
    "trim_extremes",
    "advanced_floor",
    "standard_floor",
    "min_ballots",
    "min_reviewers",
    "missing_rule",
    "score_places",
)
# Optional in the form: blank keeps the model's default (no share of the daily score for organizational life).
LIFE_DEFAULTS: dict[str, Any] = {
    "life_share": 0,
    "life_late_deduction": Decimal("2"),
    "life_missed_deduction": Decimal("5"),
}
LIFE_SETTINGS = tuple(LIFE_DEFAULTS)
# cycle_create takes these as its own arguments; the rest go in its `settings`.
CREATE_ARGUMENTS = ("year", "title", "report_due", "scoring_due", "ballot_opens", "ballot_closes")


def _date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def _weight(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=100)


def _score(label: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, min_value=0, max_value=100, max_digits=4, decimal_places=1)


def _points(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=100)


class CycleSettingsForm(forms.Form):
    """Dates, weights, bands and rules of a cycle. Whether they fit together is the service's to say."""

    year = forms.IntegerField(label=_("考核年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("名称"), max_length=128)
    report_due = _date(_("述职报告截止"))
    scoring_due = _date(_("评分截止"))
    ballot_opens = _date(_("民主测评开始"))
    ballot_closes = _date(_("民主测评结束"))
    weight_daily = _weight(_("日常考核权重"))
    weight_review = _weight(_("述职评议权重"))
    weight_ballot = _weight(_("民主测评权重"))
    life_share = forms.IntegerField(
        label=_("日常考核中组织生活占比（%）"),
        min_value=0,
        max_value=100,
        help_text=_("0 表示日常考核只看责任清单完成率。"),
        required=False,
    )
    life_late_deduction = forms.DecimalField(
        label=_("组织生活每期逾期召开扣分"), min_value=0, max_value=100, max_digits=4, decimal_places=1, required=False
    )
    life_missed_deduction = forms.DecimalField(
        label=_("组织生活每期未召开扣分"), min_value=0, max_value=100, max_digits=4, decimal_places=1, required=False
    )
    band_good = _score(_("“好”的最低分"))
    band_fair = _score(_("“较好”的最低分"))
    band_average = _score(_("“一般”的最低分"))
    poor_ballot_percent = forms.DecimalField(
        label=_("“差”票比例超过（%）即定为差"),
        min_value=0,
        max_value=100,
        max_digits=4,
        decimal_places=1,
        help_text=_("如 33.3 表示“差”票超过三分之一的，等次定为差。"),
    )
    points_good = _points(_("“好”票分值"))
    points_fair = _points(_("“较好”票分值"))
    points_average = _points(_("“一般”票分值"))
    points_poor = _points(_("“差”票分值"))
    trim_extremes = forms.BooleanField(label=_("评分人数达到 5 人时，去掉一个最高分和一个最低分"), required=False)
    advanced_floor = _score(_("“先进”的最低分"))
    standard_floor = _score(_("“达标”的最低分"))
    min_ballots = forms.IntegerField(
        label=_("民主测评最少有效票数"),
        min_value=3,
        max_value=100,
        help_text=_("有效票少于此数的组织不公布民主测评结果（票太少会暴露谁投了什么票），按缺项处理。"),
    )
    min_reviewers = forms.IntegerField(
        label=_("最少评分人数"),
        min_value=1,
        max_value=50,
        help_text=_("已提交的报告评分人数少于此数时，须逐项说明理由才能结束考核。"),
    )
    missing_rule = forms.ChoiceField(
        label=_("缺项处理"),
        choices=MissingRule.choices,
        help_text=_("某项得分没有数据（如无人评分、有效票不足）时的处理办法；缺项从不按 0 分计算。"),
    )
    score_places = forms.TypedChoiceField(
        label=_("得分保留小数位数"),
        choices=[(0, "0"), (1, "1"), (2, "2")],
        coerce=int,
        help_text=_("各项得分和综合得分均按此四舍五入，页面、PDF 和 Excel 一致。"),
    )
    sections = forms.CharField(
        label=_("报告栏目"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("每行一个栏目。"),
    )

    @classmethod
    def initial_from(cls, cycle: Cycle) -> dict[str, Any]:
        """The form's values for a cycle (a stored one, or a new one with the model's defaults)."""
        initial = {name: getattr(cycle, name) for name in PLAIN_SETTINGS}
        initial["poor_ballot_percent"] = (cycle.poor_ballot_share * HUNDRED).normalize()
        initial["sections"] = "\n".join(cycle.section_titles())
        return initial

    def clean_sections(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["sections"].splitlines() if line.strip()]

    def cycle_fields(self) -> dict[str, Any]:
        """The cleaned values as Cycle fields (the percentage becomes a share: 33.3 → 0.333)."""
        data = self.cleaned_data
        fields = {name: data[name] for name in PLAIN_SETTINGS}
        # The organizational-life rule may be left blank (a form from before it existed): the model's defaults.
        for name in LIFE_SETTINGS:
            if fields[name] is None:
                fields[name] = LIFE_DEFAULTS[name]
        fields["poor_ballot_share"] = (data["poor_ballot_percent"] / HUNDRED).quantize(SHARE_STEP)
        fields["sections"] = data["sections"]
        return fields


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        template: RubricTemplate = obj
        return f"{template.name}（{template.organization.name}）"


class CycleCreateForm(CycleSettingsForm):
    organization = forms.ModelChoiceField(label=_("组织单位"), queryset=Organization.objects.none())
    scope = forms.ChoiceField(
        label=_("参加范围"),
        choices=SCOPE_CHOICES,
        initial="children",
        widget=forms.RadioSelect,
        help_text=_("直属下级组织：本组织直接领导的党组织；全部党支部：本组织下的所有党支部。"),
    )
    template = TemplateChoiceField(
        label=_("考核指标模板"),
        queryset=RubricTemplate.objects.none(),
        required=False,
        empty_label=_("不使用模板（稍后逐项添加指标）"),
        help_text=_("复制本组织或上级组织的模板；之后修改模板不影响本次考核。"),
    )

    field_order = ["organization", "year", "title", "scope", "template"]

    def __init__(
        self,
        *args: Any,
        committees: QuerySet[Organization],
        templates: QuerySet[RubricTemplate],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = committees  # type: ignore[attr-defined]
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]

    @classmethod
    def new_initial(cls) -> dict[str, Any]:
        """A new cycle's defaults: the model's figures and dates a month or so ahead."""
        today = timezone.localdate()
        cycle = Cycle(
            year=today.year,
            title="",
            report_due=today + timedelta(days=14),
            scoring_due=today + timedelta(days=28),
            ballot_opens=today + timedelta(days=14),
            ballot_closes=today + timedelta(days=28),
            sections=list(DEFAULT_SECTIONS),
        )
        return cls.initial_from(cycle)

    def create_arguments(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(cycle_create's own keyword arguments, its `settings`)."""
        fields = self.cycle_fields()
        arguments = {name: fields.pop(name) for name in CREATE_ARGUMENTS}
        arguments.update(
            organization=self.cleaned_data["organization"],
            scope=self.cleaned_data["scope"],
            template=self.cleaned_data["template"],
        )
        return arguments, fields


class IndicatorForm(forms.Form):
    """One rubric indicator, for a template or for a draft cycle."""

    category = forms.CharField(label=_("指标类别"), max_length=64)
    name = forms.CharField(label=_("指标"), max_length=200)
    guidance = forms.CharField(
        label=_("评分细则"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("类型"), choices=IndicatorKind.choices, initial=IndicatorKind.STANDARD)
    max_points = forms.DecimalField(
        label=_("分值"),
        min_value=0,
        max_value=100,
        max_digits=4,
        decimal_places=1,
        initial=Decimal("10"),
        help_text=_("考核指标：满分；加分项、扣分项：累计上限；一票否决：不计分，填 0。"),
    )


class RubricTemplateForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("制定组织"), queryset=Organization.objects.none())
    name = forms.CharField(label=_("模板名称"), max_length=128)

    def __init__(self, *args: Any, committees: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = committees  # type: ignore[attr-defined]


class ReviewerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        person: User = obj
        return person.get_full_name()


class ReviewerAssignForm(forms.Form):
    reviewer = ReviewerChoiceField(label=_("评议人"), queryset=User.objects.none())
    target = forms.ChoiceField(
        label=_("分配给"),
        choices=[("all", _("全部述职报告")), ("selected", _("下表中勾选的报告"))],
        initial="all",
        widget=forms.RadioSelect,
    )
    reports = forms.ModelMultipleChoiceField(label=_("述职报告"), queryset=DutyReport.objects.none(), required=False)

    def __init__(self, *args: Any, reviewers: QuerySet[User], reports: QuerySet[DutyReport], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers  # type: ignore[attr-defined]
        self.fields["reports"].queryset = reports  # type: ignore[attr-defined]
        self.all_reports = reports

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("target") == "selected" and not data.get("reports"):
            raise forms.ValidationError(_("请在下表中勾选要分配的述职报告。"))
        return data

    def chosen_reports(self) -> QuerySet[DutyReport]:
        if self.cleaned_data["target"] == "all":
            return self.all_reports
        return self.cleaned_data["reports"]


class ProgressFilterForm(forms.Form):
    """The status filter of the progress table; a bad value is dropped."""

    status = forms.ChoiceField(
        label=_("报告状态"), choices=[("", _("全部")), *DutyReport.Status.choices], required=False
    )


class CycleCloseForm(forms.Form):
    """结束考核: one reason per gap (required where the gap needs one) and the confirmation."""

    confirm = forms.BooleanField(
        label=_("我已核对以上缺项，确认结束考核并生成结果"),
        error_messages={"required": _("请先勾选确认：结束后考核结果一次生成，不能再修改。")},
    )

    def __init__(self, *args: Any, gaps: list[Gap], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gaps = gaps
        for gap in gaps:
            self.fields[self.field_name(gap)] = forms.CharField(
                label=_("情况说明"),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    @staticmethod
    def field_name(gap: Gap) -> str:
        return "reason-" + gap.key.replace(":", "-")

    def rows(self) -> list[tuple[Gap, forms.BoundField]]:
        return [(gap, self[self.field_name(gap)]) for gap in self.gaps]

    def reasons(self) -> dict[str, str]:
        return {gap.key: self.cleaned_data.get(self.field_name(gap), "") for gap in self.gaps}

    def refuse(self, gaps: list[Gap], message: str) -> None:
        """Marks each gap the service said needs a reason, next to its field."""
        for gap in gaps:
            self.add_error(self.field_name(gap), _("此项须说明理由才能结束考核。"))
        self.add_error(None, message)
