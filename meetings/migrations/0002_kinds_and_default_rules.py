"""The seven kinds of meeting every organization knows, and the usual rules for how often each is due
(支委会, 党小组会 and 主题党日 monthly, 党员大会 and 党课 quarterly, 组织生活会 and 民主生活会 yearly)."""

from django.db import migrations

KINDS = [
    # code, name, attendees, for committees, period, count
    ("assembly", "支部党员大会", "all", False, "quarter", 1),
    ("committee", "支部委员会", "committee", False, "month", 1),
    ("group", "党小组会", "group", False, "month", 1),
    ("lecture", "党课", "all", False, "quarter", 1),
    ("theme_day", "主题党日", "all", False, "month", 1),
    ("life_meeting", "组织生活会", "all", False, "year", 1),
    ("democratic_life", "民主生活会", "committee", True, "year", 1),
]


def create(apps, schema_editor):
    MeetingKind = apps.get_model("meetings", "MeetingKind")
    FrequencyRule = apps.get_model("meetings", "FrequencyRule")
    for order, (code, name, attendees, for_committees, period, count) in enumerate(KINDS, start=1):
        kind, _created = MeetingKind.objects.get_or_create(
            code=code,
            defaults={"name": name, "attendees": attendees, "for_committees": for_committees, "order": order},
        )
        FrequencyRule.objects.get_or_create(
            organization=None, kind=kind, defaults={"period": period, "count": count, "required": True}
        )


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
