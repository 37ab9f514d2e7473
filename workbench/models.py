"""The yearly PDFs rendered in the background, and their state (workbench.renders)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization


class RenderedReport(models.Model):
    """A yearly PDF rendered in the background: an organization's report, or a committee's summary."""

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", _("年度报告")
        SUMMARY = "summary", _("年度汇总")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RENDERING = "rendering", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="rendered_reports")
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(_("文件"), upload_to="reports/", max_length=200, blank=True)
    error = models.TextField(_("失败原因"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        db_table = "reviews_renderedreport"  # made by reviews before this app existed; the rows stayed
        verbose_name = _("年度报告文件")
        verbose_name_plural = pgettext_lazy("plural", "年度报告文件")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # Asking again while one renders does not start a second.
            models.UniqueConstraint(
                fields=["organization", "year", "kind"],
                condition=Q(status__in=["queued", "rendering"]),
                name="one_render_in_flight",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.year} {self.get_kind_display()}"

    @property
    def is_ready(self) -> bool:
        """Rendered: the PDF can be downloaded."""
        return self.status == self.Status.READY

    @property
    def has_failed(self) -> bool:
        """The render failed: the document can be asked for again (retry)."""
        return self.status == self.Status.FAILED
