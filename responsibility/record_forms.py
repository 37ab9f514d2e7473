"""Forms for duty records (履责记实), their evidence and their review."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Position, User
from foundation.errors import DomainError
from foundation.files import EVIDENCE_TYPES, evidence_check
from responsibility.models import DutyRecord, DutyType, ListItem

# What the browser's file picker offers; the content is checked again by foundation.files.evidence_check.
EVIDENCE_ACCEPT = ",".join(sorted(suffix for suffixes in EVIDENCE_TYPES.values() for suffix in suffixes))


class EvidenceInput(forms.FileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several files from one `<input type="file" multiple>`, cleaned to a list (empty when none is chosen)."""

    widget = EvidenceInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = [upload for upload in (data if isinstance(data, (list, tuple)) else [data]) if upload]
        if not uploads:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        single = super().clean
        return [single(upload, initial) for upload in uploads]


def _evidence_field() -> EvidenceField:
    return EvidenceField(
        label=_("佐证材料"),
        required=False,
        widget=EvidenceInput(attrs={"accept": EVIDENCE_ACCEPT, "multiple": True}),
        help_text=_("可一次选择多个文件：图片（JPG、PNG、GIF、WebP）、PDF、Word、Excel；每个文件不超过 %(mb)s MB。")
        % {"mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)},
    )


class _RecordFields(forms.Form):
    """The fields a record's author types; personal_action only on a 第一责任人 item."""

    occurred_on = forms.DateField(
        label=_("履责日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    content = forms.CharField(
        label=_("履责内容"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("写清做了什么、何时何地、参加人员和效果，一事一记。"),
    )
    personal_action = forms.ChoiceField(
        label=_("书记亲自履责"),
        required=False,
        choices=[("", _("（不适用）")), *DutyRecord.PersonalAction.choices],
        help_text=_("第一责任人条目：注明本次是亲自部署、亲自过问、亲自协调还是亲自督办。"),
    )

    def __init__(self, *args: Any, item: ListItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        if item.duty_type != DutyType.FIRST:
            del self.fields["personal_action"]
        self.fields["files"] = _evidence_field()

    def clean_files(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("files") or []
        errors = []
        for upload in files:
            try:
                evidence_check(upload)
            except DomainError as error:
                errors.append(str(error))
        if errors:
            raise forms.ValidationError(errors)
        return files


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name())


class RecordForm(_RecordFields):
    """履责记实: a new record against an item."""

    done_by = PersonChoiceField(label=_("履责人"), queryset=User.objects.none(), empty_label=None)

    field_order = ["occurred_on", "done_by", "content", "personal_action", "files"]

    def __init__(self, *args: Any, item: ListItem, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).update({"occurred_on": timezone.localdate(), "done_by": user.pk})
        super().__init__(*args, item=item, **kwargs)
        # The organization's current people, and whoever is recording (an administrator, say).
        people = Position.objects.current().filter(organization_id=item.list.organization_id).values("person_id")
        field = self.fields["done_by"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(Q(pk__in=people) | Q(pk=user.pk)).order_by("full_name", "id")
        self.order_fields(self.field_order)


class RecordEditForm(_RecordFields):
    """Corrects a record; new files are added to those already attached."""

    def __init__(self, *args: Any, record: DutyRecord, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"occurred_on": record.occurred_on, "content": record.content, "personal_action": record.personal_action},
        )
        super().__init__(*args, item=record.item, **kwargs)
        self.fields["files"].label = _("追加佐证材料")


class ReviewForm(forms.Form):
    """The committee's decision on a record: accept it, or return it with a reason the author will see."""

    decision = forms.ChoiceField(choices=[("accept", _("认可")), ("return", _("驳回"))])
    reason = forms.CharField(
        label=_("驳回理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("驳回时必填：告诉记实人缺少什么、应如何补充。"),
    )
    without_evidence = forms.BooleanField(label=_("确认无佐证材料仍予通过"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "return" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", gettext("驳回时请填写驳回理由，让记实人知道需要补充什么。"))
        return cleaned
