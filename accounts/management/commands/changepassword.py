"""`manage.py changepassword LOGIN`: Django's command of that name, through `password_reset`.

Whoever types the password at the server knows it, so the person must replace it at their next
sign-in, as after an administrator's reset in the admin. It takes the place of Django's command
because `accounts` is listed before `django.contrib.auth` in INSTALLED_APPS.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import User

MAX_TRIES = 3


class Command(BaseCommand):
    help = "为一个账号设置新密码；此人下次登录时须先修改。"
    requires_migrations_checks = True
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="登录名")

    def handle(self, *args: Any, username: str, **options: Any) -> str:
        person = User.objects.filter(username=username).first()
        if person is None:
            raise CommandError(_("没有登录名为 %(login)s 的账号。") % {"login": username})
        for _attempt in range(MAX_TRIES):
            password = getpass.getpass(_("新密码："))
            if not password:
                raise CommandError(_("已取消。"))
            if getpass.getpass(_("再次输入新密码：")) != password:
                self.stderr.write(_("两次输入的密码不一致，请重试。"))
                continue
            try:
                validate_password(password, person)
            except ValidationError as refused:
                self.stderr.write("\n".join(refused.messages))
                continue
            services.password_reset(person=person, password=password)
            return _("已为 %(login)s 设置新密码，此人下次登录时须先修改。") % {"login": username}
        raise CommandError(_("%(tries)s 次均未设置成功，密码未修改。") % {"tries": MAX_TRIES})
