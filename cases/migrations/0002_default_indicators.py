"""Seed the default indicator list (cases/data/indicators.csv); administrators edit it after."""

import csv
from pathlib import Path

from django.db import migrations

CSV = Path(__file__).resolve().parent.parent / "data" / "indicators.csv"


def load(apps, schema_editor):
    Indicator = apps.get_model("cases", "Indicator")
    with CSV.open(newline="", encoding="utf-8") as handle:
        for order, row in enumerate(csv.DictReader(handle), start=1):
            Indicator.objects.get_or_create(
                key=row["key"],
                defaults={
                    "category": row["category"],
                    "label": row["indicator"],
                    "exploitation": row["exploitation"],
                    "order": order,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
