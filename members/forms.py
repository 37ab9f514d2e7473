"""Forms of the roll's pages; the services check the rules, the forms only read the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from members.fields import MemberFields, MigrantDetails
from members.models import Member, PartyGroup


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class MemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    gender = forms.ChoiceField(label=_("性别"), choices=Member.Gender.choices)
    ethnicity = forms.CharField(label=_("民族"), max_length=16, required=False)
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=DateInput())
    education = forms.CharField(label=_("学历"), max_length=32, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    joined_on = forms.DateField(label=_("入党日期"), widget=DateInput())
    category = forms.ChoiceField(label=_("党员类别"), choices=Member.Category.choices)
    full_membership_due = forms.DateField(
        label=_("预计转正日期"), required=False, widget=DateInput(), help_text=_("预备党员必填，一般为入党满一年之日。")
    )
    party_group = forms.ModelChoiceField(label=_("党小组"), queryset=PartyGroup.objects.none(), required=False)
    occupation = forms.CharField(label=_("工作岗位"), max_length=64, required=False)
    phone = forms.CharField(label=_("手机"), max_length=32, required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party_group"].queryset = PartyGroup.objects.filter(organization=organization)  # type: ignore[attr-defined]

    def member_fields(self) -> MemberFields:
        data = self.cleaned_data
        return MemberFields(
            name=data["name"],
            gender=data["gender"],
            joined_on=data["joined_on"],
            category=data["category"],
            full_membership_due=data["full_membership_due"],
            ethnicity=data["ethnicity"],
            birth_date=data["birth_date"],
            education=data["education"],
            id_number=data["id_number"],
            party_group=data["party_group"],
            occupation=data["occupation"],
            phone=data["phone"],
        )

    @staticmethod
    def initial_of(member: Member) -> dict[str, Any]:
        return {name: getattr(member, name) for name in MemberForm.base_fields}


class MemberAddForm(MemberForm):
    transferred_from = forms.CharField(
        label=_("转入自"), max_length=128, required=False, help_text=_("从系统外党组织转入的，填写原组织名称。")
    )
    transferred_on = forms.DateField(label=_("转接日期"), required=False, widget=DateInput())


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("新状态"), choices=Member.Status.choices)
    on = forms.DateField(label=_("变更日期"), widget=DateInput())
    note = forms.CharField(label=_("说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    migrant_where = forms.CharField(label=_("流入地"), max_length=128, required=False)
    migrant_since = forms.DateField(label=_("外出日期"), required=False, widget=DateInput())
    migrant_contact = forms.CharField(label=_("联系方式"), max_length=64, required=False)
    migrant_certificate = forms.CharField(label=_("活动证号"), max_length=32, required=False)

    def migrant(self) -> MigrantDetails:
        data = self.cleaned_data
        return MigrantDetails(
            where=data["migrant_where"],
            since=data["migrant_since"],
            contact=data["migrant_contact"],
            certificate=data["migrant_certificate"],
        )


class TransferForm(forms.Form):
    to_code = forms.CharField(
        label=_("转入组织代码"), max_length=64, required=False, help_text=_("转往本系统内的党组织时填写其组织代码。")
    )
    to_text = forms.CharField(
        label=_("系统外党组织"), max_length=128, required=False, help_text=_("转往系统外的，填写对方党组织名称。")
    )
    on = forms.DateField(label=_("转接日期"), widget=DateInput())
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class GroupForm(forms.Form):
    name = forms.CharField(label=_("党小组名称"), max_length=64)
    leader = forms.ModelChoiceField(label=_("组长"), queryset=Member.objects.none(), required=False)
    order = forms.IntegerField(label=_("排序"), min_value=0, required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = Member.objects.current().filter(organization=organization).order_by("name")  # type: ignore[attr-defined]


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("登录名"), max_length=150, help_text=_("创建后由管理员设置初始密码，本人首次登录时须修改密码。")
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("名册文件（.xlsx）"))


class RollFilterForm(forms.Form):
    """The roll's filters; a bad value is dropped, never an error page."""

    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部")), *Member.Status.choices], required=False)
    category = forms.ChoiceField(
        label=_("党员类别"), choices=[("", _("全部")), *Member.Category.choices], required=False
    )
    group = forms.ModelChoiceField(
        label=_("党小组"), queryset=PartyGroup.objects.none(), required=False, empty_label=_("全部")
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = PartyGroup.objects.filter(organization=organization)  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        if self.is_valid():
            return self.cleaned_data
        return {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
