"""Forms of organizational life's pages; the services check the rules, the forms only read the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import MultipleFileField
from accounts.models import Organization
from meetings import progress
from meetings.models import Attendance, Meeting, MeetingKind
from meetings.services import MeetingFields
from members.models import Member, PartyGroup
from responsibility.models import Period


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _roll_choice(label: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=label, queryset=Member.objects.none(), required=False)


class MeetingForm(forms.Form):
    kind = forms.ModelChoiceField(label=_("会议类型"), queryset=MeetingKind.objects.none())
    starts_at = forms.DateTimeField(
        label=_("时间"), widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    place = forms.CharField(label=_("地点"), max_length=128)
    topic = forms.CharField(label=_("主题"), max_length=200)
    party_group = forms.ModelChoiceField(
        label=_("党小组"), queryset=PartyGroup.objects.none(), required=False, help_text=_("党小组会必选。")
    )
    host = _roll_choice(_("主持人"))
    recorder = _roll_choice(_("记录人"))
    lecturer = _roll_choice(_("授课人"))
    agenda = forms.CharField(label=_("议程"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    chosen = forms.ModelMultipleChoiceField(
        label=_("指定参会人员"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("只用于应到人员为“指定人员”的会议类型。"),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = progress.kinds_for(organization)
        self.fields["kind"].queryset = MeetingKind.objects.filter(pk__in=[kind.pk for kind in kinds])  # type: ignore[attr-defined]
        roll = Member.objects.current().filter(organization=organization).order_by("name", "id")
        for name in ("host", "recorder", "lecturer", "chosen"):
            self.fields[name].queryset = roll  # type: ignore[attr-defined]
        self.fields["lecturer"].help_text = _("党课必填：书记讲党课计入“书记每年至少讲一次党课”。")
        self.fields["party_group"].queryset = PartyGroup.objects.filter(organization=organization)  # type: ignore[attr-defined]

    def meeting_fields(self) -> MeetingFields:
        data = self.cleaned_data
        return MeetingFields(
            kind=data["kind"],
            starts_at=data["starts_at"],
            place=data["place"],
            topic=data["topic"],
            host=data["host"],
            recorder=data["recorder"],
            lecturer=data["lecturer"],
            party_group=data["party_group"],
            agenda=data["agenda"],
        )

    @staticmethod
    def initial_of(meeting: Meeting) -> dict[str, Any]:
        return {
            "kind": meeting.kind,
            "starts_at": timezone.localtime(meeting.starts_at),
            "place": meeting.place,
            "topic": meeting.topic,
            "party_group": meeting.party_group,
            "host": meeting.host,
            "recorder": meeting.recorder,
            "lecturer": meeting.lecturer,
            "agenda": meeting.agenda,
        }


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("会议记录"), widget=forms.Textarea(attrs={"rows": 10}))
    resolutions = forms.CharField(label=_("决议事项"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class FilesForm(forms.Form):
    uploads = MultipleFileField(label=_("照片或文件"), help_text=_("签到表、会议照片、学习材料等，作为会议佐证。"))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200)


class MarkForm(forms.Form):
    status = forms.ChoiceField(
        label=_("情况"),
        choices=[
            (Attendance.Status.PRESENT, _("出席（代签）")),
            ("remote", _("远程参加")),
            (Attendance.Status.LEAVE, _("请假")),
            (Attendance.Status.EXPECTED, _("未签到")),
        ],
    )
    reason = forms.CharField(label=_("说明"), max_length=200, required=False, help_text=_("请假须写明事由。"))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("签到码"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
        help_text=_("主持人屏幕上的 6 位数字，每分钟更换。"),
    )


class RuleForm(forms.Form):
    period = forms.ChoiceField(label=_("周期"), choices=[(p.value, p.label) for p in Period if p != Period.ONCE])
    count = forms.IntegerField(label=_("每周期至少次数"), min_value=1, max_value=31)
    required = forms.BooleanField(label=_("必须召开"), required=False, initial=True)


class KindForm(RuleForm):
    name = forms.CharField(label=_("会议类型名称"), max_length=32)
    attendees = forms.ChoiceField(label=_("应到人员"), choices=MeetingKind.Attendees.choices)

    field_order = ["name", "attendees", "period", "count", "required"]
