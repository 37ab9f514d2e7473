"""Forms of the responsibility pages: they parse input; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Position
from foundation.years import YEAR_MAX, YEAR_MIN, chosen_year
from responsibility.models import Category, DutyType, ListTemplate, Period, WorkPoint


def _active_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


class ResponsiblePositionField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        position: Position = obj
        role = position.get_role_display()
        if position.portfolio:
            role = f"{role}（{position.portfolio}）"
        return f"{position.person.get_full_name()} · {role}"


class WorkPointField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        point: WorkPoint = obj
        return f"{point.plan.organization.name}：{point.text}"


class TemplateField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        template: ListTemplate = obj
        sector = f" · {template.get_sector_display()}" if template.sector else ""
        return f"{template.name}（{template.organization.name}{sector}）"


class ListStartForm(forms.Form):
    template = TemplateField(
        label=_("来源模板"),
        queryset=ListTemplate.objects.none(),
        required=False,
        empty_label=_("不使用模板（从空白清单开始）"),
        help_text=_("使用上级党组织发布的模板，开始后可按本组织实际增删修改。"),
    )

    def __init__(self, *args: Any, templates: QuerySet[ListTemplate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]


class ListItemForm(forms.Form):
    category = forms.ModelChoiceField(label=_("责任类别"), queryset=Category.objects.none())
    duty_type = forms.ChoiceField(label=_("责任类型"), choices=DutyType.choices)
    content = forms.CharField(label=_("责任内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    target_period = forms.ChoiceField(
        label=_("目标周期"),
        choices=Period.choices,
        initial=Period.YEAR,
        help_text=_("如“每季度至少 1 次”：周期选每季度，次数填 1；一次性事项选“限期完成”并填写完成期限。"),
    )
    target_count = forms.IntegerField(
        label=_("每周期至少次数"),
        initial=1,
        min_value=1,
        max_value=366,
        error_messages={"invalid": _("目标次数必须是正整数。"), "min_value": _("目标次数必须是正整数。")},
    )
    due_date = forms.DateField(
        label=_("完成期限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("仅“限期完成”需要填写，须在清单年度内。"),
    )
    work_point = WorkPointField(
        label=_("落实的工作要点"),
        queryset=WorkPoint.objects.none(),
        required=False,
        empty_label=_("（不对应具体要点）"),
    )
    responsible = ResponsiblePositionField(
        label=_("责任人"),
        queryset=Position.objects.none(),
        required=False,
        empty_label=_("（未指定）"),
        help_text=_("新增条目不选时，第一责任人默认为书记，直接责任人默认为副书记。"),
    )
    # The fingerprint of the item as loaded; a save over someone else's newer change is refused.
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(
        self, *args: Any, work_points: QuerySet[WorkPoint], positions: QuerySet[Position], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _active_categories()  # type: ignore[attr-defined]
        self.fields["work_point"].queryset = work_points  # type: ignore[attr-defined]
        self.fields["responsible"].queryset = positions  # type: ignore[attr-defined]

    def clean_content(self) -> str:
        return self.cleaned_data["content"].strip()


class ListActionForm(forms.Form):
    comment = forms.CharField(label=_("审核意见"), max_length=2000, required=False)
    # The list's fingerprint as loaded; a step over someone else's newer one is refused.
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)


class WorkPlanForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("党组织"), queryset=Organization.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    title = forms.CharField(label=_("标题"), max_length=128)

    def __init__(self, *args: Any, committees: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = committees  # type: ignore[attr-defined]
        self.fields["year"].initial = chosen_year()


class WorkPointForm(forms.Form):
    category = forms.ModelChoiceField(label=_("责任类别"), queryset=Category.objects.none())
    text = forms.CharField(label=_("要点内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _active_categories()  # type: ignore[attr-defined]


class ListTemplateForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("发布组织"), queryset=Organization.objects.none())
    name = forms.CharField(label=_("模板名称"), max_length=128)
    sector = forms.ChoiceField(
        label=_("适用领域"), choices=[("", _("（不限领域）")), *Organization.Sector.choices], required=False
    )

    def __init__(self, *args: Any, committees: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = committees  # type: ignore[attr-defined]


class TemplateItemForm(forms.Form):
    category = forms.ModelChoiceField(label=_("责任类别"), queryset=Category.objects.none())
    duty_type = forms.ChoiceField(label=_("责任类型"), choices=DutyType.choices)
    content = forms.CharField(label=_("责任内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    # A template's targets repeat; a due date belongs to one organization's list.
    target_period = forms.ChoiceField(
        label=_("目标周期"),
        choices=[(value, label) for value, label in Period.choices if value != Period.ONCE],
        initial=Period.YEAR,
    )
    target_count = forms.IntegerField(
        label=_("每周期至少次数"),
        initial=1,
        min_value=1,
        max_value=366,
        error_messages={"invalid": _("目标次数必须是正整数。"), "min_value": _("目标次数必须是正整数。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _active_categories()  # type: ignore[attr-defined]
