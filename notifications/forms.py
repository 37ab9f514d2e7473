"""Forms of the notification settings page: channels and group robots."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import WebhookEndpoint


class PreferenceForm(forms.Form):
    by_email = forms.BooleanField(label=_("邮件提醒"), required=False, help_text=_("发送到您账号登记的电子邮箱。"))
    by_webhook = forms.BooleanField(
        label=_("群机器人提醒"),
        required=False,
        help_text=_("由您担任书记、委员等职务的党组织的企业微信或钉钉群机器人推送。"),
    )


class WebhookForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=WebhookEndpoint.Kind.choices)
    url = forms.URLField(
        label=_("机器人地址"),
        max_length=500,
        assume_scheme="https",
        help_text=_("在企业微信或钉钉群里添加机器人后复制的 Webhook 地址，以 https:// 开头。"),
    )

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        if urlsplit(url).scheme != "https":
            raise forms.ValidationError(_("群机器人地址必须以 https:// 开头。"))
        return url
