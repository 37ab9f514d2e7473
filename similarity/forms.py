"""The committee's filters on its page of near-copies, and the standard text it marks."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from foundation.years import YEAR_MAX, YEAR_MIN
from similarity import kinds
from similarity.services import FLAG_SHARE, MAX_STANDARD, PAIR_SHARE


def kind_choices(blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *((kind.key, kind.label) for kind in kinds.registered())]


class PairFilterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=YEAR_MIN, max_value=YEAR_MAX, required=False)
    kind = forms.ChoiceField(label=_("类型"), required=False)
    min_share = forms.IntegerField(
        label=_("相似度不低于（%）"), min_value=PAIR_SHARE, max_value=100, required=False, initial=FLAG_SHARE
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = kind_choices(_("全部类型"))


class StandardTextForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("设定单位"), queryset=Organization.objects.none())
    kind = forms.ChoiceField(label=_("适用类型"), required=False)
    text = forms.CharField(
        label=_("规范表述"),
        max_length=MAX_STANDARD,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每个下级组织都必须写的固定表述（如规定的标题、格式用语）。比对相似内容时不计入。"),
    )

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization_field = self.fields["organization"]
        assert isinstance(organization_field, forms.ModelChoiceField)
        organization_field.queryset = organizations
        cast(forms.ChoiceField, self.fields["kind"]).choices = kind_choices(_("全部类型"))
