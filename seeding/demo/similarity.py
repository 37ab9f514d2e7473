"""Demo data for 相似内容: the township's standard text, and the comparison of every text the demo wrote.

The demo shows each case the committee meets (docs/architecture.md, 相似内容): 桃源村 hands in last year's
duty report with the dates and numbers changed, 滨湖社区 hands in 桃源村's (seeding.demo.reviews); the villages'
monthly records say "召开支委会，研究本月党建重点工作" month after month (seeding.demo.responsibility); a
problem of 2025 comes back in other words in 2026 (seeding.demo.rectification). The township has marked
the sentence its report template makes everyone write as standard text, so it is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Organization, Position
from seeding.demo.people import FIRST_TOWNSHIP_CODE
from similarity import bulk, services
from similarity.models import StandardText, TextPair

TEMPLATE_SENTENCE = (
    "一年来，支部坚持把抓党建作为第一责任，落实“三会一课”制度，全年召开支委会 12 次、党员大会 4 次，讲党课 4 次。"
)


@dataclass
class SimilarityDemoSummary:
    pairs: int = 0
    standard: int = 0

    def __str__(self) -> str:
        return f"相似内容：相似文本 {self.pairs} 对，规范表述 {self.standard} 条。"


def similarity_demo_build() -> SimilarityDemoSummary:
    """The township's standard text, then signatures and pairs for everything written in bulk; idempotent."""
    township = Organization.objects.get(code=FIRST_TOWNSHIP_CODE)
    secretary = Position.objects.secretary_of(township)
    if secretary is not None and not StandardText.objects.filter(organization=township).exists():
        StandardText.objects.create(organization=township, kind="", text=TEMPLATE_SENTENCE, created_by=secretary)
        # The reports were compared as they were saved, before the township marked its template's sentence.
        services.texts_recompute(organization=township)
    bulk.compare_all()
    return SimilarityDemoSummary(pairs=TextPair.objects.count(), standard=StandardText.objects.count())
