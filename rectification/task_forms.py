"""Forms of a rectification task's steps: plan, progress with evidence, submit, extension, the committee's decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from foundation.errors import DomainError
from foundation.files import evidence_check
from rectification.services import MAX_TASK_FILES
from responsibility.record_forms import EVIDENCE_ACCEPT, EvidenceField, EvidenceInput

TEXT_MAX = 5000


class TaskStepForm(forms.Form):
    """A form on the task page: it carries the version of the task the person saw."""

    # The task's fingerprint as loaded; a step over someone else's newer change is refused.
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)


class PlanForm(TaskStepForm):
    """制定整改方案."""

    measures = forms.CharField(
        label=_("整改措施"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("逐条写明怎么改：做什么、谁来做、何时完成。"),
        error_messages={"required": _("请填写整改措施。")},
    )
    standard = forms.CharField(
        label=_("整改标准"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("改到什么程度算完成，验收时对照检查。"),
        error_messages={"required": _("请填写整改标准。")},
    )
    commitment = forms.CharField(
        label=_("整改承诺"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写整改承诺。")},
    )


class ProgressForm(TaskStepForm):
    """报告进展 with evidence files, checked by content like duty-record evidence."""

    text = forms.CharField(
        label=_("进展情况"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写明已完成的整改措施和取得的效果。"),
        error_messages={"required": _("请填写进展情况。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Added here rather than declared: a declared `files` would shadow the form's uploaded files.
        self.fields["files"] = EvidenceField(
            label=_("佐证材料"),
            required=False,
            widget=EvidenceInput(attrs={"accept": EVIDENCE_ACCEPT, "multiple": True}),
            help_text=gettext(
                "可一次选择多个文件（最多 %(count)s 个）：图片、PDF、Word、Excel；每个文件不超过 %(mb)s MB。"
            )
            % {"count": MAX_TASK_FILES, "mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)},
        )

    def clean_files(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("files") or []
        if len(files) > MAX_TASK_FILES:
            raise forms.ValidationError(gettext("每次最多上传 %(max)s 个文件。") % {"max": MAX_TASK_FILES})
        errors = []
        for upload in files:
            try:
                evidence_check(upload)
            except DomainError as error:
                errors.append(str(error))
        if errors:
            raise forms.ValidationError(errors)
        return files


class SubmitForm(TaskStepForm):
    """申请销号."""

    text = forms.CharField(
        label=_("整改完成情况"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("对照整改标准说明完成情况；佐证材料已在进展中上传。"),
        error_messages={"required": _("请填写整改完成情况。")},
    )


class ExtensionForm(TaskStepForm):
    """申请延期: a later deadline and the reason; the committee decides."""

    deadline = forms.DateField(
        label=_("申请延至"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写申请延至的日期。"), "invalid": _("请填写有效的日期。")},
    )
    reason = forms.CharField(
        label=_("延期理由"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写延期理由。")},
    )

    def clean_deadline(self) -> date:
        deadline: date = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise forms.ValidationError(gettext("申请的时限不能早于今天。"))
        return deadline


class AcceptForm(TaskStepForm):
    """验收销号, with an optional comment."""

    comment = forms.CharField(
        label=_("验收意见"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReturnForm(TaskStepForm):
    """退回, always with the reason the organization will read."""

    reason = forms.CharField(
        label=_("退回理由"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明哪些措施没有落实到位、还需补充什么。"),
        error_messages={"required": _("退回时请填写退回理由。")},
    )


class SuperviseForm(TaskStepForm):
    """挂牌督办."""

    text = forms.CharField(
        label=_("督办要求"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class MeasureForm(TaskStepForm):
    """The measure taken against 整改不力, e.g. 约谈."""

    MEASURES = [
        ("约谈", _("约谈")),
        ("通报批评", _("通报批评")),
        ("责令作出书面检查", _("责令作出书面检查")),
        ("其他", _("其他")),
    ]
    measure = forms.ChoiceField(label=_("问责措施"), choices=MEASURES)
    note = forms.CharField(
        label=_("具体情况"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如约谈时间、对象和要求；选择“其他”时必填。"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("measure") == "其他" and not (cleaned.get("note") or "").strip():
            self.add_error("note", gettext("选择“其他”时，请写明采取的措施。"))
        return cleaned

    def text(self) -> str:
        """The measure as the timeline records it."""
        # The record keeps the Chinese name whatever the reader's language: it is the ledger's wording.
        measure = self.cleaned_data["measure"]
        note = (self.cleaned_data.get("note") or "").strip()
        return f"{measure}：{note}" if note else measure


class ExtensionDecisionForm(TaskStepForm):
    """The committee approves or rejects a pending extension."""

    decision = forms.ChoiceField(choices=[("approve", _("同意延期")), ("reject", _("不同意延期"))])
    comment = forms.CharField(
        label=_("审批意见"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
