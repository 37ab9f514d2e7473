"""Evidence files, wherever they are attached (duty records, rectification tasks, meetings): the type is
sniffed from the content and must match the name; files are stored under a random name, never the person's,
and served only by a view that checked the reader, with a small thumbnail for photos."""

from __future__ import annotations

import io
import uuid
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps

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


# Shown in the browser rather than downloaded: types a browser renders without running anything.
# Anything else (and above all HTML or SVG, which could run script on our origin) is an attachment.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"})
# Pillow reads these; the thumbnail is always a JPEG, small enough for a page of twenty records on a phone.
THUMBNAIL_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
THUMBNAIL_BOX = (320, 320)
THUMBNAIL_FOLDER = "thumbnails"


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

    @property
    def has_thumbnail(self) -> bool:
        """A photo the page shows as a thumbnail (SVG never: it is not among the allowed types)."""
        return self.content_type in THUMBNAIL_TYPES

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


def thumbnail_name(name: str) -> str:
    """Where a stored file's thumbnail is kept: beside the originals, under the same random name."""
    return f"{THUMBNAIL_FOLDER}/{PurePath(name).with_suffix('.jpg')}"


def _small_jpeg(field_file: FieldFile) -> bytes | None:
    try:
        with field_file.open("rb") as handle, Image.open(handle) as opened:
            # A JPEG decodes straight at a fraction of its size: a 12-megapixel photo never fills memory.
            opened.draft("RGB", THUMBNAIL_BOX)
            image = ImageOps.exif_transpose(opened)
            image.thumbnail(THUMBNAIL_BOX)
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                # Transparent parts go white, as the page behind them.
                rgba = image.convert("RGBA")
                image = Image.new("RGB", rgba.size, "white")
                image.paste(rgba, mask=rgba.getchannel("A"))
            elif image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            output = io.BytesIO()
            image.save(output, "JPEG", quality=80, optimize=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        # A damaged or hostile image gets no thumbnail; the file itself is still there to download.
        return None
    return output.getvalue()


def thumbnail_for(stored: AttachedFile, field_file: FieldFile) -> str | None:
    """The stored name of the file's thumbnail, made with Pillow on first request and kept; None for a file
    that is not a photo or that Pillow cannot read."""
    if stored.content_type not in THUMBNAIL_TYPES or not field_file.name:
        return None
    storage: Storage = field_file.storage
    name = thumbnail_name(field_file.name)
    if storage.exists(name):
        return name
    data = _small_jpeg(field_file)
    if data is None:
        return None
    # Two readers at once may both make it; the storage then keeps the second under another name, harmlessly.
    return storage.save(name, ContentFile(data))


def stored_file_delete(storage: Storage, name: str) -> None:
    """Deletes a stored evidence file and its thumbnail, if one was made."""
    storage.delete(name)
    storage.delete(thumbnail_name(name))


def attached_file_response(request: HttpRequest, stored: AttachedFile, field_file: FieldFile) -> FileResponse:
    """Serves a file the caller's access check already allowed: `?size=thumb` gives its thumbnail instead.

    Photos and PDFs are shown inline (a PDF is previewed in a frame of the same site); every other type,
    HTML and SVG above all, is an attachment, never rendered by the browser as a page of this site.
    """
    if request.GET.get("size") == "thumb":
        name = thumbnail_for(stored, field_file)
        if name is None:
            raise Http404
        try:
            handle = field_file.storage.open(name, "rb")
        except FileNotFoundError as missing:
            raise Http404 from missing
        response = FileResponse(handle, content_type="image/jpeg")
    else:
        try:
            handle = field_file.open("rb")
        except FileNotFoundError as missing:
            raise Http404 from missing
        response = FileResponse(
            handle,
            as_attachment=stored.content_type not in INLINE_TYPES,
            filename=stored.original_name,
            content_type=stored.content_type,
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    # Only a page of this site may frame the file (the PDF preview); files carry no script to protect.
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response
