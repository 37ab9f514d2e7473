from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    """提醒: the daily sweep of every domain's deadlines and the personal calendar feed (a layer above the domains)."""

    name = "reminders"
    verbose_name = _("提醒")
