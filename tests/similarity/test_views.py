"""The committee's page of near-copies, its Excel, one pair side by side and the standard text, as each role
meets them: a committee over its subtree only, a branch over itself only."""

from __future__ import annotations

from io import BytesIO
from types import SimpleNamespace

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organization
from similarity import services
from similarity.models import StandardText, TextPair
from tests.clients import signed_in
from tests.conftest import Tree
from tests.similarity.test_services import REPORT_2025, REPORT_2026_COPY, save

YEAR = 2026


def pages(tree: Tree) -> None:
    """The branch's copy of last year, a neighbour with the same report, and a pair in the sibling township."""
    save("report", 1, tree.branch, YEAR - 1, REPORT_2025)
    save("report", 2, tree.branch, YEAR, REPORT_2026_COPY)
    save("report", 3, tree.branch_sibling, YEAR, REPORT_2026_COPY.replace("一村", "二村"))
    save("report", 4, tree.sibling_branch, YEAR, REPORT_2026_COPY)
    save("report", 5, tree.unrelated_branch, YEAR, REPORT_2026_COPY)


def test_the_committee_sees_the_years_near_copies_in_its_subtree_most_shared_first(
    tree: Tree, people: SimpleNamespace
) -> None:
    pages(tree)
    response = signed_in(people.committee_secretary).get(reverse("similar_pairs"), {"year": YEAR})
    assert response.status_code == 200
    pairs = list(response.context["pairs"])
    assert pairs
    assert [pair.share for pair in pairs] == sorted((pair.share for pair in pairs), reverse=True)
    inside = {tree.branch.pk, tree.branch_sibling.pk}
    assert all({pair.organization_id, pair.other_organization_id} <= inside for pair in pairs)
    # The total is the sum of the counts by kind: it is the number of pairs listed, and 0 for a kind without any.
    assert response.context["page"].paginator.count == len(pairs)
    none = signed_in(people.committee_secretary).get(reverse("similar_pairs"), {"year": YEAR, "kind": "record"})
    assert none.context["page"].paginator.count == 0
    assert list(none.context["pairs"]) == []
    body = response.content.decode()
    assert "一村党支部" in body
    assert "乙镇一村党支部" not in body
    assert "另一县一村党支部" not in body


def test_drilling_into_one_organization_keeps_its_pairs_only(tree: Tree, people: SimpleNamespace) -> None:
    pages(tree)
    client = signed_in(people.committee_secretary)
    response = client.get(reverse("similar_pairs"), {"year": YEAR, "org": tree.branch_sibling.pk})
    pairs = list(response.context["pairs"])
    assert pairs
    assert response.context["page"].paginator.count == len(pairs)
    assert all(tree.branch_sibling.pk in (pair.organization_id, pair.other_organization_id) for pair in pairs)
    assert client.get(reverse("similar_pairs"), {"org": tree.unrelated_branch.pk}).status_code == 404


def test_who_is_not_a_committee_has_no_page_of_near_copies(tree: Tree, people: SimpleNamespace) -> None:
    for person in (people.branch_secretary, people.outsider, people.committee_party_member):
        client = signed_in(person)
        assert client.get(reverse("similar_pairs")).status_code == 403
        assert client.get(reverse("similar_pairs_export")).status_code == 403
        assert client.get(reverse("standard_texts")).status_code == 403


def test_the_export_holds_every_pair_the_page_lists(tree: Tree, people: SimpleNamespace) -> None:
    pages(tree)
    response = signed_in(people.committee_secretary).get(reverse("similar_pairs_export"), {"year": YEAR})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "相似度（%）"
    listed = TextPair.objects.filter(
        organization__path__startswith=tree.township.path, other_organization__path__startswith=tree.township.path
    ).count()
    assert len(rows) - 1 == listed
    assert {row[2] for row in rows[1:]} <= {"一村党支部", "二村党支部"}


def test_the_pages_query_count_does_not_grow_with_the_pairs(tree: Tree, people: SimpleNamespace) -> None:
    client = signed_in(people.committee_secretary)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("similar_pairs"), {"year": YEAR}).status_code == 200
        return len(captured)

    pages(tree)
    queries()  # the first request after signing in also saves the session
    few = queries()
    for number in range(20):
        save("record", 100 + number, tree.direct_branch, YEAR, "召开支委会，研究本月党建重点工作")
    assert TextPair.objects.count() > 20
    assert queries() == few


