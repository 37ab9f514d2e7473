"""Forms of the inspection pages (督查): they parse input; rectification/services.py holds the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from rectification import selectors
from rectification.models import Finding, Inspection, InspectionTarget
from responsibility.models import Category
from reviews.models import Cycle

CHECKLIST_MAX_LENGTH = 10000
DRAW_SIZE_MAX = 1000


def _date(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


class CycleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        cycle: Cycle = obj
        return f"{cycle.year} · {cycle.title}"


class InspectionPlanForm(forms.Form):
    """督查计划 of one committee. Which organizations are allowed and whether a draw is possible: the service says."""

    kind = forms.ChoiceField(
        label=_("督查方式"),
        choices=Inspection.Kind.choices,
        initial=Inspection.Kind.SCHEDULED,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("名称"), max_length=200)
    planned_on = _date(_("计划日期"))
    targets = forms.ModelMultipleChoiceField(
        label=_("被检查组织"),
        queryset=Organization.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("所选组织不在本组织的下级范围内。"),
            "invalid_pk_value": _("所选组织无效。"),
        },
    )
    all_children = forms.BooleanField(label=_("全部直属下级"), required=False)
    draw_size = forms.IntegerField(
        label=_("抽取数量"),
        required=False,
        min_value=0,
        max_value=DRAW_SIZE_MAX,
        help_text=_("按领域分别抽取时，为每个领域抽取的数量。"),
    )
    draw_per_sector = forms.BooleanField(label=_("按领域分别抽取"), required=False)
    draw_kind = forms.ChoiceField(
        label=_("抽取范围"),
        required=False,
        choices=[("", _("全部类别")), *Organization.Kind.choices],
    )
    seed = forms.CharField(
        label=_("抽取种子"),
        max_length=64,
        required=False,
        help_text=_("留空则自动生成。记录在案，任何人可用同一种子复核抽取结果。"),
    )
    checklist = forms.CharField(
        label=_("检查要点"),
        required=False,
        max_length=CHECKLIST_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每行一个要点。"),
    )
    rubric_cycle = CycleChoiceField(
        label=_("复制考核指标"),
        queryset=Cycle.objects.none(),
        required=False,
        empty_label=_("不复制"),
        help_text=_("把本组织一次述职评议考核的指标名称加入检查要点。"),
    )

    def __init__(self, *args: Any, committee: Organization, visible: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.committee = committee
        # Any organization the user sees parses; the service refuses, by name, one outside the subtree.
        self.fields["targets"].queryset = visible  # type: ignore[attr-defined]
        self.fields["rubric_cycle"].queryset = selectors.rubric_cycles(committee)  # type: ignore[attr-defined]

    @classmethod
    def new_initial(cls) -> dict[str, Any]:
        return {"planned_on": timezone.localdate(), "kind": Inspection.Kind.SCHEDULED}

    def chosen_ids(self) -> set[str]:
        """The organizations ticked in the submitted form, to keep them ticked when it is shown again."""
        return set(self.data.getlist("targets")) if self.is_bound else set()  # type: ignore[attr-defined]

    def plan_arguments(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments of services.inspection_plan (without `by`)."""
        data = self.cleaned_data
        targets = list(data["targets"])
        if data["all_children"]:
            chosen = {organization.pk for organization in targets}
            targets.extend(child for child in selectors.direct_children(self.committee) if child.pk not in chosen)
        checklist = [line.strip() for line in data["checklist"].splitlines() if line.strip()]
        if data["rubric_cycle"] is not None:
            checklist.extend(selectors.indicator_names(data["rubric_cycle"]))
        return {
            "organization": self.committee,
            "kind": data["kind"],
            "title": data["title"],
            "planned_on": data["planned_on"],
            "targets": targets,
            "draw_size": data["draw_size"],
            "draw_per_sector": data["draw_per_sector"],
            "draw_kind": data["draw_kind"],
            "seed": data["seed"],
            "checklist": checklist,
        }


RECORDED_OUTCOMES = [
    (value, label) for value, label in InspectionTarget.Outcome.choices if value != InspectionTarget.Outcome.PENDING
]


class TargetRecordForm(forms.Form):
    """What the inspection concluded at one organization."""

    outcome = forms.ChoiceField(label=_("检查结果"), choices=RECORDED_OUTCOMES, widget=forms.RadioSelect)
    notes = forms.CharField(
        label=_("检查情况"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    checked_on = _date(_("检查日期"), help_text=_("不能晚于今天。"))

    @classmethod
    def initial_from(cls, target: InspectionTarget) -> dict[str, Any]:
        return {
            "outcome": "" if target.outcome == InspectionTarget.Outcome.PENDING else target.outcome,
            "notes": target.notes,
            "checked_on": target.checked_on or timezone.localdate(),
        }


class TargetFindingForm(forms.Form):
    """One problem found at the organization: each entry becomes one finding."""

    category = forms.ModelChoiceField(
        label=_("问题类别"), queryset=Category.objects.filter(is_active=True), empty_label=_("请选择")
    )
    severity = forms.ChoiceField(label=_("严重程度"), choices=Finding.Severity.choices, initial=Finding.Severity.MINOR)
    description = forms.CharField(label=_("问题描述"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
