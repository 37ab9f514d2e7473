from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("述职评议考核")

    def ready(self) -> None:
        from reviews import audit, texts

        audit.register()
        texts.register()
