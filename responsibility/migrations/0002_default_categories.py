"""The six default categories of party building (责任类别); administrators may add more."""

from django.db import migrations

DEFAULTS = ["政治建设", "思想建设", "组织建设", "作风建设", "纪律建设", "制度建设"]


def create_defaults(apps, schema_editor):
    Category = apps.get_model("responsibility", "Category")
    for order, name in enumerate(DEFAULTS, start=1):
        Category.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("responsibility", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
