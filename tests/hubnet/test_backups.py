"""make backup / make restore on PostgreSQL: a backup restored into a fresh database has
every row back, and the access log exactly (its checksum)."""

import io

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from cases.models import CaseAccess
from hubnet import backups

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="backups are of PostgreSQL"),
]


@pytest.fixture
def fresh_database():
    """An empty database on the same server, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    admin = psycopg2.connect(**{**connection.get_connection_params(), "dbname": "postgres"})
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_a_backup_restored_into_a_fresh_database_is_whole(
    make_case, client_for, personas, tmp_path, fresh_database
):
    cases = [make_case(county="Outagamie") for _ in range(3)]
    worker = client_for(personas["outagamie.worker"])
    for case in cases:
        worker.get(reverse("cases:detail", args=[case.pk]))  # rows in the access log
    assert CaseAccess.objects.count() >= 3
    source = backups.fingerprint()
    path = tmp_path / "hubnet.dump"

    out = io.StringIO()
    call_command("backup", file=str(path), stdout=out)
    backups.restore(path, database=fresh_database)

    restored = psycopg2.connect(**{**connection.get_connection_params(), "dbname": fresh_database})
    try:
        copy = backups.fingerprint(using=restored)
    finally:
        restored.close()
    assert copy == source
    assert copy["tables"]["cases_caseaccess"] >= 3
    assert "Backed up to" in out.getvalue()
    assert source["access_log_sha256"] in out.getvalue()


def test_a_restore_never_overwrites_a_database_that_holds_records(tmp_path, wisconsin):
    path = tmp_path / "hubnet.dump"
    backups.backup(path)

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", file=str(path))


def test_the_fingerprint_changes_when_a_look_is_missing(make_case, client_for, personas):
    case = make_case(county="Outagamie")
    worker = client_for(personas["outagamie.worker"])
    worker.get(reverse("cases:detail", args=[case.pk]))
    before = backups.fingerprint()["access_log_sha256"]
    worker.get(reverse("cases:detail", args=[case.pk]))

    assert backups.fingerprint()["access_log_sha256"] != before
