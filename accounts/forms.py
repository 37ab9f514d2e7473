"""Forms for sign-in, first sign-in with a one-time code, two-factor sign-in and the import upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User

IMPORT_SUFFIXES = (".xlsx", ".csv")


class SignInForm(AuthenticationForm):
    error_messages = {
        # One message for a wrong name, a wrong password and a lockout: it never reveals who exists.
        "invalid_login": _("登录名或密码不正确，或连续失败次数过多已被暂时锁定，请稍后再试。"),
        "inactive": _("登录名或密码不正确，或连续失败次数过多已被暂时锁定，请稍后再试。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("登录名")
        self.fields["password"].label = _("密码")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        # AuthenticationForm sets max_length after the field is built, so nothing enforced it: django-axes
        # then stored an over-long name in its 255-character column, a server error on PostgreSQL.
        self.fields["username"].validators.append(MaxLengthValidator(self.username_field.max_length or 254))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    upload = MultipleFileField(
        label=_("导入文件"),
        help_text=_("一个 .xlsx 文件（“组织”和“人员”两个工作表），或组织、人员各一个 .csv 文件。"),
        widget=MultipleFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_upload(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data["upload"]
        for upload in files:
            name = (upload.name or "").lower()
            if not name.endswith(IMPORT_SUFFIXES):
                raise forms.ValidationError(gettext("%(name)s 不是 .xlsx 或 .csv 文件。") % {"name": upload.name})
            if upload.size is not None and upload.size > settings.IMPORT_MAX_BYTES:
                raise forms.ValidationError(
                    gettext("%(name)s 超过 %(mb)s MB 的上限。")
                    % {"name": upload.name, "mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
                )
        return files


class TwoFactorCodeForm(forms.Form):
    """The code asked for after the password: from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("动态验证码"),
        max_length=32,
        help_text=_("打开手机上的身份验证器应用，输入显示的 6 位数字；手机不在身边时可输入一个恢复码。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "autofocus": True}),
    )


class TwoFactorEnrolForm(forms.Form):
    code = forms.CharField(
        label=_("动态验证码"),
        max_length=16,
        help_text=_("扫码或手动添加后，输入应用中显示的 6 位数字。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TwoFactorDisableForm(forms.Form):
    confirmation = forms.CharField(
        label=_("当前密码或动态验证码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class FirstSignInForm(forms.Form):
    """首次登录: the login and one-time code from the slip, and the new password twice."""

    username = forms.CharField(
        label=_("登录名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}),
    )
    code = forms.CharField(
        label=_("首次登录码"),
        max_length=32,
        help_text=_("登录单上的 12 位登录码，横线可不输入。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = password_validators_help_text_html()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", gettext("两次输入的新密码不一致。"))
        return cleaned


class SlipPeopleForm(forms.Form):
    """Whom to print first-sign-in slips for, out of the people the page lists."""

    people: forms.ModelMultipleChoiceField[User] = forms.ModelMultipleChoiceField(
        label=_("人员"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一人。")},
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = self.fields["people"]
        assert isinstance(people, forms.ModelMultipleChoiceField)
        people.queryset = candidates
