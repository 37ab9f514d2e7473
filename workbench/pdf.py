"""The PDF engine (WeasyPrint): HTML to A4 PDF with the static files read from disk, never the network,
and no print without a Chinese font rather than empty boxes."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.utils.translation import gettext as _

from foundation.errors import DomainError
from rectification.models import RectificationTask
from workbench.models import RenderedReport

logger = logging.getLogger(__name__)

Kind = RenderedReport.Kind
Status = RenderedReport.Status
TaskStatus = RectificationTask.Status

BASE_URL = "https://pdf.invalid/"
"""Where the documents pretend to live, so /static/… resolves to a URL the fetcher below maps to a file."""
CJK_SAMPLE_LANGUAGE = b":lang=zh"


# --- the fonts: no Chinese font, no PDF ---------------------------------------------------


class MissingFontError(DomainError):
    """The host has no Chinese font: a PDF would show empty boxes instead of characters."""


def _fontconfig() -> Any:
    name = ctypes.util.find_library("fontconfig") or "libfontconfig.so.1"
    library = ctypes.CDLL(name)
    library.FcInitLoadConfigAndFonts.restype = ctypes.c_void_p
    library.FcConfigDestroy.argtypes = [ctypes.c_void_p]
    library.FcNameParse.restype = ctypes.c_void_p
    library.FcNameParse.argtypes = [ctypes.c_char_p]
    library.FcPatternDestroy.argtypes = [ctypes.c_void_p]
    library.FcObjectSetCreate.restype = ctypes.c_void_p
    library.FcObjectSetAdd.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    library.FcObjectSetDestroy.argtypes = [ctypes.c_void_p]
    library.FcFontList.restype = ctypes.POINTER(_FcFontSet)
    library.FcFontList.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    library.FcFontSetDestroy.argtypes = [ctypes.POINTER(_FcFontSet)]
    library.FcPatternGetString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
    return library


class _FcFontSet(ctypes.Structure):
    _fields_ = [("nfont", ctypes.c_int), ("sfont", ctypes.c_int), ("fonts", ctypes.POINTER(ctypes.c_void_p))]


def cjk_font_families() -> list[str]:
    """What `fc-list :lang=zh family` prints, asked of fontconfig itself (slim images lack the fc-list binary).

    A fresh configuration each time, so a font installed while the worker runs counts at the next render.
    """
    try:
        fc = _fontconfig()
    except OSError:
        return []
    config = fc.FcInitLoadConfigAndFonts()
    pattern = fc.FcNameParse(CJK_SAMPLE_LANGUAGE)
    objects = fc.FcObjectSetCreate()
    fc.FcObjectSetAdd(objects, b"family")
    fonts = fc.FcFontList(config, pattern, objects)
    families: set[str] = set()
    try:
        if fonts:
            for index in range(fonts.contents.nfont):
                value = ctypes.c_char_p()
                if fc.FcPatternGetString(fonts.contents.fonts[index], b"family", 0, ctypes.byref(value)) == 0:
                    families.add((value.value or b"").decode("utf-8", "replace"))
    finally:
        if fonts:
            fc.FcFontSetDestroy(fonts)
        fc.FcObjectSetDestroy(objects)
        fc.FcPatternDestroy(pattern)
        fc.FcConfigDestroy(config)
    return sorted(families)


def check_cjk_font() -> None:
    """Raises MissingFontError with the fix in Chinese when fontconfig knows no font covering Chinese."""
    if not cjk_font_families():
        raise MissingFontError(
            _(
                "服务器未安装中文字体，无法生成 PDF（否则汉字会显示为方框）。"
                "请管理员安装 fonts-noto-cjk（例如 apt-get install fonts-noto-cjk）后重试。"
            )
        )


# --- static files without the network ------------------------------------------------------


def static_file(url: str) -> Path | None:
    """The file behind a /static/… URL: from the apps' static folders, else from STATIC_ROOT (hashed names)."""
    path = unquote(urlsplit(url).path)
    if not path.startswith(settings.STATIC_URL):
        return None
    name = path[len(settings.STATIC_URL) :]
    if not name or ".." in Path(name).parts:
        return None
    found = finders.find(name)
    if isinstance(found, str):
        return Path(found)
    try:
        stored = Path(staticfiles_storage.path(name))
    except NotImplementedError:
        return None
    return stored if stored.is_file() else None


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesFetcher(URLFetcher):
        """Serves the documents' stylesheets from disk; any other URL is refused, so rendering never goes online."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            file = static_file(url) if url.startswith(BASE_URL) else None
            if file is None:
                raise ValueError(f"not a static file: {url}")
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=file.read_bytes(), headers={"Content-Type": content_type})

    return StaticFilesFetcher()


def render_pdf(html: str) -> bytes:
    """A4 PDF bytes of a document's HTML; refuses (MissingFontError) when no Chinese font is installed."""
    check_cjk_font()
    from weasyprint import HTML

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher())
    return bytes(document.write_pdf())


def page_footer_content() -> str:
    """The CSS `content` of the footer, "第 X 页 共 Y 页" in the active language, built from one translatable phrase."""
    phrase = _("第 {page} 页 共 {pages} 页")

    def literal(text: str) -> str:
        # A CSS string: backslashes and quotes escaped, "<" too so a translation cannot close the <style> element.
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
        return f'"{escaped}"'

    head, _marker, rest = phrase.partition("{page}")
    middle, _marker, tail = rest.partition("{pages}")
    parts = [literal(head), "counter(page)", literal(middle), "counter(pages)", literal(tail)]
    return " ".join(part for part in parts if part != '""')
