"""Forms of the committee's pages: the board's filters, raising findings, turning review problems into findings,
assigning a task, publishing the rectification list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, User
from foundation.years import YEAR_MAX, YEAR_MIN, year_from
from rectification import selectors
from rectification.models import Finding, RectificationTask
from responsibility.models import Category
from responsibility.selectors import supervised_organization
from reviews.models import Problem

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _QueryFilterForm(forms.Form):
    """A filter form bound to the query's valid values only: a bad value is dropped, never an error page."""

    @classmethod
    def from_query(cls, query: QueryDict) -> Any:
        probe = cls(query)
        probe.is_valid()
        good = {name: query[name] for name in cls.base_fields if name in query and name not in probe.errors}
        if not good.get("year"):
            good["year"] = str(year_from(None))
        form = cls(good)
        form.is_valid()
        return form

    def labels(self) -> list[str]:
        """What is applied, in words, for the export's description sheet."""
        labels = []
        for name, value in self.cleaned_data.items():
            if name == "year" or value in (None, "", False):
                continue
            field = self.fields[name]
            if isinstance(field, forms.ChoiceField):
                value = dict(cast(Any, field.choices)).get(value, value)
                labels.append(f"{field.label}：{value}")
            else:
                labels.append(str(field.label))
        return labels


class BoardFilterForm(_QueryFilterForm):
    """The filters of the board and of the ledger export."""

    year = forms.IntegerField(label=_("年度"), min_value=YEAR_MIN, max_value=YEAR_MAX, required=False)
    all_years = forms.BooleanField(label=_("全部年度"), required=False)
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[("", _("全部状态")), (selectors.OPEN_STATUS, _("未销号")), *RectificationTask.Status.choices],
        required=False,
    )
    source = forms.ChoiceField(
        label=_("问题来源"), choices=[("", _("全部来源")), *Finding.Source.choices], required=False
    )
    sector = forms.ChoiceField(
        label=_("领域"), choices=[("", _("全部领域")), *Organization.Sector.choices], required=False
    )
    overdue = forms.BooleanField(label=_("逾期"), required=False)
    escalated = forms.BooleanField(label=_("督办"), required=False)
    weak = forms.BooleanField(label=_("整改不力"), required=False)
    recurring = forms.BooleanField(label=_("往年同类问题"), required=False)

    def filters(self) -> selectors.BoardFilters:
        data = self.cleaned_data
        return selectors.BoardFilters(
            year=data.get("year") or year_from(None),
            all_years=bool(data.get("all_years")),
            status=data.get("status") or "",
            overdue=bool(data.get("overdue")),
            escalated=bool(data.get("escalated")),
            weak=bool(data.get("weak")),
            recurring=bool(data.get("recurring")),
            source=data.get("source") or "",
            sector=data.get("sector") or "",
        )


class FindingFilterForm(_QueryFilterForm):
    year = forms.IntegerField(label=_("年度"), min_value=YEAR_MIN, max_value=YEAR_MAX, required=False)
    source = forms.ChoiceField(
        label=_("问题来源"), choices=[("", _("全部来源")), *Finding.Source.choices], required=False
    )
    recurring = forms.BooleanField(label=_("只看往年同类问题"), required=False)
    without_task = forms.BooleanField(label=_("只看未下达整改任务的"), required=False)

    def filters(self) -> selectors.FindingFilters:
        data = self.cleaned_data
        return selectors.FindingFilters(
            year=data.get("year") or year_from(None),
            source=data.get("source") or "",
            recurring=bool(data.get("recurring")),
            without_task=bool(data.get("without_task")),
        )


def _category_field(**kwargs: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("问题类别"), queryset=Category.objects.filter(is_active=True).order_by("order", "id"), **kwargs
    )


Source = Finding.Source
# In the order a committee meets them when typing one in; a review's problems come through findings_from_review.
FINDING_SOURCES = [
    (source.value, source.label) for source in (Source.SELF_CHECK, Source.FEEDBACK, Source.INSPECTION, Source.REVIEW)
]


