"""What people upload and type never runs in a browser: no SVG or HTML evidence, random stored names, escaped text."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from responsibility import services
from responsibility.models import DutyRecord, DutyType, Evidence, ListItem, ResponsibilityList
from tests.responsibility.test_evidence import files_under, png_bytes

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def item(branch_list: ResponsibilityList) -> ListItem:
    return branch_list.items.get(duty_type=DutyType.FIRST)


def post_record(client: Client, person, item: ListItem, upload: SimpleUploadedFile, content: str = "讲党课"):  # type: ignore[no-untyped-def]
    client.force_login(person)
    data = {
        "occurred_on": timezone.localdate().isoformat(),
        "content": content,
        "done_by": person.pk,
        "files": [upload],
    }
    return client.post(reverse("record_add", args=[item.pk]), data)


@pytest.mark.parametrize(
    ("name", "content", "claimed_type"),
    [
        ("会议照片.png", SVG, "image/png"),
        ("会议照片.svg", SVG, "image/svg+xml"),
        ("会议记录.pdf", HTML, "application/pdf"),
        ("会议记录.html", HTML, "text/html"),
    ],
)
def test_svg_and_html_are_refused_as_evidence_whatever_they_are_called(
    client: Client,
    people: SimpleNamespace,
    item: ListItem,
    media_root: Path,
    name: str,
    content: bytes,
    claimed_type: str,
) -> None:
    response = post_record(client, people.branch_secretary, item, SimpleUploadedFile(name, content, claimed_type))
    assert response.status_code == 200
    assert "的内容不是允许的类型" in response.content.decode()
    assert not DutyRecord.objects.exists()
    assert not Evidence.objects.exists()
    assert files_under(media_root) == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        # Django keeps only the last part of a path-like name, and it is never used for storage anyway.
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\boot.png", "boot.png"),
        ("<script>.png", "&lt;script&gt;.png"),
        ("<img src=x onerror=alert(1)>.png", "&lt;img src=x onerror=alert(1)&gt;.png"),
    ],
)
def test_a_malicious_file_name_is_stored_under_a_random_name_and_shown_escaped(
    client: Client, people: SimpleNamespace, item: ListItem, media_root: Path, name: str, shown: str
) -> None:
    response = post_record(client, people.branch_secretary, item, SimpleUploadedFile(name, png_bytes(), "image/png"))
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert re.fullmatch(rf"evidence/{item.list.organization_id}/[0-9a-f]{{32}}\.png", evidence.file.name)
    [stored] = files_under(media_root)
    assert stored.resolve().is_relative_to(media_root.resolve())
    assert "/" not in evidence.original_name
    assert "\\" not in evidence.original_name
    page = client.get(reverse("record_detail", args=[evidence.record_id])).content.decode()
    assert shown in page
    assert "<script>" not in page
    assert "<img src=x" not in page


def test_script_in_a_list_item_and_a_duty_record_is_shown_as_text(
    client: Client, people: SimpleNamespace, item: ListItem
) -> None:
    # The item's text is set directly: what matters here is how pages show what is stored, however it came.
    ListItem.objects.filter(pk=item.pk).update(content=f"讲党课{SCRIPT}")
    record = services.record_add(
        item=item,
        occurred_on=timezone.localdate(),
        content=f"召开支委会{SCRIPT}",
        done_by=people.branch_secretary,
        by=people.branch_secretary,
    )
    client.force_login(people.branch_secretary)
    for url in (reverse("item_detail", args=[item.pk]), reverse("record_detail", args=[record.pk])):
        page = client.get(url).content.decode()
        assert f"讲党课{ESCAPED_SCRIPT}" in page
        assert f"召开支委会{ESCAPED_SCRIPT}" in page
        assert "<script>alert" not in page
