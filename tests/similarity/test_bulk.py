"""manage.py compare_texts: texts loaded in bulk get their signatures and pairs as if saved one by one."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from similarity import bulk, kinds, services
from similarity.models import TextPair, TextSignature
from tests.conftest import Tree
from tests.similarity.test_services import MONTHLY, REPORT_2025, REPORT_2026_COPY, REPORT_OTHER


@pytest.fixture
def loaded(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> list[kinds.TextRow]:
    rows = [
        kinds.TextRow(1, tree.branch.pk, 2025, REPORT_2025),
        kinds.TextRow(2, tree.branch.pk, 2026, REPORT_2026_COPY),
        kinds.TextRow(3, tree.branch_sibling.pk, 2026, REPORT_2026_COPY),
        kinds.TextRow(4, tree.direct_branch.pk, 2026, REPORT_OTHER),
    ]
    report = kinds.get("report")
    assert report is not None

    def texts() -> Iterator[kinds.TextRow]:
        yield from rows

    monkeypatch.setitem(kinds._kinds, "report", kinds.TextKind("report", report.label, report.url, texts=texts))
    return rows


def test_bulk_finds_the_pairs_one_save_at_a_time_would(loaded: list[kinds.TextRow], tree: Tree) -> None:
    summary = bulk.compare_all(["report"])
    assert summary.signed == {"report": 4}
    assert summary.reused == 1
    found = set(TextPair.objects.values_list("text__object_id", "other__object_id"))
    # Last year's own report, and the neighbour's this year; not another organization's earlier years.
    assert found == {(2, 1), (3, 2)}


def test_bulk_is_idempotent_and_a_later_save_keeps_what_it_found(loaded: list[kinds.TextRow], tree: Tree) -> None:
    bulk.compare_all(["report"])
    pairs = TextPair.objects.count()
    out = StringIO()
    call_command("compare_texts", "--kind", "report", stdout=out)
    assert "新计算签名 report 0" in out.getvalue()
    assert TextPair.objects.count() == pairs
    services.text_saved(kind="report", object_id=5, organization=tree.branch, year=2026, content=MONTHLY * 3)
    assert TextSignature.objects.count() == 5
