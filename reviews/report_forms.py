"""Forms for the duty report (述职报告): its sections, the self-assessment (自评)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reviews.models import Indicator
from reviews.services import sanitize

_TAG = re.compile(r"<[a-zA-Z/][^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n")


def section_html(value: str) -> str:
    """Sanitized HTML from the editor, or paragraphs from the plain textarea a browser without JavaScript shows."""
    value = (value or "").replace("\r\n", "\n").strip()
    if value and not _TAG.search(value):
        paragraphs = [part.strip() for part in _BLANK_LINES.split(value) if part.strip()]
        value = "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs)
    return sanitize(value)


def section_field_name(index: int) -> str:
    return f"section_{index}"


class ReportForm(forms.Form):
    """One rich-text area per section of the cycle, and the revision the page was loaded at."""

    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, titles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.titles = titles
        for index, title in enumerate(titles):
            self.fields[section_field_name(index)] = forms.CharField(
                label=title, required=False, strip=False, widget=forms.Textarea(attrs={"rows": 10})
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for index in range(len(self.titles)):
            name = section_field_name(index)
            cleaned[name] = section_html(cleaned.get(name) or "")
        return cleaned

    def sections(self) -> dict[str, str]:
        """{section title: sanitized HTML} for services.report_save."""
        # A section missing from the post keeps its stored text: a partial post never erases a section.
        return {
            title: self.cleaned_data[section_field_name(index)]
            for index, title in enumerate(self.titles)
            if section_field_name(index) in self.data
        }

    def typed(self, stored: dict[str, str]) -> list[dict[str, Any]]:
        """Each section for the page: what was typed (sanitized) when bound, else what is stored."""
        rows = []
        for index, title in enumerate(self.titles):
            name = section_field_name(index)
            text = section_html(self.data[name]) if self.is_bound and name in self.data else stored.get(title, "")
            rows.append({"title": title, "name": name, "id": f"id_{name}", "html": text})
        return rows


def sections_from_json(payload: Any, titles: list[str]) -> tuple[int, dict[str, str]] | None:
    """The autosave's JSON body ({"revision": n, "sections": {title: html}}), or None when malformed."""
    if not isinstance(payload, dict):
        return None
    revision = payload.get("revision")
    sections = payload.get("sections")
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0 or not isinstance(sections, dict):
        return None
    return revision, {title: section_html(str(sections.get(title) or "")) for title in titles}


class SelfAssessmentForm(forms.Form):
    """自评 on one indicator: points within its range, a note, and duty records and held meetings as evidence."""

    points = forms.DecimalField(
        label=_("自评分"), required=False, min_value=Decimal("0"), max_digits=5, decimal_places=1
    )
    note = forms.CharField(
        label=_("自评说明"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("简要说明得分依据：做了哪些工作、取得什么成效。"),
    )
    records = forms.TypedMultipleChoiceField(label=_("佐证履责记实"), required=False, coerce=int)
    meetings = forms.TypedMultipleChoiceField(label=_("佐证会议"), required=False, coerce=int)
    q = forms.CharField(label=_("筛选记实"), required=False, max_length=100)

    def __init__(
        self, *args: Any, indicator: Indicator, record_ids: list[int], meeting_ids: Sequence[int] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        points = self.fields["points"]
        assert isinstance(points, forms.DecimalField)
        points.widget.attrs.update({"max": str(indicator.max_points), "step": "0.1", "inputmode": "decimal"})
        points.help_text = _("0 至 %(max)s 分。") % {"max": indicator.max_points}
        records = self.fields["records"]
        assert isinstance(records, forms.TypedMultipleChoiceField)
        records.choices = [(pk, str(pk)) for pk in record_ids]
        meetings = self.fields["meetings"]
        assert isinstance(meetings, forms.TypedMultipleChoiceField)
        meetings.choices = [(pk, str(pk)) for pk in meeting_ids]
