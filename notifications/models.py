"""The outbox and the notification centre: what each person is told, through which channels, and the
group robots of organizations. Every app notifies through notifications.services.notify."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization, User
from notifications import messages


class Notification(models.Model):
    """消息: what the notification centre shows one person; written in the transaction of its cause."""

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("接收人")
    )
    kind = models.CharField(_("类型"), max_length=48)
    # What it says: a key of notifications.messages and the raw values of its placeholders, rendered when
    # read, in the reader's language.
    message_key = models.CharField(_("消息模板"), max_length=64, blank=True)
    params = models.JSONField(_("消息参数"), default=dict, blank=True)
    # The sentences of notifications written before message keys, in the language of the request that caused
    # them; shown as they are for a row without a key.
    stored_title = models.CharField(_("标题"), max_length=200, blank=True, db_column="title")
    stored_body = models.TextField(_("内容"), blank=True, db_column="body")
    url = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        db_table = "accounts_notification"  # made by accounts before this app existed; the rows stayed
        verbose_name = _("消息")
        verbose_name_plural = pgettext_lazy("plural", "消息")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title

    def rendered(self) -> tuple[str, str]:
        """(title, body) in the active language: the message rendered, or the stored text of an older row."""
        if self.message_key:
            try:
                return messages.render(self.message_key, self.params)
            except messages.UnknownMessage:
                # A key since removed from the registry: the stored text if any, else the key, never a failing page.
                pass
        return self.stored_title or self.message_key, self.stored_body

    @property
    def title(self) -> str:
        return self.rendered()[0]

    @property
    def body(self) -> str:
        return self.rendered()[1]


class Delivery(models.Model):
    """The outbox: one row per notification and outside channel, delivered after commit and retried."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("电子邮件")
        WEBHOOK = "webhook", _("群机器人")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    target = models.CharField(_("地址"), max_length=500)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.TextField(_("错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        db_table = "accounts_delivery"  # made by accounts before this app existed; the rows stayed
        verbose_name = _("消息投递")
        verbose_name_plural = pgettext_lazy("plural", "消息投递")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel", "target"], name="one_delivery_per_channel"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_pending_idx")]

    def __str__(self) -> str:
        return f"{self.notification} → {self.channel}"


class NotificationPreference(models.Model):
    """Which channels a person wants, and the secret of their calendar feed."""

    person = models.OneToOneField(User, on_delete=models.CASCADE, related_name="notification_preference")
    by_email = models.BooleanField(_("邮件提醒"), default=True)
    by_webhook = models.BooleanField(_("群机器人提醒"), default=True)
    calendar_token = models.CharField(_("日历订阅密钥"), max_length=64, blank=True, db_index=True)
    calendar_token_issued_at = models.DateTimeField(_("日历订阅密钥生成时间"), null=True, blank=True)

    class Meta:
        db_table = "accounts_notificationpreference"  # made by accounts before this app existed; the rows stayed
        verbose_name = _("提醒设置")
        verbose_name_plural = pgettext_lazy("plural", "提醒设置")

    def __str__(self) -> str:
        return str(self.person)

    def calendar_address_is_current(self) -> bool:
        """Whether the feed's address still opens: one issued before the person's last password change is
        void, since whoever learnt the old password may have copied the address too.

        Compared with the time the password changed, not with a fingerprint of its hash: Django re-hashes
        a password at sign-in whenever its hasher's work factor rises, which would void every subscribed
        phone's address after an upgrade although no password changed."""
        changed = self.person.password_changed_at
        if not self.calendar_token:
            return False
        return changed is None or (
            self.calendar_token_issued_at is not None and self.calendar_token_issued_at >= changed
        )

    @staticmethod
    def new_calendar_token() -> str:
        """A fresh secret for the feed's address: 256 random bits, URL-safe."""
        return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """An organization's WeCom or DingTalk group robot."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("企业微信群机器人")
        DINGTALK = "dingtalk", _("钉钉群机器人")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhooks")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    url = models.URLField(_("地址"), max_length=500)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        db_table = "accounts_webhookendpoint"  # made by accounts before this app existed; the rows stayed
        verbose_name = _("群机器人")
        verbose_name_plural = pgettext_lazy("plural", "群机器人")

    def __str__(self) -> str:
        return f"{self.organization} {self.get_kind_display()}"
