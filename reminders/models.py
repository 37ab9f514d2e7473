"""The sent-log of deadline reminders (reminders.sweep)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from notifications.models import Notification


class ReminderLog(models.Model):
    """The sent-log: one reminder per deadline, threshold and person, enforced by the database."""

    deadline_key = models.CharField(_("期限"), max_length=100)
    threshold = models.SmallIntegerField(_("提醒点（天）"))
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    notification = models.ForeignKey(Notification, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_reminderlog"  # made by accounts before this app existed; the rows stayed
        verbose_name = _("提醒记录")
        verbose_name_plural = pgettext_lazy("plural", "提醒记录")
        constraints = [
            models.UniqueConstraint(
                fields=["deadline_key", "threshold", "recipient"], name="one_reminder_per_deadline_threshold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deadline_key} {self.threshold:+d} → {self.recipient_id}"
