"""Recovery codes stored before this migration were kept as they read; now only their keyed digest is."""

from typing import Any

from django.db import migrations
from django.utils.crypto import salted_hmac


def stored_recovery_code(token: str) -> str:
    # As accounts.two_factor.stored_recovery_code did when this was written (a migration keeps its own).
    return salted_hmac("accounts.two_factor.recovery_code", token, algorithm="sha256").hexdigest()[:16]


def digest_stored_codes(apps: Any, schema_editor: Any) -> None:
    StaticToken = apps.get_model("otp_static", "StaticToken")
    # A code as issued: 8 characters of base32. A digest has 16 hex characters.
    for token in StaticToken.objects.exclude(token__regex=r"^[0-9a-f]{16}$"):
        token.token = stored_recovery_code(token.token)
        token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_history"),
        ("otp_static", "0003_add_timestamps"),
    ]

    # Irreversible by nature: a digest does not give the code back.
    operations = [migrations.RunPython(digest_stored_codes, migrations.RunPython.noop)]
