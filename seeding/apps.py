from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SeedingConfig(AppConfig):
    """Demo and province-scale data (manage.py seed_demo, seed_scale): kept apart from the product code."""

    name = "seeding"
    verbose_name = _("演示与压测数据")
