from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = _("整改与督查")

    def ready(self) -> None:
        from rectification import audit

        audit.register()
