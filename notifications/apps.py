from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """消息: the outbox every app writes to (notify), its delivery by mail and group robots, the centre."""

    name = "notifications"
    verbose_name = _("消息")
