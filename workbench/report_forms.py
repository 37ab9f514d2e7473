"""The form that asks for a yearly PDF: it parses input; workbench/renders.py holds the rules and the permissions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from workbench.models import RenderedReport

ORGANIZATIONS_LISTED = 300
"""The choice lists the organizations the person keeps or supervises, up to this many; a link may preselect any."""


class ReportRequestForm(forms.Form):
    organization = forms.IntegerField(label=_("党组织"), widget=forms.Select)
    year = forms.IntegerField(label=_("年度"), min_value=2000)
    kind = forms.ChoiceField(label=_("类型"), choices=RenderedReport.Kind.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, organizations: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The year's upper bound moves with the calendar, so the field is built per form.
        self.fields["year"] = forms.IntegerField(label=_("年度"), min_value=2000, max_value=timezone.localdate().year)
        self.fields["organization"].widget.choices = [
            (organization.pk, f"{organization.name}（{organization.code}）") for organization in organizations
        ]
