"""People, the organization tree and the positions that link them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from treebeard.mp_tree import MP_Node

from accounts.history import audited


class User(AbstractUser):
    """A person who signs in. The login name is `username`."""

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机"), max_length=32, blank=True)
    # Kept with the account, not the session: signing in again must not shed the obligation. Raised
    # whenever someone else sets the password (import, an administrator, the shell), cleared only
    # when the person sets their own (accounts.services.password_change).
    must_change_password = models.BooleanField(
        _("须修改密码"), default=False, help_text=_("下次登录时须先修改密码（密码由管理员设置或导入后尚未修改）。")
    )

    # AbstractUser's first/last name do not fit Chinese names; 姓名 is one field.
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    objects = UserManager()  # type: ignore[misc]

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name or self.username


class Organization(MP_Node):
    """A party organization. `path` is a materialized path: a subtree is one prefix match."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("党委")
        WORKING_COMMITTEE = "working_committee", _("党工委")
        GENERAL_BRANCH = "general_branch", _("党总支")
        BRANCH = "branch", _("党支部")

    class Sector(models.TextChoices):
        RURAL = "rural", _("农村")
        COMMUNITY = "community", _("社区")
        ORGAN = "organ", _("机关")
        INSTITUTION = "institution", _("事业单位")
        STATE_ENTERPRISE = "state_enterprise", _("国有企业")
        PRIVATE_ENTERPRISE = "private_enterprise", _("非公企业")
        SOCIAL_ORGANIZATION = "social_organization", _("社会组织")
        SCHOOL = "school", _("学校")

    # Four base-36 characters a level: 1.6 million children per organization and
    # 63 levels fit in the 255-character path.
    steplen = 4
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    # No node_order_by: sorted insertion would rewrite siblings' paths; pages sort instead.

    name = models.CharField(_("名称"), max_length=128)
    code = models.CharField(_("组织代码"), max_length=64, unique=True)
    kind = models.CharField(_("类别"), max_length=32, choices=Kind.choices)
    sector = models.CharField(_("领域"), max_length=32, choices=Sector.choices, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    history = audited()

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        permissions = [("supervise_organization", _("督导该组织及其下级组织"))]
        indexes = [
            # LIKE 'prefix%' on PostgreSQL uses an index only with pattern ops;
            # other databases ignore the opclass.
            models.Index(fields=["path"], name="org_path_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["kind", "sector"], name="org_kind_sector_idx"),
            models.Index(fields=["name"], name="org_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_committee(self) -> bool:
        """Committees (党委, 党工委, 党总支) lead the organizations below them."""
        return self.kind != self.Kind.BRANCH

    def ancestor_paths(self) -> list[str]:
        """The paths of every ancestor, computed from our own path without a query."""
        return [self.path[:end] for end in range(self.steplen, len(self.path), self.steplen)]

    def parent_path(self) -> str:
        return self.parent_path_of(self.path)

    @classmethod
    def parent_path_of(cls, path: str) -> str:
        """The parent's path of the organization at `path`; empty for a root."""
        return path[: -cls.steplen]


class PositionQuerySet(models.QuerySet["Position"]):
    def current(self) -> PositionQuerySet:
        """Positions held now; an ended term is closed by `position_end`."""
        return self.filter(is_current=True)

    def holder(self, organization: Organization, role: str) -> Position | None:
        """The current position of this role in the organization, with its person; the earliest if several."""
        return (
            self.current().filter(organization=organization, role=role).select_related("person").order_by("id").first()
        )

    def secretary_of(self, organization: Organization) -> User | None:
        """The organization's current secretary (at most one: a constraint), or None."""
        position = self.holder(organization, Position.Role.SECRETARY)
        return position.person if position else None

    def secretaries_of(self, organizations: Iterable[Organization]) -> dict[int, User]:
        """The current secretary of each organization that has one, by organization id (one query)."""
        positions = (
            self.current()
            .filter(organization__in=[organization.pk for organization in organizations], role=Position.Role.SECRETARY)
            .select_related("person")
            .order_by("id")
        )
        found: dict[int, User] = {}
        for position in positions:
            found.setdefault(position.organization_id, position.person)
        return found


class Position(models.Model):
    """任职: a person holds a role in an organization for a term."""

    class Role(models.TextChoices):
        SECRETARY = "secretary", _("书记")
        DEPUTY = "deputy", _("副书记")
        COMMITTEE_MEMBER = "committee_member", _("委员")
        STAFF = "staff", _("党务工作者")
        MEMBER = "member", _("党员")

    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="positions", verbose_name=_("人员"))
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="positions", verbose_name=_("党组织")
    )
    role = models.CharField(_("职务"), max_length=32, choices=Role.choices)
    portfolio = models.CharField(_("分工"), max_length=64, blank=True, help_text=_("如：组织委员、宣传委员、纪检委员"))
    term_start = models.DateField(_("任期开始"), null=True, blank=True)
    term_end = models.DateField(_("任期结束"), null=True, blank=True)
    # A term that has ended is closed by setting term_end; `is_current` keeps the
    # "one current secretary" rule enforceable by a partial unique index.
    is_current = models.BooleanField(_("现任"), default=True)

    history = audited()

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(role="secretary", is_current=True),
                name="one_current_secretary_per_org",
                violation_error_message=_("该组织已有现任书记。"),
            ),
            models.UniqueConstraint(
                fields=["person", "organization", "role"],
                condition=Q(is_current=True),
                name="one_current_position_per_role",
                violation_error_message=_("此人在该组织已担任该职务。"),
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_end__gte=models.F("term_start")),
                name="position_term_ordered",
                violation_error_message=_("任期结束不能早于任期开始。"),
            ),
        ]
        indexes = [models.Index(fields=["person", "is_current"], name="position_person_current_idx")]

    def __str__(self) -> str:
        return f"{self.person} · {self.organization} · {self.get_role_display()}"

    @property
    def is_leading_role(self) -> bool:
        """Roles that keep an organization's work (everyone but plain members)."""
        return self.role != self.Role.MEMBER


