"""Signatures and pairs kept fresh on save: last year's report copied, two branches with one report, repeated
records, standard text and headings left out, and what each reader is shown."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import Organization, Position
from foundation.errors import DomainError
from similarity import selectors, services
from similarity.models import SignatureBand, TextPair, TextSignature
from tests.conftest import Tree
from tests.factories import UserFactory

REPORT_2025 = """一、基本情况
2025年，一村党支部坚持以习近平新时代中国特色社会主义思想为指导，全年召开支委会12次、党员大会4次，书记张伟讲党课2次。
组织党员开展志愿服务活动6次，参与群众达到85人次，帮助村里修缮了文化广场。
二、存在问题
一是理论学习不够深入，学用结合不紧密。二是发展党员工作推进较慢，入党积极分子只有1名。"""

REPORT_2026_COPY = """一、基本情况
组织党员开展志愿服务活动9次，参与群众达到120人次，帮助村里修缮了文化广场。
2026年，一村党支部坚持以习近平新时代中国特色社会主义思想为指导，全年召开支委会11次、党员大会5次，书记李强讲党课3次。
二、存在问题
一是理论学习不够深入，学用结合不紧密。二是发展党员工作推进较慢，入党积极分子只有2名。"""

REPORT_OTHER = """一、基本情况
支部围绕乡村振兴带领群众发展特色种植，建成蔬菜大棚30个，带动农户增收。开展党员联系户活动，走访群众200余户，解决实际困难15件。
二、存在问题
组织生活质量不高，个别党员参加主题党日不够积极，党费收缴台账登记不及时。"""

MONTHLY = "召开支委会，研究本月党建重点工作"


def save(kind: str, pk: int, organization: Organization, year: int, content: str, **more: Any) -> Any:
    return services.text_saved(kind=kind, object_id=pk, organization=organization, year=year, content=content, **more)


def test_last_years_report_copied_with_new_dates_names_and_numbers_is_found(tree: Tree) -> None:
    save("report", 1, tree.branch, 2025, REPORT_2025)
    save("report", 2, tree.branch, 2026, REPORT_2026_COPY)
    pair = TextPair.objects.get()
    assert (pair.text.object_id, pair.other.object_id) == (2, 1)
    assert pair.share >= 90
    assert pair.same_organization


def test_an_unrelated_report_on_the_same_topics_is_not_paired(tree: Tree) -> None:
    save("report", 1, tree.branch, 2025, REPORT_2025)
    save("report", 2, tree.branch, 2026, REPORT_OTHER)
    assert not TextPair.objects.exists()


def test_two_branches_with_the_same_report_in_a_year_are_found_through_the_buckets(tree: Tree) -> None:
    save("report", 1, tree.branch, 2026, REPORT_2026_COPY)
    save("report", 2, tree.branch_sibling, 2026, REPORT_2026_COPY.replace("一村", "二村"))
    pair = TextPair.objects.get()
    assert pair.share == 100
    assert {pair.organization, pair.other_organization} == {tree.branch, tree.branch_sibling}
    assert SignatureBand.objects.filter(signature__object_id=2).count() == 32


def test_records_are_compared_with_the_organizations_own_records_only(tree: Tree) -> None:
    save("record", 1, tree.branch, 2026, MONTHLY)
    save("record", 2, tree.branch_sibling, 2026, MONTHLY)
    assert not TextPair.objects.exists()
    assert not SignatureBand.objects.exists()
    save("record", 3, tree.branch, 2026, MONTHLY)
    pair = TextPair.objects.get()
    assert (pair.text.object_id, pair.other.object_id, pair.share) == (3, 1, 100)


def test_a_changed_text_loses_the_pairs_it_no_longer_earns(tree: Tree) -> None:
    save("record", 1, tree.branch, 2026, MONTHLY)
    save("record", 2, tree.branch, 2026, MONTHLY)
    assert TextPair.objects.count() == 1
    save("record", 2, tree.branch, 2026, "走访困难党员王大爷，送去慰问金并了解其生活和身体状况")
    assert not TextPair.objects.exists()


def test_an_unchanged_text_costs_two_queries_and_rewrites_nothing(tree: Tree) -> None:
    save("report", 1, tree.branch, 2025, REPORT_2025)
    first = TextSignature.objects.get()
    with CaptureQueriesContext(connection) as queries:
        save("report", 1, tree.branch, 2025, REPORT_2025)
    assert len([query for query in queries if "SAVEPOINT" not in query["sql"]]) == 2
    assert TextSignature.objects.get().updated_at == first.updated_at


def test_one_save_costs_the_same_queries_however_many_texts_share_its_words(tree: Tree) -> None:
    def queries_for_one_more(count: int, start: int, saver: Organization) -> int:
        for offset in range(count):
            save("report", start + offset, tree.branch_sibling, 2026, REPORT_2026_COPY)
        with CaptureQueriesContext(connection) as queries:
            save("report", start + 999, saver, 2026, REPORT_2026_COPY)
        return len(queries)

    few = queries_for_one_more(2, 100, tree.branch)
    TextPair.objects.all().delete()
    many = queries_for_one_more(25, 2000, tree.direct_branch)
    assert few == many
    assert TextPair.objects.filter(text__object_id=2999).count() == services.CONFIRMED_PER_SAVE


def test_headings_the_form_puts_in_every_report_are_not_counted(tree: Tree) -> None:
    headings = ["一、履行党建工作责任制情况", "二、存在的主要问题及原因分析", "三、下一步工作思路和措施"]
    first = "\n".join(f"{title}\n{body}" for title, body in zip(headings, ["甲乙丙。", "丁。", "戊。"], strict=True))
    second = "\n".join(f"{title}\n{body}" for title, body in zip(headings, ["子丑。", "寅。", "卯。"], strict=True))
    assert save("report", 1, tree.branch, 2026, first, headings=headings) is None
    assert save("report", 2, tree.branch_sibling, 2026, second, headings=headings) is None
    assert not TextPair.objects.exists()


def test_empty_markup_only_and_very_long_texts_are_handled(tree: Tree) -> None:
    assert save("report", 1, tree.branch, 2026, "") is None
    assert save("report", 2, tree.branch, 2026, "<p><br></p><p>&nbsp;</p>") is None
    long = "支部组织党员学习党的二十大精神并开展专题研讨。" * 10_000
    signature = save("report", 3, tree.branch, 2026, long)
    assert signature is not None
    assert signature.length > 0


def test_standard_text_a_committee_marks_is_left_out_and_the_texts_are_compared_again(
    tree: Tree, people: SimpleNamespace, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    formula = "坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻党的二十大精神，全面落实党建工作责任制。"
    save("minutes", 1, tree.branch, 2026, formula + "研究了村集体经济发展项目。")
    save("minutes", 2, tree.branch_sibling, 2026, formula + "讨论了两名入党积极分子的培养考察情况。")
    assert TextPair.objects.get().share >= 60
    with django_capture_on_commit_callbacks(execute=True):
        services.standard_text_add(
            organization=tree.township, kind="minutes", passage=formula, by=people.committee_secretary
        )
    assert not TextPair.objects.exists()


def test_only_a_committee_over_the_organization_sets_standard_text(tree: Tree, people: SimpleNamespace) -> None:
    for person in (people.branch_secretary, people.outsider, people.committee_party_member):
        with pytest.raises(DomainError):
            services.standard_text_add(
                organization=tree.township, kind="", passage="每个支部都要写的一句规定表述。", by=person
            )


def test_a_reader_sees_only_likenesses_whose_other_text_they_may_read(tree: Tree, people: SimpleNamespace) -> None:
    save("report", 1, tree.branch, 2025, REPORT_2025)
    save("report", 2, tree.branch, 2026, REPORT_2026_COPY)
    save("report", 3, tree.sibling_branch, 2026, REPORT_2026_COPY)
    committee = selectors.likenesses(people.committee_secretary, "report", [2])[2]
    assert [likeness.sentence for likeness in committee] == [f"与 2025 年本组织述职报告相似 {committee[0].share}%"]
    county = secretary_at(tree.county)
    assert len(selectors.likenesses(county, "report", [2])[2]) == 2
    assert selectors.likenesses(people.outsider, "report", [2]) == {}


def secretary_at(organization: Organization) -> Any:
    person = UserFactory(username=f"secretary-{organization.code}")
    account_services.position_assign(person=person, organization=organization, role=Position.Role.SECRETARY)
    return person
