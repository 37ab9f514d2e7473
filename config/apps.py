"""The third-party apps the admin shows, under names of our own: Chinese, with English in the catalog.

Their own configurations name them after their packages ("Axes", "Otp_Totp") and their models in untranslated
English. The app names are these subclasses' `verbose_name`; the models' names are set when the app is ready.
Migrations are not touched by the latter: they read a model's Meta as declared, not `_meta` as changed here.
"""

from __future__ import annotations

import axes.apps
from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_otp.plugins.otp_static import apps as otp_static_apps
from django_otp.plugins.otp_totp import apps as otp_totp_apps


def _name_models(app_label: str, names: dict[str, tuple[Promise, Promise]]) -> None:
    for model_name, (singular, plural) in names.items():
        meta = apps.get_model(app_label, model_name)._meta
        meta.verbose_name, meta.verbose_name_plural = singular, plural


class AxesConfig(axes.apps.AppConfig):
    verbose_name = _("登录防护")

    def ready(self) -> None:
        super().ready()
        _name_models(
            self.label,
            {
                "AccessAttempt": (_("登录失败记录"), pgettext_lazy("plural", "登录失败记录")),
                "AccessLog": (_("登录日志"), pgettext_lazy("plural", "登录日志")),
                "AccessFailureLog": (_("登录失败日志"), pgettext_lazy("plural", "登录失败日志")),
            },
        )


class TOTPConfig(otp_totp_apps.DefaultConfig):
    verbose_name = _("两步验证：验证器")

    def ready(self) -> None:
        super().ready()
        _name_models(self.label, {"TOTPDevice": (_("验证器"), pgettext_lazy("plural", "验证器"))})


class StaticConfig(otp_static_apps.DefaultConfig):
    verbose_name = _("两步验证：恢复码")

    def ready(self) -> None:
        super().ready()
        _name_models(self.label, {"StaticDevice": (_("恢复码组"), pgettext_lazy("plural", "恢复码组"))})