class OrganizationUserObjectPermission(UserObjectPermissionBase):
    """Guardian grants on organizations with a real foreign key (no generic relation)."""

    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("组织授权（用户）")
        verbose_name_plural = _("组织授权（用户）")


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("组织授权（用户组）")
        verbose_name_plural = _("组织授权（用户组）")


class Notification(models.Model):
    """消息: what the notification centre shows one person; written in the transaction of its cause."""

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("接收人")
    )
    kind = models.CharField(_("类型"), max_length=48)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title


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
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel", "target"], name="one_delivery_per_channel"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_pending_idx")]

    def __str__(self) -> str:
        return f"{self.notification} → {self.channel}"


class ReminderLog(models.Model):
    """The sent-log: one reminder per deadline, threshold and person, enforced by the database."""

    deadline_key = models.CharField(_("期限"), max_length=100)
    threshold = models.SmallIntegerField(_("提醒点（天）"))
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    notification = models.ForeignKey(Notification, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        constraints = [
            models.UniqueConstraint(
                fields=["deadline_key", "threshold", "recipient"], name="one_reminder_per_deadline_threshold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deadline_key} {self.threshold:+d} → {self.recipient_id}"


class NotificationPreference(models.Model):
    """Which channels a person wants, and the secret of their calendar feed."""

    person = models.OneToOneField(User, on_delete=models.CASCADE, related_name="notification_preference")
    by_email = models.BooleanField(_("邮件提醒"), default=True)
    by_webhook = models.BooleanField(_("群机器人提醒"), default=True)
    calendar_token = models.CharField(_("日历订阅密钥"), max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("提醒设置")
        verbose_name_plural = _("提醒设置")

    def __str__(self) -> str:
        return str(self.person)

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
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")

    def __str__(self) -> str:
        return f"{self.organization} {self.get_kind_display()}"
