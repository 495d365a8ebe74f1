"""CaseStep.region required, now that 0015 filled it in, and the index of a region's
steps to do (casestep_region_overdue)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0015_casestep_region_for_agency")]

    operations = [
        migrations.AlterField(
            model_name="casestep",
            name="region",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="regions.region",
            ),
        ),
        migrations.AddIndex(
            model_name="casestep",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["region", "due_at", "case", "for_agency"],
                name="casestep_region_overdue",
            ),
        ),
    ]
