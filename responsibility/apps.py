from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponsibilityConfig(AppConfig):
    name = "responsibility"
    verbose_name = _("责任清单与履责记实")

    def ready(self) -> None:
        from responsibility import audit, texts

        audit.register()
        texts.register()