def test_a_pair_side_by_side_marks_the_shared_sentences(tree: Tree, people: SimpleNamespace) -> None:
    pages(tree)
    pair = TextPair.objects.get(text__object_id=2, other__object_id=1)
    response = signed_in(people.committee_secretary).get(reverse("similar_pair", args=[pair.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<mark") >= 4
    assert "设为规范表述" in body


def test_a_branch_sees_its_own_pair_but_not_one_with_a_neighbour(tree: Tree, people: SimpleNamespace) -> None:
    pages(tree)
    own = TextPair.objects.get(text__object_id=2, other__object_id=1)
    neighbour = TextPair.objects.filter(organization=tree.branch_sibling).first()
    assert neighbour is not None
    client = signed_in(people.branch_secretary)
    response = client.get(reverse("similar_pair", args=[own.pk]))
    assert response.status_code == 200
    assert "设为规范表述" not in response.content.decode()
    assert client.get(reverse("similar_pair", args=[neighbour.pk])).status_code == 404
    assert signed_in(people.outsider).get(reverse("similar_pair", args=[own.pk])).status_code == 404


def test_marking_a_shared_sentence_as_standard_text_takes_it_out_of_the_pair(
    tree: Tree, people: SimpleNamespace, django_capture_on_commit_callbacks: object
) -> None:
    formula = "坚持以习近平新时代中国特色社会主义思想为指导，全面落实党建工作责任制，推动基层党建工作提质增效。"
    save("minutes", 1, tree.branch, YEAR, formula + "会议研究了村集体经济项目。")
    save("minutes", 2, tree.branch_sibling, YEAR, formula + "会议讨论了入党积极分子培养。")
    pair = TextPair.objects.get()
    client = signed_in(people.committee_secretary)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(
            reverse("standard_texts"),
            {"organization": tree.township.pk, "kind": "minutes", "text": formula, "back": f"/similar/{pair.pk}/"},
        )
    assert response.status_code == 302
    assert StandardText.objects.filter(organization=tree.township, kind="minutes").exists()
    assert not TextPair.objects.exists()
    page = client.get(reverse("standard_texts")).content.decode()
    assert "推动基层党建工作提质增效" in page


def test_standard_text_is_set_and_removed_only_by_a_committee_over_it(tree: Tree, people: SimpleNamespace) -> None:
    standard = services.standard_text_add(
        organization=tree.township, kind="", passage="每个支部都要写明的一句规定表述。", by=people.committee_secretary
    )
    sibling = _secretary_of(tree.sibling_township)
    assert signed_in(sibling).post(reverse("standard_text_remove", args=[standard.pk])).status_code == 404
    assert signed_in(people.branch_secretary).post(reverse("standard_text_remove", args=[standard.pk])).status_code in (
        403,
        404,
    )
    refused = signed_in(people.committee_secretary).post(
        reverse("standard_texts"),
        {"organization": tree.sibling_township.pk, "kind": "", "text": "任意一句规定表述文字。"},
    )
    assert refused.status_code == 200
    assert not StandardText.objects.filter(organization=tree.sibling_township).exists()
    response = signed_in(people.committee_secretary).post(reverse("standard_text_remove", args=[standard.pk]))
    assert response.status_code == 302
    assert not StandardText.objects.exists()


def test_a_standard_text_too_short_to_count_is_refused_with_a_reason(tree: Tree, people: SimpleNamespace) -> None:
    response = signed_in(people.committee_secretary).post(
        reverse("standard_texts"), {"organization": tree.township.pk, "kind": "", "text": "一、"}
    )
    assert response.status_code == 200
    assert "规范表述至少要有一句" in response.content.decode()
    assert not StandardText.objects.exists()


def _secretary_of(organization: Organization) -> object:
    from accounts import services as account_services
    from accounts.models import Position
    from tests.factories import UserFactory

    person = UserFactory(username=f"secretary-{organization.code}")
    account_services.position_assign(person=person, organization=organization, role=Position.Role.SECRETARY)
    return person
