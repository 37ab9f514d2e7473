"""The forced password change moves from the session to the account (User.must_change_password).

Until now the change was asked for only at a first sign-in (last_login empty), so whoever has never
signed in still holds the password an administrator or the import gave them: they owe the change.
"""

from typing import Any

from django.db import migrations, models


def mark_never_signed_in(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("accounts", "User")
    User.objects.filter(last_login__isnull=True).update(must_change_password=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_recovery_code_digests"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="must_change_password",
            field=models.BooleanField(
                default=False,
                help_text="下次登录时须先修改密码（密码由管理员设置或导入后尚未修改）。",
                verbose_name="须修改密码",
            ),
        ),
        # Going back drops the column, and with it the marks: nothing to undo.
        migrations.RunPython(mark_never_signed_in, migrations.RunPython.noop),
    ]
