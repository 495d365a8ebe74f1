"""Trigram indexes for the search box on PostgreSQL: a word anywhere in a youth's folded
names, a reporter's folded name or a case number is found by index, not by reading every
row. (SQLite has none; it reads the rows, which at its scale is fine.)"""

from django.db import migrations

INDEXES = [
    ("youth_name_folded_trgm", "cases_youth", "name_folded gin_trgm_ops"),
    ("referral_reporter_folded_trgm", "cases_referral", "reporter_folded gin_trgm_ops"),
    # What `number__icontains` asks: UPPER(number::text) LIKE UPPER('%...%').
    ("case_number_trgm", "cases_case", "(UPPER(number::text)) gin_trgm_ops"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension: a database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_fewer_redundant_indexes")]

    operations = [migrations.RunPython(create, drop)]
