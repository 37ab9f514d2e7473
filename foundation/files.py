"""Evidence files, wherever they are attached (duty records, rectification tasks): the type is sniffed
from the content and must match the name; files are stored under a random name, never the person's."""

from __future__ import annotations

import uuid
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from foundation.errors import DomainError

# What evidence may be: the type sniffed from the content, and the names it may carry.
EVIDENCE_TYPES: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({".jpg", ".jpeg"}),
    "image/png": frozenset({".png"}),
    "image/gif": frozenset({".gif"}),
    "image/webp": frozenset({".webp"}),
    "application/pdf": frozenset({".pdf"}),
    "application/msword": frozenset({".doc"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": frozenset({".docx"}),
    "application/vnd.ms-excel": frozenset({".xls"}),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": frozenset({".xlsx"}),
}


def evidence_check(upload: UploadedFile) -> str:
    """The file's real type, sniffed from its content; refuses what is too big or not allowed."""
    name = upload.name or ""
    if upload.size is not None and upload.size > settings.EVIDENCE_MAX_BYTES:
        raise DomainError(
            _("文件“%(name)s”超过 %(limit)s 的大小限制。")
            % {"name": name, "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)}
        )
    if not upload.size:
        raise DomainError(_("文件“%(name)s”是空文件。") % {"name": name})
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    mime = kind.mime if kind is not None else ""
    if mime not in EVIDENCE_TYPES:
        raise DomainError(_("文件“%(name)s”的内容不是允许的类型（图片、PDF、Word、Excel）。") % {"name": name})
    if suffix not in EVIDENCE_TYPES[mime]:
        raise DomainError(_("文件“%(name)s”的扩展名与其内容不符。") % {"name": name})
    return mime


def stored_file_name(folder: str, organization_id: int, filename: str) -> str:
    """Where an uploaded file goes: a random name under the folder and organization.

    The person's file name is kept in `original_name`, never in the path.
    """
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"{folder}/{organization_id}/{uuid.uuid4().hex}{suffix}"


class AttachedFile(models.Model):
    """What every evidence file keeps beside the file itself (duty records' and rectification's)."""

    original_name = models.CharField(gettext_lazy("文件名"), max_length=200)
    content_type = models.CharField(gettext_lazy("文件类型"), max_length=100)
    size = models.PositiveIntegerField(gettext_lazy("大小"))

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
