from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimilarityConfig(AppConfig):
    """相似内容: near-copied texts across years and organizations, and the committee's standard text."""

    name = "similarity"
    verbose_name = _("相似内容")
