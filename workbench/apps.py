from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    """我的工作, 工作台 and 年度报告: the pages that read every domain at once (a layer above them all)."""

    name = "workbench"
    verbose_name = _("工作台与年度报告")
