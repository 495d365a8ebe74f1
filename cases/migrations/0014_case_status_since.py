"""`Case.status_since`: when the case came into its current status, so the hub queue
lists each state's longest-waiting cases from an index (region, status, status_since)
instead of looking up every waiting case's latest event and sorting them all.

Existing cases take the time of the latest event that moved them into their status (the
time they were opened when none did)."""

import django.utils.timezone
from django.db import migrations, models

BACKFILL = """
UPDATE cases_case SET status_since = COALESCE(
    (
        SELECT MAX(e.at) FROM cases_caseevent e
        WHERE e.case_id = cases_case.id
          AND e.to_status = cases_case.status
          AND e.from_status <> e.to_status
    ),
    cases_case.opened_at
)
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_trigram_search")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="status_since",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="When the case came into its status: the hub queue's 'waiting since'.",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=True),
        migrations.RemoveIndex(model_name="case", name="cases_case_region__9b4287_idx"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["region", "status", "status_since", "id"],
                name="cases_case_region__6434de_idx",
            ),
        ),
    ]
