from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = _("整改与督查")

    def ready(self) -> None:
        from rectification import audit, selectors, texts
        from reviews import carried

        audit.register()
        texts.register()
        # A duty report shows how last year's rectification went: reviews reads it through this port.
        carried.register(selectors.carried_tasks)
