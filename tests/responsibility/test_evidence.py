"""Evidence: checked by content and size on upload, kept out of static paths, served only to who may see it."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Position, User
from responsibility import services
from responsibility.models import DutyRecord, DutyType, Evidence, ListItem, ResponsibilityList
from tests.conftest import Tree
from tests.factories import UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def png_file(name: str = "会议照片.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def pdf_file(name: str = "会议记录.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Every test stores its files in its own folder, and can look there for leftovers."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def item_of(responsibility_list: ResponsibilityList, duty_type: str = DutyType.FIRST) -> ListItem:
    return responsibility_list.items.get(duty_type=duty_type)


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "occurred_on": timezone.localdate().isoformat(),
        "content": "召开支委会，传达学习上级精神",
    }
    data.update(overrides)
    return data


def test_secretary_adds_a_record_with_a_png_and_a_pdf(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, media_root: Path
) -> None:
    item = item_of(branch_list)
    client.force_login(people.branch_secretary)
    data = form_data(done_by=people.branch_secretary.pk, personal_action="deploy", files=[png_file(), pdf_file()])
    response = client.post(reverse("record_add", args=[item.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("item_detail", args=[item.pk])
    record = DutyRecord.objects.get(item=item)
    assert record.personal_action == "deploy"
    evidence = sorted(record.evidence.all(), key=lambda row: row.original_name)
    assert [(row.original_name, row.content_type) for row in evidence] == [
        ("会议照片.png", "image/png"),
        ("会议记录.pdf", "application/pdf"),
    ]
    assert len(files_under(media_root)) == 2
    # Stored under a random name, never the person's file name.
    assert all("会议" not in row.file.name for row in evidence)


def test_upload_field_accepts_several_files_of_the_allowed_types(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    client.force_login(people.branch_secretary)
    body = client.get(reverse("record_add", args=[item_of(branch_list).pk])).content.decode()
    assert 'type="file"' in body
    assert "multiple" in body
    assert 'accept=".doc,.docx,.gif,.jpeg,.jpg,.pdf,.png,.webp,.xls,.xlsx"' in body
    assert 'enctype="multipart/form-data"' in body


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", EXE_BYTES),
        ("报告.pdf", b"just some text pretending to be a PDF\n"),
    ],
)
def test_a_file_whose_content_is_not_allowed_is_refused_and_nothing_is_saved(
    client: Client,
    people: SimpleNamespace,
    branch_list: ResponsibilityList,
    media_root: Path,
    name: str,
    content: bytes,
) -> None:
    client.force_login(people.branch_secretary)
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    data = form_data(done_by=people.branch_secretary.pk, content="我写的记实内容不会丢", files=[png_file(), upload])
    response = client.post(reverse("record_add", args=[item_of(branch_list).pk]), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "的内容不是允许的类型" in body
    assert name in body
    assert "我写的记实内容不会丢" in body
    assert not DutyRecord.objects.exists()
    assert not Evidence.objects.exists()
    assert files_under(media_root) == []


def test_a_name_that_does_not_match_the_content_is_refused(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, media_root: Path
) -> None:
    client.force_login(people.branch_secretary)
    data = form_data(done_by=people.branch_secretary.pk, files=[png_file("照片.pdf")])
    response = client.post(reverse("record_add", args=[item_of(branch_list).pk]), data)
    assert "扩展名与其内容不符" in response.content.decode()
    assert not DutyRecord.objects.exists()
    assert files_under(media_root) == []


def test_an_over_size_file_is_refused_and_nothing_is_saved(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, media_root: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.EVIDENCE_MAX_BYTES = 20
    client.force_login(people.branch_secretary)
    data = form_data(done_by=people.branch_secretary.pk, files=[pdf_file("大文件.pdf")])
    response = client.post(reverse("record_add", args=[item_of(branch_list).pk]), data)
    assert response.status_code == 200
    assert "文件“大文件.pdf”超过" in response.content.decode()
    assert not DutyRecord.objects.exists()
    assert files_under(media_root) == []


def test_service_refuses_a_bad_file_even_without_the_form(
    people: SimpleNamespace, branch_list: ResponsibilityList, media_root: Path
) -> None:
    from foundation.errors import DomainError

    with pytest.raises(DomainError):
        services.record_add(
            item=item_of(branch_list),
            occurred_on=timezone.localdate(),
            content="内容",
            done_by=people.branch_secretary,
            by=people.branch_secretary,
            files=[png_file(), SimpleUploadedFile("x.exe", EXE_BYTES)],
        )
    assert not DutyRecord.objects.exists()
    assert files_under(media_root) == []


# Who may download ------------------------------------------------------------


@pytest.fixture
def evidence(people: SimpleNamespace, branch_list: ResponsibilityList) -> Evidence:
    record = services.record_add(
        item=item_of(branch_list),
        occurred_on=timezone.localdate(),
        content="讲党课",
        done_by=people.branch_secretary,
        by=people.branch_secretary,
        files=[png_file()],
    )
    return record.evidence.get()


def _holder(username: str, organization: object, role: str = Position.Role.SECRETARY) -> User:
    person = UserFactory(username=username)
    account_services.position_assign(person=person, organization=organization, role=role)
    return person


@pytest.fixture
def others(tree: Tree) -> SimpleNamespace:
    return SimpleNamespace(
        sibling_branch_secretary=_holder("sibling_secretary", tree.branch_sibling),
        sibling_township_secretary=_holder("sibling_township_secretary", tree.sibling_township),
        unrelated_secretary=_holder("unrelated_secretary", tree.unrelated_branch),
        general_secretary=_holder("general_secretary", tree.general),
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("branch_secretary", 200),
        ("branch_member", 200),
        ("committee_secretary", 200),
        ("general_secretary", 200),
        ("grantee", 200),
        ("admin", 200),
        ("sibling_branch_secretary", 404),
        ("sibling_township_secretary", 404),
        ("unrelated_secretary", 404),
        ("committee_party_member", 404),
        ("outsider", 404),
    ],
)
def test_evidence_is_served_only_to_those_who_may_see_the_record(
    client: Client, people: SimpleNamespace, others: SimpleNamespace, evidence: Evidence, who: str, status: int
) -> None:
    person = getattr(people, who, None) or getattr(others, who)
    client.force_login(person)
    response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == png_bytes()  # type: ignore[attr-defined]


def test_evidence_download_requires_sign_in(client: Client, evidence: Evidence) -> None:
    response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 302


def test_an_image_is_shown_inline_with_its_sniffed_type_and_chinese_name(
    client: Client, people: SimpleNamespace, evidence: Evidence
) -> None:
    client.force_login(people.branch_secretary)
    response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline")
    assert "filename*=utf-8''%E4%BC%9A%E8%AE%AE%E7%85%A7%E7%89%87.png" in disposition


def test_an_office_file_is_downloaded_as_an_attachment(
    client: Client, people: SimpleNamespace, evidence: Evidence
) -> None:
    sheet = Evidence(
        record=evidence.record,
        original_name="台账.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        size=4,
        uploaded_by=people.branch_secretary,
    )
    sheet.file.save("sheet.xlsx", ContentFile(b"PK\x03\x04"), save=True)
    client.force_login(people.branch_member)
    response = client.get(reverse("evidence_download", args=[sheet.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == sheet.content_type
    assert response["Content-Disposition"].startswith("attachment")


def test_evidence_is_not_reachable_under_the_media_url(
    client: Client, people: SimpleNamespace, evidence: Evidence
) -> None:
    client.force_login(people.branch_secretary)
    assert client.get(f"/media/{evidence.file.name}").status_code == 404


def test_a_missing_evidence_file_answers_404(client: Client, people: SimpleNamespace) -> None:
    client.force_login(people.admin)
    assert client.get(reverse("evidence_download", args=[999999])).status_code == 404


# Removing a file ---------------------------------------------------------------


def test_author_removes_a_file_and_it_leaves_the_disk(
    client: Client,
    people: SimpleNamespace,
    evidence: Evidence,
    media_root: Path,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(people.branch_secretary)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence_remove", args=[evidence.pk]))
    assert response.status_code == 302
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert files_under(media_root) == []


def test_a_file_of_an_accepted_record_cannot_be_removed(
    client: Client, people: SimpleNamespace, evidence: Evidence
) -> None:
    services.record_accept(record=evidence.record, by=people.committee_secretary)
    client.force_login(people.branch_secretary)
    response = client.post(reverse("evidence_remove", args=[evidence.pk]), follow=True)
    assert "已认可的记实不能修改" in response.content.decode()
    assert Evidence.objects.filter(pk=evidence.pk).exists()


@pytest.mark.parametrize(("who", "status"), [("branch_member", 403), ("committee_secretary", 403), ("outsider", 404)])
def test_only_the_author_or_the_branch_leaders_remove_files(
    client: Client, people: SimpleNamespace, evidence: Evidence, who: str, status: int
) -> None:
    client.force_login(getattr(people, who))
    assert client.post(reverse("evidence_remove", args=[evidence.pk])).status_code == status
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_removing_needs_a_post(client: Client, people: SimpleNamespace, evidence: Evidence) -> None:
    client.force_login(people.branch_secretary)
    assert client.get(reverse("evidence_remove", args=[evidence.pk])).status_code == 405
