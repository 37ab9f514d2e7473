"""People, the organization tree and the positions that link them."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
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
    # When the person's password last changed: a calendar feed address issued before it is void
    # (notifications.NotificationPreference), since whoever learnt the old password may have copied it.
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    # The language mail and group robots speak to the person in; set when they switch language in the header
    # (notifications.views.language_switch). Pages follow the session's choice.
    language = models.CharField(
        _("界面语言"), max_length=16, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    # AbstractUser's first/last name do not fit Chinese names; 姓名 is one field.
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    objects = UserManager()  # type: ignore[misc]

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = pgettext_lazy("plural", "用户")

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
        verbose_name_plural = pgettext_lazy("plural", "党组织")
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
        verbose_name_plural = pgettext_lazy("plural", "任职")
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
        verbose_name_plural = pgettext_lazy("plural", "组织授权（用户）")


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("组织授权（用户组）")
        verbose_name_plural = pgettext_lazy("plural", "组织授权（用户组）")


class FirstSignInCode(models.Model):
    """首次登录码: a one-time code handed out on a printed slip, with which a person sets their own password.

    Only a keyed digest of the code is kept (accounts.first_sign_in); the code itself is shown once, on
    the slips page that issued it. A new code for a person voids their older unused one.
    """

    person = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="first_sign_in_codes", verbose_name=_("人员")
    )
    # Where the slip placed the person; the committees above it read the code's record in the audit log.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("党组织"),
    )
    digest = models.CharField(_("登录码摘要"), max_length=64, editable=False)
    issued_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("发放人")
    )
    issued_at = models.DateTimeField(_("发放时间"))
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    # The digest stays out of the history tables: the audit log never needs it.
    history = audited(excluded_fields=["digest"])

    class Meta:
        verbose_name = _("首次登录码")
        verbose_name_plural = pgettext_lazy("plural", "首次登录码")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="one_open_first_sign_in_code_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.issued_at:%Y-%m-%d}"
