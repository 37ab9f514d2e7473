from django.db import migrations, models


class Migration(migrations.Migration):
    """Notifications say what they say by message key and parameters, rendered in the reader's language.

    The sentences of older rows stay where they were (the columns `title` and `body`, now the fields
    `stored_title` and `stored_body`) and are shown as they are: they were written in one language and
    nothing records their parameters, so they cannot be converted.
    """

    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        # A rename of the fields only: the columns keep their names, so nothing is rewritten.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField("notification", "title", "stored_title"),
                migrations.RenameField("notification", "body", "stored_body"),
                migrations.AlterField(
                    model_name="notification",
                    name="stored_title",
                    field=models.CharField(blank=True, db_column="title", max_length=200, verbose_name="标题"),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="stored_body",
                    field=models.TextField(blank=True, db_column="body", verbose_name="内容"),
                ),
            ],
        ),
        migrations.AddField(
            model_name="notification",
            name="message_key",
            field=models.CharField(blank=True, max_length=64, verbose_name="消息模板"),
        ),
        migrations.AddField(
            model_name="notification",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="消息参数"),
        ),
    ]
