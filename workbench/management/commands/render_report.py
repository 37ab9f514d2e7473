"""`manage.py render_report --org CODE --year YYYY [--summary] -o FILE.pdf`: the yearly PDF, by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.models import Organization
from foundation.errors import DomainError
from workbench import pdf, yearly


class Command(BaseCommand):
    help = "生成党组织的年度报告（或党委的年度汇总，--summary）PDF，与页面上“年度报告”使用同一个生成程序。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="CODE", help="党组织代码，例如 QS-DH")
        parser.add_argument("--year", required=True, type=int, metavar="YYYY", help="年度")
        parser.add_argument(
            "--summary", action="store_true", help="生成下级党组织的年度汇总（仅限党委、党工委、党总支）"
        )
        parser.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help="写入的 PDF 文件")

    def handle(self, *args: Any, org: str, year: int, summary: bool, output: str, **options: Any) -> None:
        organization = Organization.objects.filter(code=org).first()
        if organization is None:
            raise CommandError(_("没有代码为 %(code)s 的党组织。") % {"code": org})
        if summary and organization.kind == Organization.Kind.BRANCH:
            raise CommandError(_("党支部没有下级党组织，请去掉 --summary 生成年度报告。"))
        html = (
            yearly.committee_summary_html(organization, year)
            if summary
            else yearly.organization_report_html(organization, year)
        )
        try:
            data = pdf.render_pdf(html)
        except DomainError as error:
            raise CommandError(str(error)) from None
        target = Path(output)
        target.write_bytes(data)
        self.stdout.write(
            self.style.SUCCESS(_("已生成 %(file)s（%(size)s 字节）。") % {"file": target, "size": len(data)})
        )