class FindingForm(forms.Form):
    """Raise a finding on a supervised organization: chosen from a list, typed by code, or fixed by the page."""

    organization = forms.TypedChoiceField(label=_("党组织"), coerce=int, required=False, empty_value=None)
    code = forms.CharField(
        label=_("或输入组织代码"), max_length=64, required=False, help_text=_("只能选择您督导范围内的党组织。")
    )
    year = forms.IntegerField(label=_("年度"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    source = forms.ChoiceField(label=_("问题来源"), choices=FINDING_SOURCES)
    description = forms.CharField(label=_("问题描述"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    category = _category_field()
    severity = forms.ChoiceField(label=_("严重程度"), choices=Finding.Severity.choices, initial=Finding.Severity.MINOR)

    def __init__(self, *args: Any, user: Any, fixed: Organization | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fixed = fixed
        if fixed is not None:
            # The page already says which organization; it was checked on the way in.
            del self.fields["organization"]
            del self.fields["code"]
            return
        choices: list[tuple[Any, str]] = [("", gettext("请选择"))]
        choices.extend(
            (organization.pk, f"{organization.name}（{organization.code}）")
            for organization in selectors.finding_organization_choices(user)
        )
        field = self.fields["organization"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.fixed is not None:
            data["chosen"] = self.fixed
            return data
        code = (data.get("code") or "").strip()
        if code:
            organization = supervised_organization(self.user, code=code)
        elif data.get("organization"):
            organization = supervised_organization(self.user, pk=data["organization"])
        else:
            raise forms.ValidationError(gettext("请选择党组织，或输入组织代码。"))
        if organization is None:
            # The same answer whether the code exists elsewhere or not at all.
            raise forms.ValidationError(gettext("在您督导的组织中没有找到该组织。"))
        data["chosen"] = organization
        return data


class ProblemsForm(forms.Form):
    """One line per review problem not yet converted: convert it?, its category and severity."""

    def __init__(self, *args: Any, lines: Sequence[selectors.ProblemLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problems = [line.problem for line in lines if line.finding is None]
        for problem in self.problems:
            self.fields[f"convert_{problem.pk}"] = forms.BooleanField(label=_("列入问题清单"), required=False)
            self.fields[f"category_{problem.pk}"] = _category_field(required=False)
            self.fields[f"severity_{problem.pk}"] = forms.ChoiceField(
                label=_("严重程度"), choices=Finding.Severity.choices, initial=Finding.Severity.MINOR, required=False
            )

    def rows(self) -> list[tuple[Problem, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (problem, self[f"convert_{problem.pk}"], self[f"category_{problem.pk}"], self[f"severity_{problem.pk}"])
            for problem in self.problems
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = []
        for problem in self.problems:
            if not data.get(f"convert_{problem.pk}"):
                continue
            category = data.get(f"category_{problem.pk}")
            if category is None:
                self.add_error(f"category_{problem.pk}", gettext("请选择问题类别。"))
                continue
            chosen.append((problem, category, data.get(f"severity_{problem.pk}") or Finding.Severity.MINOR))
        if not chosen and not self.errors:
            raise forms.ValidationError(gettext("请至少勾选一个问题。"))
        data["chosen"] = chosen
        return data


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name())


class TaskForm(forms.Form):
    """下达整改任务: who answers for it and by when; the findings are chosen on the page before."""

    title = forms.CharField(label=_("整改事项"), max_length=200)
    responsible = PersonChoiceField(
        label=_("责任人"), queryset=User.objects.none(), help_text=_("该组织的现任人员，负责制定方案并推进整改。")
    )
    leader = PersonChoiceField(label=_("责任领导"), queryset=User.objects.none(), required=False)
    deadline = forms.DateField(label=_("整改时限"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = selectors.current_people_of(organization)
        for name in ("responsible", "leader"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = people

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise forms.ValidationError(gettext("整改时限不能早于今天。"))
        return deadline


class DisclosureForm(forms.Form):
    hide_names = forms.BooleanField(
        label=_("隐去责任人姓名"), required=False, initial=True, help_text=_("勾选后公开页面不显示责任人姓名。")
    )


class RecurrenceForm(forms.Form):
    """The committee's word on a finding's link to an earlier year's finding: the two buttons of its evidence."""

    CONFIRM = "confirm"
    REJECT = "reject"

    decision = forms.ChoiceField(choices=[(CONFIRM, _("确认是同一问题")), (REJECT, _("不是同一问题"))])
    next = forms.CharField(required=False, max_length=2000)
