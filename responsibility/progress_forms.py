"""Forms of the progress pages, public commitments and contact points."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from foundation.years import YEAR_MAX, YEAR_MIN, year_from
from responsibility import selectors
from responsibility.models import Light


class ProgressFilterForm(forms.Form):
    """The filters of the committee's progress page and its export; a bad value is dropped, never an error page."""

    year = forms.IntegerField(label=_("年度"), min_value=YEAR_MIN, max_value=YEAR_MAX, required=False)
    sector = forms.ChoiceField(
        label=_("领域"), choices=[("", _("全部领域")), *Organization.Sector.choices], required=False
    )
    kind = forms.ChoiceField(label=_("类别"), choices=[("", _("全部类别")), *Organization.Kind.choices], required=False)
    light = forms.ChoiceField(
        label=_("预警"), choices=[("", _("全部")), *Light.choices, ("none", _("未建立清单"))], required=False
    )

    @classmethod
    def from_query(cls, query: QueryDict) -> ProgressFilterForm:
        """A form bound to the query's valid values only, so it shows what is really applied."""
        probe = cls(query)
        probe.is_valid()
        good = {name: query[name] for name in cls.base_fields if name in query and name not in probe.errors}
        if "year" not in good or not good["year"]:
            good["year"] = str(year_from(None))
        form = cls(good)
        form.is_valid()
        return form

    def filters(self) -> selectors.ProgressFilters:
        data = self.cleaned_data
        return selectors.ProgressFilters(
            year=data.get("year") or year_from(None),
            sector=data.get("sector") or "",
            kind=data.get("kind") or "",
            light=data.get("light") or "",
        )


class CommitmentForm(forms.Form):
    text = forms.CharField(
        label=_("承诺内容"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("写明本年度履行党建工作第一责任人职责的具体承诺，公开后群众可以查看。"),
    )
    publish = forms.BooleanField(
        label=_("在党务公开页面公开"), required=False, help_text=_("不勾选则只保存，不对外公开。")
    )


class ContactPointForm(forms.Form):
    """Designate a contact point: pick from the supervised organizations (weakest first) or type a code."""

    organization = forms.TypedChoiceField(label=_("联系点"), coerce=int, required=False, empty_value=None)
    code = forms.CharField(
        label=_("或输入组织代码"), max_length=64, required=False, help_text=_("只能选择您督导范围内的下级党组织。")
    )
    reason = forms.CharField(
        label=_("确定原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如：软弱涣散、红灯较多"),
    )

    def __init__(self, *args: Any, user: Any, year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        choices: list[tuple[Any, str]] = [("", gettext("请选择"))]
        for organization in selectors.contact_point_candidates(user, year):
            label = f"{organization.name}（{organization.code}）"
            warning = getattr(organization, "list_warning", None)
            if warning:
                label += " · " + str(Light(warning).label)
            choices.append((organization.pk, label))
        field = self.fields["organization"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("code") or "").strip()
        if code:
            organization = selectors.supervised_organization(self.user, code=code)
        elif data.get("organization"):
            organization = selectors.supervised_organization(self.user, pk=data["organization"])
        else:
            raise forms.ValidationError(gettext("请选择联系点，或输入组织代码。"))
        if organization is None:
            # The same answer whether the code exists elsewhere or not at all.
            raise forms.ValidationError(gettext("在您督导的组织中没有找到该组织。"))
        data["chosen"] = organization
        return data


class ContactVisitForm(forms.Form):
    visited_on = forms.DateField(label=_("走访日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    summary = forms.CharField(label=_("指导内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    problems = forms.CharField(
        label=_("发现问题"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
