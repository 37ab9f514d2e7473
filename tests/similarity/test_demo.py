"""The demo shows each case of 相似内容: a report copied from last year, two branches with one report,
repeated monthly records, the township's standard text (and, in tests/rectification, a problem that
comes back in other words)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from similarity.models import StandardText, TextPair
from tests.test_probe_permissions import Demo, demo

__all__ = ["demo"]


def township() -> Client:
    client = Client()
    client.force_login(User.objects.get(username="demo-township"))
    return client


def test_the_township_sees_the_copied_and_the_shared_report_at_the_top(demo: Demo, db: None) -> None:
    year = timezone.localdate().year
    response = township().get(reverse("similar_pairs"), {"year": year, "kind": "report"})
    pairs = list(response.context["pairs"])
    described = {(pair.organization.name, pair.other_organization.name, pair.other_year) for pair in pairs}
    assert ("东湖镇桃源村党支部", "东湖镇桃源村党支部", year - 1) in described
    assert ("东湖镇滨湖社区党支部", "东湖镇桃源村党支部", year) in described
    assert all(pair.share >= 90 for pair in pairs)
    # The other reports, written in their own words around the template's one sentence, are not listed.
    assert len(pairs) == 2


def test_repeated_monthly_records_are_flagged_for_review(demo: Demo, db: None) -> None:
    assert TextPair.objects.filter(kind="record", text__text__contains="召开支委会，研究本月党建重点工作").exists()
    body = township().get(reverse("record_review_queue")).content.decode()
    assert "按重复驳回" in body


def test_the_template_sentence_is_the_townships_standard_text(demo: Demo, db: None) -> None:
    standard = StandardText.objects.get()
    assert standard.organization.name.startswith("中共青山县东湖镇")
    assert "一年来，支部坚持把抓党建作为第一责任" in township().get(reverse("standard_texts")).content.decode()
