"""Evidence you can see on duty records: thumbnails through the same access check as the file, nothing
rendered inline that could run script, a record with no evidence accepted only on purpose, the facts
before the review form, and the way back that follows what the reader may do."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts import services as account_services
from accounts.models import Organization, Position, User
from foundation.files import thumbnail_name
from responsibility import services
from responsibility.models import DutyRecord, DutyType, Evidence, ListItem, ResponsibilityList
from tests.conftest import Tree
from tests.factories import UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def photo_bytes(width: int = 1600, height: int = 1200) -> bytes:
    """A real JPEG of a phone photo's proportions, large enough that the thumbnail must be smaller."""
    output = io.BytesIO()
    Image.new("RGB", (width, height), (180, 30, 30)).save(output, "JPEG", quality=90)
    return output.getvalue()


def photo(name: str = "会议照片.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, photo_bytes(), content_type="image/jpeg")


def holder(username: str, organization: Organization, role: str = Position.Role.SECRETARY) -> User:
    person = UserFactory(username=username)
    account_services.position_assign(person=person, organization=organization, role=role)
    return person


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def item_of(responsibility_list: ResponsibilityList) -> ListItem:
    return responsibility_list.items.get(duty_type=DutyType.FIRST)


def add_record(item: ListItem, by: User, files: list[SimpleUploadedFile] | None = None) -> DutyRecord:
    return services.record_add(
        item=item, occurred_on=timezone.localdate(), content="讲了一次专题党课", done_by=by, by=by, files=files or []
    )


def stored(record: DutyRecord, original_name: str, content_type: str, data: bytes) -> Evidence:
    """A file stored as if an older check had let it through: the serving view must still be safe."""
    evidence = Evidence(
        record=record,
        original_name=original_name,
        content_type=content_type,
        size=len(data),
        uploaded_by=record.created_by,
    )
    evidence.file.save(original_name, ContentFile(data), save=False)
    evidence.save()
    return evidence


# Thumbnails ---------------------------------------------------------------------------------------


def test_a_photo_gets_a_small_jpeg_thumbnail_made_once(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, media_root: Path
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary, [photo()])
    evidence = record.evidence.get()
    client.force_login(people.committee_secretary)
    response = client.get(reverse("evidence_download", args=[evidence.pk]) + "?size=thumb")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    thumbnail = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert len(thumbnail) < evidence.size
    assert max(Image.open(io.BytesIO(thumbnail)).size) <= 320
    kept = media_root / thumbnail_name(evidence.file.name)
    assert kept.is_file()
    made_at = kept.stat().st_mtime_ns
    client.get(reverse("evidence_download", args=[evidence.pk]) + "?size=thumb")
    assert kept.stat().st_mtime_ns == made_at


@pytest.mark.parametrize(
    ("who", "status"),
    [("committee_secretary", 200), ("branch_member", 200), ("sibling_branch", 404), ("outsider", 404)],
)
def test_the_thumbnail_goes_through_the_files_access_check(
    client: Client,
    people: SimpleNamespace,
    tree: Tree,
    branch_list: ResponsibilityList,
    who: str,
    status: int,
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary, [photo()])
    person = getattr(people, who, None) or holder(who, tree.branch_sibling)
    client.force_login(person)
    url = reverse("evidence_download", args=[record.evidence.get().pk])
    assert client.get(url + "?size=thumb").status_code == status
    assert client.get(url).status_code == status


def test_a_file_that_is_not_a_photo_never_gets_a_thumbnail(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, media_root: Path
) -> None:
    pdf = SimpleUploadedFile("会议记录.pdf", PDF_BYTES, content_type="application/pdf")
    record = add_record(item_of(branch_list), people.branch_secretary, [pdf])
    evidence = record.evidence.get()
    client.force_login(people.committee_secretary)
    assert client.get(reverse("evidence_download", args=[evidence.pk]) + "?size=thumb").status_code == 404
    assert not (media_root / "thumbnails").exists()
    body = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert "?size=thumb" not in body
    # A PDF is previewed on the page, framed from this site only.
    assert f'<iframe class="evidence-preview" src="{reverse("evidence_download", args=[evidence.pk])}"' in body


def test_a_damaged_photo_gets_no_thumbnail_but_stays_downloadable(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    evidence = stored(record, "坏照片.jpg", "image/jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    client.force_login(people.committee_secretary)
    url = reverse("evidence_download", args=[evidence.pk])
    assert client.get(url + "?size=thumb").status_code == 404
    assert client.get(url).status_code == 200


def test_removing_a_photo_removes_its_thumbnail(
    client: Client,
    people: SimpleNamespace,
    branch_list: ResponsibilityList,
    media_root: Path,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary, [photo()])
    evidence = record.evidence.get()
    client.force_login(people.branch_secretary)
    client.get(reverse("evidence_download", args=[evidence.pk]) + "?size=thumb")
    kept = media_root / thumbnail_name(evidence.file.name)
    assert kept.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence_remove", args=[evidence.pk]))
    assert response.status_code == 302
    assert not kept.exists()


# Never inline what could run script ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "data"),
    [
        ("图.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("页.html", "text/html", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_svg_or_html_is_always_an_attachment_and_never_a_thumbnail(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, name: str, content_type: str, data: bytes
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    evidence = stored(record, name, content_type, data)
    client.force_login(people.committee_secretary)
    url = reverse("evidence_download", args=[evidence.pk])
    response = client.get(url)
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(url + "?size=thumb").status_code == 404
    body = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert f'src="{url}' not in body


def test_photos_and_pdfs_are_inline_and_framable_by_this_site_only(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    pdf = SimpleUploadedFile("会议记录.pdf", PDF_BYTES, content_type="application/pdf")
    record = add_record(item_of(branch_list), people.branch_secretary, [photo(), pdf])
    client.force_login(people.committee_secretary)
    for evidence in record.evidence.all():
        response = client.get(reverse("evidence_download", args=[evidence.pk]))
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Frame-Options"] == "SAMEORIGIN"
    # Pages themselves are still never framed.
    assert client.get(reverse("record_detail", args=[record.pk]))["X-Frame-Options"] == "DENY"


# The record page and the queue ---------------------------------------------------------------------


def test_the_record_page_shows_photos_as_thumbnails_that_open_the_viewer(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary, [photo()])
    url = reverse("evidence_download", args=[record.evidence.get().pk])
    client.force_login(people.committee_secretary)
    body = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert f'<a class="evidence-thumb" href="{url}" data-viewer="image"' in body
    assert f'<img src="{url}?size=thumb"' in body
    assert "js/viewer.js" in body
    assert 'id="evidence-viewer-template"' in body
    assert "无佐证材料" not in body


def test_a_record_without_evidence_is_marked_in_words_on_its_page_and_in_the_queue(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    bare = add_record(item_of(branch_list), people.branch_secretary)
    add_record(item_of(branch_list), people.branch_secretary, [photo()])
    client.force_login(people.committee_secretary)
    assert "无佐证材料" in client.get(reverse("record_detail", args=[bare.pk])).content.decode()
    queue = client.get(reverse("record_review_queue")).content.decode()
    bare_row = queue[queue.index(f'data-record="{bare.pk}"') :]
    bare_row = bare_row[: bare_row.index("</tr>")]
    assert "无佐证材料" in bare_row
    assert 'name="without_evidence"' in bare_row
    other_row = queue[queue.index("<tbody>") : queue.index(f'data-record="{bare.pk}"')]
    assert "?size=thumb" in other_row
    assert "无佐证材料" not in other_row


# Accepting without evidence -----------------------------------------------------------------------


def test_accepting_a_record_without_evidence_needs_the_confirmation(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    client.force_login(people.committee_secretary)
    queue = reverse("record_review_queue")
    response = client.post(reverse("record_review", args=[record.pk]), {"decision": "accept", "next": queue})
    assert response.status_code == 200
    body = response.content.decode()
    # The error stands beside the checkbox, which the page now marks invalid and points at.
    assert 'id="id_without_evidence_error"' in body
    assert 'aria-describedby="id_without_evidence_error"' in body
    assert 'aria-invalid="true"' in body
    form_at = body.index('id="decision"')
    assert form_at < body.index("如确认仍予通过") < body.index("</form>", form_at)
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.SUBMITTED

    response = client.post(
        reverse("record_review", args=[record.pk]), {"decision": "accept", "without_evidence": "on", "next": queue}
    )
    assert response["Location"] == queue
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.ACCEPTED


def test_the_service_refuses_an_unconfirmed_accept_without_evidence(
    people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    with pytest.raises(services.EvidenceMissing):
        services.record_accept(record=record, by=people.committee_secretary)
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.SUBMITTED
    with_photo = add_record(item_of(branch_list), people.branch_secretary, [photo()])
    assert services.record_accept(record=with_photo, by=people.committee_secretary).is_accepted


def test_a_record_with_evidence_is_accepted_in_one_click(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary, [photo()])
    client.force_login(people.committee_secretary)
    body = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert 'name="without_evidence"' not in body
    client.post(reverse("record_review", args=[record.pk]), {"decision": "accept"})
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.ACCEPTED


# Facts before the decision; errors beside the field -------------------------------------------------


def test_the_record_and_its_evidence_come_before_the_review_form(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary, [photo()])
    client.force_login(people.committee_secretary)
    body = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    assert body.index("讲了一次专题党课") < body.index("?size=thumb") < body.index('id="decision"')
    assert f'action="{reverse("record_review", args=[record.pk])}#decision"' in body


def test_a_return_without_a_reason_shows_the_error_beside_the_field_at_the_form(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    client.force_login(people.committee_secretary)
    response = client.post(reverse("record_review", args=[record.pk]), {"decision": "return", "reason": " "})
    assert response.status_code == 200
    body = response.content.decode()
    error = body.index('id="id_reason_error"')
    assert body.index('id="decision"') < body.index('name="reason"') < error
    assert "请填写驳回理由" in body[error : error + 200]
    assert 'aria-invalid="true"' in body
    assert "id_reason_error" in body[body.index('name="reason"') - 300 : error]
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.SUBMITTED


# The way back follows what the reader may do ----------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "crumb", "not_crumb"),
    [
        ("committee_secretary", "record_review_queue", "my_list"),
        ("branch_secretary", "my_list", "record_review_queue"),
        ("branch_member", "my_list", "record_review_queue"),
    ],
)
def test_the_breadcrumb_follows_the_readers_role(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, who: str, crumb: str, not_crumb: str
) -> None:
    record = add_record(item_of(branch_list), people.branch_secretary)
    client.force_login(getattr(people, who))
    for url in (reverse("record_detail", args=[record.pk]), reverse("item_detail", args=[record.item_id])):
        body = client.get(url).content.decode()
        nav = body[
            body.index('<nav class="breadcrumbs"') : body.index("</nav>", body.index('<nav class="breadcrumbs"'))
        ]
        assert f'href="{reverse(crumb)}"' in nav
        assert f'href="{reverse(not_crumb)}"' not in nav


# 清单审核: the list before the decision ------------------------------------------------------------------


@pytest.fixture
def submitted_list(people: SimpleNamespace, branch_list: ResponsibilityList) -> ResponsibilityList:
    services.list_revise(responsibility_list=branch_list, by=people.branch_secretary)
    services.list_submit(responsibility_list=branch_list, by=people.branch_secretary)
    branch_list.refresh_from_db()
    return branch_list


def test_the_list_comes_before_the_review_form(
    client: Client, people: SimpleNamespace, submitted_list: ResponsibilityList
) -> None:
    client.force_login(people.committee_secretary)
    body = client.get(reverse("list_detail", args=[submitted_list.pk])).content.decode()
    assert body.index("每月召开支委会") < body.index('id="decision"') < body.index('name="comment"')
    assert f'action="{reverse("list_action", args=[submitted_list.pk, "approve"])}#decision"' in body


def test_a_list_returned_without_a_comment_reopens_at_the_form_with_the_error_beside_it(
    client: Client, people: SimpleNamespace, submitted_list: ResponsibilityList
) -> None:
    client.force_login(people.committee_secretary)
    response = client.post(reverse("list_action", args=[submitted_list.pk, "return"]), {"comment": ""})
    assert response.status_code == 200
    body = response.content.decode()
    field = body.index('id="review-comment"')
    error = body.index('id="review-comment-error"')
    assert body.index('id="decision"') < field < error
    assert "请填写退回意见" in body[error : error + 200]
    assert 'aria-invalid="true"' in body[field - 200 : field + 300]
    submitted_list.refresh_from_db()
    assert submitted_list.status == ResponsibilityList.Status.SUBMITTED


@pytest.mark.parametrize(
    ("who", "crumb", "not_crumb"),
    [("committee_secretary", "list_review_queue", "my_list"), ("branch_secretary", "my_list", "list_review_queue")],
)
def test_the_list_breadcrumb_follows_the_readers_role(
    client: Client, people: SimpleNamespace, branch_list: ResponsibilityList, who: str, crumb: str, not_crumb: str
) -> None:
    client.force_login(getattr(people, who))
    body = client.get(reverse("list_detail", args=[branch_list.pk])).content.decode()
    start = body.index('<nav class="breadcrumbs"')
    nav = body[start : body.index("</nav>", start)]
    assert f'href="{reverse(crumb)}"' in nav
    assert f'href="{reverse(not_crumb)}"' not in nav
