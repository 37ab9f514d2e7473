"""党员名册: the members a branch keeps on its roll, its party groups (党小组), status history and transfers.

A member is a row of the roll, not an account: `person` links a login only when the member needs one.
A transfer between two organizations in the product moves the same row, so its status history and
earlier transfers go with it; a transfer outside the product closes the row (`left_on`, `left_to`).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.history import audited
from accounts.models import Organization, User


class PartyGroup(models.Model):
    """党小组: a group of a branch's members with its leader (组长)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="party_groups", verbose_name=_("党组织")
    )
    name = models.CharField(_("名称"), max_length=64)
    leader = models.ForeignKey(
        "Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("组长")
    )
    order = models.PositiveIntegerField(_("排序"), default=0)

    history = audited()

    class Meta:
        verbose_name = _("党小组")
        verbose_name_plural = pgettext_lazy("plural", "党小组")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="party_group_name_unique_in_organization")
        ]

    def __str__(self) -> str:
        return self.name


class MemberQuerySet(models.QuerySet["Member"]):
    def current(self) -> MemberQuerySet:
        """On a roll now: not transferred out of the product."""
        return self.filter(left_on__isnull=True)


class Member(models.Model):
    """A member on a branch's roll (党员名册)."""

    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    class Category(models.TextChoices):
        FULL = "full", _("正式党员")
        PROBATIONARY = "probationary", _("预备党员")

    class Status(models.TextChoices):
        NORMAL = "normal", _("正常")
        MIGRANT = "migrant", _("流动党员")
        ABROAD = "abroad", _("出国(境)")
        LOST = "lost", _("失联")
        SUSPENDED = "suspended", _("停止党籍")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="roll_members", verbose_name=_("党组织")
    )
    person = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member_entries",
        verbose_name=_("登录账号"),
    )
    name = models.CharField(_("姓名"), max_length=64)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=16, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    education = models.CharField(_("学历"), max_length=32, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    joined_on = models.DateField(_("入党日期"))
    category = models.CharField(_("党员类别"), max_length=16, choices=Category.choices, default=Category.FULL)
    full_membership_due = models.DateField(_("预计转正日期"), null=True, blank=True)
    party_group = models.ForeignKey(
        PartyGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("党小组"),
    )
    occupation = models.CharField(_("工作岗位"), max_length=64, blank=True)
    phone = models.CharField(_("手机"), max_length=32, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.NORMAL)
    migrant_where = models.CharField(_("流入地"), max_length=128, blank=True)
    migrant_since = models.DateField(_("外出日期"), null=True, blank=True)
    migrant_contact = models.CharField(_("联系方式"), max_length=64, blank=True)
    migrant_certificate = models.CharField(_("活动证号"), max_length=32, blank=True)
    arrived_on = models.DateField(_("转入日期"), null=True, blank=True)
    left_on = models.DateField(_("转出日期"), null=True, blank=True)
    left_to = models.CharField(_("转往"), max_length=128, blank=True)

    history = audited()

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = pgettext_lazy("plural", "党员")
        constraints = [
            # An ID number names one person: two current entries with it are one person on two rolls.
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(left_on__isnull=True) & ~Q(id_number=""),
                name="member_id_number_unique_current",
                violation_error_message=_("已有在册党员使用该身份证号。"),
            ),
            models.CheckConstraint(
                condition=~Q(category="probationary") | Q(full_membership_due__isnull=False),
                name="member_probationary_has_due_date",
                violation_error_message=_("预备党员须填写预计转正日期。"),
            ),
            models.CheckConstraint(
                condition=Q(full_membership_due__isnull=True) | Q(full_membership_due__gt=F("joined_on")),
                name="member_due_after_joined",
                violation_error_message=_("预计转正日期须晚于入党日期。"),
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="member_org_status_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        return self.left_on is None

    @property
    def is_migrant(self) -> bool:
        """A 流动党员: the page shows where they are and how the branch reaches them."""
        return self.status == self.Status.MIGRANT

    @property
    def masked_id_number(self) -> str:
        """The ID number as anyone but the branch and its committees sees it: its first and last digits."""
        if len(self.id_number) < 8:
            return "*" * len(self.id_number)
        return self.id_number[:4] + "*" * (len(self.id_number) - 8) + self.id_number[-4:]


class Immutable(models.Model):
    """A row written once: a history is not corrected afterwards, only added to."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("history rows are written once")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("history rows are never deleted")


class MemberStatusChange(Immutable):
    """One change of a member's status, with who recorded it and why."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="status_changes", verbose_name=_("党员"))
    from_status = models.CharField(_("原状态"), max_length=16, choices=Member.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Member.Status.choices)
    on = models.DateField(_("变更日期"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人"))
    at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("党员状态变更")
        verbose_name_plural = pgettext_lazy("plural", "党员状态变更")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class Transfer(Immutable):
    """组织关系转接: into the roll from outside, out of it to outside, or between two organizations in the product."""

    class Kind(models.TextChoices):
        IN = "in", _("转入")
        OUT = "out", _("转出")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("党员"))
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    from_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("转出组织")
    )
    from_text = models.CharField(_("转出组织"), max_length=128, blank=True)
    to_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("转入组织")
    )
    to_text = models.CharField(_("转入组织"), max_length=128, blank=True)
    on = models.DateField(_("转接日期"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("办理人"))
    at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = pgettext_lazy("plural", "组织关系转接")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.source} → {self.destination}"

    @property
    def source(self) -> str:
        return self.from_organization.name if self.from_organization else self.from_text

    @property
    def destination(self) -> str:
        return self.to_organization.name if self.to_organization else self.to_text


class RollExport(models.Model):
    """An export of a roll's personal data: who took it, when, how many members. The audit page shows it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="roll_exports", verbose_name=_("党组织")
    )
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("导出人"))
    at = models.DateTimeField(_("导出时间"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("导出人数"))

    history = audited()

    class Meta:
        verbose_name = _("党员名册导出")
        verbose_name_plural = pgettext_lazy("plural", "党员名册导出")

    def __str__(self) -> str:
        return f"{self.organization} · {self.at:%Y-%m-%d %H:%M}"
