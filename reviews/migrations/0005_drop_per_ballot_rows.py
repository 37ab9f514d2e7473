"""Ballots become tallies: each organization's per-ballot rows are added up and deleted, each used code is
remembered only as a keyed digest, each printed batch gets its record, and every result names its rule."""

import hashlib
import hmac
import uuid
from collections import Counter, defaultdict

from django.conf import settings
from django.db import migrations

# As reviews.ballot_box.spent_digest computes it; copied, since a migration must not change with the code.
SPENT_SALT = b"reviews.ballot_box.spent"


def _spent_digest(code):
    key = hmac.new(SPENT_SALT, settings.SECRET_KEY.encode(), hashlib.sha256).digest()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def forward(apps, schema_editor):
    Ballot = apps.get_model("reviews", "Ballot")
    BallotCode = apps.get_model("reviews", "BallotCode")
    BallotBatch = apps.get_model("reviews", "BallotBatch")
    BallotTally = apps.get_model("reviews", "BallotTally")
    SpentCode = apps.get_model("reviews", "SpentCode")
    Result = apps.get_model("reviews", "Result")

    counts = defaultdict(Counter)
    items = defaultdict(lambda: defaultdict(Counter))
    for cycle_id, organization_id, rating, aspects in Ballot.objects.values_list(
        "cycle_id", "organization_id", "rating", "item_ratings"
    ).iterator():
        counts[(cycle_id, organization_id)][rating] += 1
        for label, value in (aspects or {}).items():
            items[(cycle_id, organization_id)][label][value] += 1
    batches = Counter(BallotCode.objects.values_list("cycle_id", "organization_id", "batch").iterator())
    for key in set(counts) | {(cycle_id, organization_id) for cycle_id, organization_id, _batch in batches}:
        tally = counts.get(key, Counter())
        BallotTally.objects.create(
            cycle_id=key[0],
            organization_id=key[1],
            good=tally["good"],
            fair=tally["fair"],
            average=tally["average"],
            poor=tally["poor"],
            items={label: dict(ratings) for label, ratings in items.get(key, {}).items()},
        )
    BallotBatch.objects.bulk_create(
        BallotBatch(cycle_id=cycle_id, organization_id=organization_id, number=number, count=count)
        for (cycle_id, organization_id, number), count in batches.items()
    )
    SpentCode.objects.bulk_create(
        SpentCode(id=uuid.uuid4(), cycle_id=cycle_id, organization_id=organization_id, digest=_spent_digest(code))
        for cycle_id, organization_id, code in BallotCode.objects.filter(is_used=True)
        .values_list("cycle_id", "organization_id", "code")
        .iterator()
    )
    Ballot.objects.all().delete()
    Result.objects.filter(grade_reason="").update(grade_reason="band")


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_ballot_secrecy_and_fair_closing"),
    ]

    operations = [
        # Not reversible: the per-ballot rows and the link between codes and their use are gone on purpose.
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="ballotcode",
            name="is_used",
        ),
        migrations.DeleteModel(
            name="Ballot",
        ),
    ]
