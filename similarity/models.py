"""相似内容 (形式主义 · 年年提问题、年年是问题): what is kept of each text to find its near-copies, the pairs
found, and the passages a committee marks as standard text.

A domain tells this app when one of its texts is saved (`services.text_saved`) under a kind it registered
(`kinds.register`): the text's signature is stored once (`TextSignature`, with its LSH buckets in
`SignatureBand`), compared with the candidates it shares a bucket with, and each confirmed pair is one
`TextPair` row, so a page reads pairs and never rescans texts. This app reads no domain's tables: a kind
says how to name and reach its objects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization
from similarity import kinds


class TextSignature(models.Model):
    """One text as it was last saved: its words as compared, its MinHash numbers and counted length."""

    kind = models.CharField(_("类型"), max_length=24)
    object_id = models.PositiveBigIntegerField(_("对象"))
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("党组织"))
    year = models.PositiveSmallIntegerField(_("年度"))
    # The plain text compared (tags removed), so a pair is confirmed and shown without asking its domain.
    text = models.TextField(_("文本"))
    # Passages of the text its own page makes everyone write (a report's section titles): never counted.
    headings = models.JSONField(_("固定标题"), default=list)
    hashvalues = models.BinaryField(_("签名"))
    length = models.PositiveIntegerField(_("计入字数"))
    digest = models.CharField(_("摘要"), max_length=64)
    updated_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("文本签名")
        verbose_name_plural = pgettext_lazy("plural", "文本签名")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="one_signature_per_text")]
        indexes = [models.Index(fields=["organization", "kind", "year"], name="signature_org_kind_year_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class SignatureBand(models.Model):
    """One LSH bucket of a signature: texts sharing a bucket are candidates for a near-copy."""

    signature = models.ForeignKey(TextSignature, on_delete=models.CASCADE, related_name="bands")
    kind = models.CharField(max_length=24)
    year = models.PositiveSmallIntegerField()
    key = models.BigIntegerField()

    class Meta:
        verbose_name = _("签名分桶")
        verbose_name_plural = pgettext_lazy("plural", "签名分桶")
        indexes = [models.Index(fields=["kind", "year", "key"], name="band_kind_year_key_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year} {self.key}"


class TextPair(models.Model):
    """Two texts of one kind found alike: the later one (`text`) and the earlier one (`other`), and how much
    of each the other holds. One row a pair; `share` is the larger of the two, by which pages sort."""

    kind = models.CharField(_("类型"), max_length=24)
    year = models.PositiveSmallIntegerField(_("年度"))
    text = models.ForeignKey(TextSignature, on_delete=models.CASCADE, related_name="pairs")
    other = models.ForeignKey(TextSignature, on_delete=models.CASCADE, related_name="pairs_as_other")
    # Denormalised from the two signatures so that a committee's page filters and sorts on one table.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    other_organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    other_year = models.PositiveSmallIntegerField()
    text_share = models.PositiveSmallIntegerField(_("本文重复比例"))
    other_share = models.PositiveSmallIntegerField(_("对方重复比例"))
    share = models.PositiveSmallIntegerField(_("相似度"))
    found_at = models.DateTimeField(_("发现时间"), auto_now=True)

    class Meta:
        verbose_name = _("相似文本")
        verbose_name_plural = pgettext_lazy("plural", "相似文本")
        constraints = [models.UniqueConstraint(fields=["text", "other"], name="one_pair_per_texts")]
        indexes = [
            # In the committee page's order to the last column (-id breaks ties among the many pairs
            # sharing 100): the page's 50 rows are read from the index instead of sorting the year's pairs.
            models.Index(fields=["year", "-share", "-id"], name="pair_year_share_id_idx"),
            models.Index(fields=["kind", "year", "-share", "-id"], name="pair_kind_year_share_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.text} ~ {self.other} {self.share}%"

    @property
    def kind_label(self) -> str:
        text_kind = kinds.get(self.kind)
        return str(text_kind.label) if text_kind else self.kind

    @property
    def same_organization(self) -> bool:
        return self.organization_id == self.other_organization_id


class StandardText(models.Model):
    """规范表述: a passage everyone below a committee must write (a required formula, a heading); it is left
    out of every comparison of texts of its kind in the committee's subtree."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("设定单位")
    )
    kind = models.CharField(_("适用类型"), max_length=24, blank=True)
    text = models.TextField(_("规范表述"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("设定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("规范表述")
        verbose_name_plural = pgettext_lazy("plural", "规范表述")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def kind_label(self) -> str:
        text_kind = kinds.get(self.kind)
        return str(text_kind.label) if text_kind else ""
