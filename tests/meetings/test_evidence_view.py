"""A meeting's photos as thumbnails, behind the meeting file's own access check."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts import services as account_services
from accounts.models import Position
from meetings import services
from tests.factories import UserFactory
from tests.meetings.conftest import plan


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def test_a_meeting_photo_shows_as_a_thumbnail_that_a_sibling_branch_cannot_fetch(
    client: Client, tree: Any, people: SimpleNamespace, life: SimpleNamespace
) -> None:
    output = io.BytesIO()
    Image.new("RGB", (1000, 800), (20, 20, 160)).save(output, "PNG")
    held = services.meeting_close(
        meeting=plan(tree.branch, people.branch_secretary), by=people.branch_secretary, minutes="记录"
    )
    [stored] = services.meeting_files_add(
        meeting=held, by=people.branch_secretary, files=[SimpleUploadedFile("签到表.png", output.getvalue())]
    )
    url = reverse("meeting_file", args=[stored.pk])
    client.force_login(people.branch_secretary)
    body = client.get(reverse("meeting_detail", args=[held.pk])).content.decode()
    assert f'<img src="{url}?size=thumb"' in body
    response = client.get(url + "?size=thumb")
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    sibling = UserFactory(username="sibling_secretary")
    account_services.position_assign(person=sibling, organization=tree.branch_sibling, role=Position.Role.SECRETARY)
    client.force_login(sibling)
    assert client.get(url + "?size=thumb").status_code == 404
