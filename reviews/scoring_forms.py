"""Forms of the scoring pages: they parse input; reviews.services holds the rules and the ranges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from reviews.models import IndicatorKind
from reviews.selectors import IndicatorGroup, IndicatorRow, ScoringPage


@dataclass
class SheetRow:
    row: IndicatorRow
    points: BoundField | None
    vetoed: BoundField | None
    note: BoundField


@dataclass
class SheetGroup:
    title: str
    kind: str
    rows: list[SheetRow]


class ScoreSheetForm(forms.Form):
    """One reviewer's sheet: points and a note per indicator, a checkbox per veto indicator, an overall comment.

    Points stay text here: the range and the number itself are checked by `scores_save`, whose message names
    the indicator, and a refused sheet is shown again exactly as typed.
    """

    comment = forms.CharField(
        label=_("评议意见"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("对述职报告的总体评价，可写亮点、不足和建议。"),
    )
    confirm = forms.BooleanField(label=_("我已核对全部评分，提交后不能再修改"), required=False)

    def __init__(self, *args: Any, page: ScoringPage, **kwargs: Any) -> None:
        self.page = page
        initial: dict[str, Any] = {"comment": page.assignment.comment}
        for indicator in page.indicators:
            score = page.scores.get(indicator.pk)
            if score is None:
                continue
            if indicator.kind == IndicatorKind.VETO:
                initial[f"vetoed_{indicator.pk}"] = score.vetoed
            else:
                initial[f"points_{indicator.pk}"] = score.points
            initial[f"note_{indicator.pk}"] = score.note
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for indicator in page.indicators:
            if indicator.kind == IndicatorKind.VETO:
                self.fields[f"vetoed_{indicator.pk}"] = forms.BooleanField(label=_("触发否决"), required=False)
            else:
                self.fields[f"points_{indicator.pk}"] = forms.CharField(
                    label=_("得分"),
                    required=False,
                    max_length=20,
                    widget=forms.NumberInput(
                        attrs={"step": "0.5", "min": "0", "max": str(indicator.max_points), "inputmode": "decimal"}
                    ),
                )
            self.fields[f"note_{indicator.pk}"] = forms.CharField(label=_("说明"), required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for indicator in self.page.indicators:
            if indicator.kind != IndicatorKind.STANDARD:
                continue
            points = (cleaned.get(f"points_{indicator.pk}") or "").strip()
            if points:
                continue
            if indicator.pk in self.page.scores:
                # The service has no "unscore": an emptied field would silently keep the old points.
                self.add_error(
                    f"points_{indicator.pk}",
                    gettext("“%(indicator)s”已评分，不能清空；如需改为零分请填写 0。") % {"indicator": indicator.name},
                )
            elif (cleaned.get(f"note_{indicator.pk}") or "").strip():
                self.add_error(
                    f"points_{indicator.pk}",
                    gettext("“%(indicator)s”填写了说明，请同时填写得分。") % {"indicator": indicator.name},
                )
        return cleaned

    def entries(self) -> dict[int, Mapping[str, Any]]:
        """What `scores_save` takes. A standard indicator left empty stays unscored, so submitting notices it."""
        data = self.cleaned_data
        entries: dict[int, Mapping[str, Any]] = {}
        for indicator in self.page.indicators:
            note = data.get(f"note_{indicator.pk}", "")
            if indicator.kind == IndicatorKind.VETO:
                entries[indicator.pk] = {"vetoed": bool(data.get(f"vetoed_{indicator.pk}")), "note": note}
                continue
            points = (data.get(f"points_{indicator.pk}") or "").strip()
            if indicator.kind == IndicatorKind.STANDARD and not points:
                continue
            # An empty bonus or deduction entry counts as none (0 points).
            entries[indicator.pk] = {"points": points, "note": note}
        return entries

    def sheet(self) -> list[SheetGroup]:
        """The page's indicator groups with this form's fields, for the template."""
        return [self._sheet_group(group) for group in self.page.groups]

    def _sheet_group(self, group: IndicatorGroup) -> SheetGroup:
        rows = []
        for row in group.rows:
            pk = row.indicator.pk
            is_veto = row.indicator.kind == IndicatorKind.VETO
            rows.append(
                SheetRow(
                    row=row,
                    points=None if is_veto else self[f"points_{pk}"],
                    vetoed=self[f"vetoed_{pk}"] if is_veto else None,
                    note=self[f"note_{pk}"],
                )
            )
        return SheetGroup(title=group.title, kind=group.kind, rows=rows)


class ReportCommentForm(forms.Form):
    comment = forms.CharField(
        label=_("点评意见"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("考核结束后与结果一并反馈给书记本人。"),
    )
    daily_score = forms.CharField(
        label=_("日常考核得分（人工评定）"),
        required=False,
        max_length=20,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": "100", "inputmode": "decimal"}),
        help_text=_("留空则按责任清单完成率计算；填写时须说明理由。"),
    )
    daily_reason = forms.CharField(label=_("人工评定理由"), required=False, max_length=500)
    # The fingerprint of the comment as loaded; a save over someone else's newer comment is refused.
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)


class ProblemForm(forms.Form):
    text = forms.CharField(
        label=_("发现的问题"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("每条写一个问题，今后可直接转为整改问题。"),
        error_messages={"required": _("请填写问题内容。")},
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("退回修改须填写理由，说明需要修改的内容。")},
    )
