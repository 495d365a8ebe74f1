"""Seed the default indicator list; administrators edit it after."""

from django.db import migrations


def load(apps, schema_editor):
    from cases.reference_data import indicators_load

    indicators_load(apps.get_model("cases", "Indicator"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
