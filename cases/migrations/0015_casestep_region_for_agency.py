"""`CaseStep.region` and `CaseStep.for_agency`, kept from the case, and the index
casestep_region_overdue: a hub's overdue steps (their counts, the longest overdue) are
read from the steps to do of its region, never by visiting each of its open cases (at a
million cases, 109,000 open ones in a region: 0.9 s a query). The column is made
required, and the index built, in 0016: on PostgreSQL a table with the backfill's
constraint checks still pending in its transaction cannot be altered."""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
UPDATE cases_casestep SET
    region_id = (SELECT c.region_id FROM cases_case c WHERE c.id = cases_casestep.case_id),
    for_agency = EXISTS (
        SELECT 1 FROM cases_case c, protocols_stepdefinition d
        WHERE c.id = cases_casestep.case_id AND d.id = cases_casestep.definition_id
          AND c.agency_id IS NOT NULL AND d.owner = 'agency'
    )
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_case_status_since"),
        ("protocols", "0001_initial"),
        ("regions", "0010_provider_name_any_case"),
    ]

    operations = [
        migrations.AddField(
            model_name="casestep",
            name="for_agency",
            field=models.BooleanField(
                default=False,
                help_text="Waits on the case's agency: an agency's step, and the case has one.",
            ),
        ),
        migrations.AddField(
            model_name="casestep",
            name="region",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="regions.region",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=True),
    ]
