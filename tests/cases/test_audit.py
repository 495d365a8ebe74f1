"""The access log and the timeline are append-only in the database: an UPDATE or a DELETE
of a row is refused by a trigger, however it is sent (ORM or SQL), on SQLite and on
PostgreSQL; inserting goes on as before."""

import sqlite3

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, models, transaction
from django.db.models import ProtectedError

from cases.audit import (
    APPEND_ONLY_TABLES,
    audit_rewrite_allowed,
    sqlite_triggers_remove,
)
from cases.models import AccessChannel, CaseAccess, CaseEvent, EventKind
from cases.selectors import get_case_for_user

pytestmark = pytest.mark.django_db

REFUSED = r"append-only|Cannot (update or delete|truncate)"
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own triggers")


def on_postgres(test):
    skip = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
    return pytest.mark.postgres(skip(test))


@pytest.fixture
def rows(personas, routed_case):
    """{model: one row of it}: the case's first timeline event and a look at the case."""
    get_case_for_user(personas["outagamie.worker"], routed_case.pk)  # written at once
    return {
        CaseEvent: routed_case.events.order_by("id").first(),
        CaseAccess: routed_case.accesses.get(),
    }


CHANGES = {CaseEvent: {"reason": "Rewritten."}, CaseAccess: {"granted": False}}
MODELS = pytest.mark.parametrize("model", [CaseEvent, CaseAccess], ids=lambda m: m.__name__)


def _refused(change) -> None:
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        change()


def _unchanged(row) -> None:
    again = type(row).objects.get(pk=row.pk)
    assert [getattr(again, f.attname) for f in row._meta.concrete_fields] == [
        getattr(row, f.attname) for f in row._meta.concrete_fields
    ]


@MODELS
def test_the_orm_cannot_update_or_delete_a_row(rows, model):
    row = rows[model]
    _refused(lambda: model.objects.filter(pk=row.pk).update(**CHANGES[model]))
    _refused(lambda: model.objects.filter(pk=row.pk).delete())

    def save_changed():
        changed = model.objects.get(pk=row.pk)
        for field, value in CHANGES[model].items():
            setattr(changed, field, value)
        changed.save()

    _refused(save_changed)
    _refused(lambda: model.objects.get(pk=row.pk).delete())
    _unchanged(row)


@MODELS
def test_sql_cannot_update_or_delete_a_row(rows, model):
    row = rows[model]
    table = model._meta.db_table
    column, value = next(iter(CHANGES[model].items()))

    def execute(sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    update = f"UPDATE {table} SET {column} = %s WHERE id = %s"  # noqa: S608 - our names
    delete = f"DELETE FROM {table} WHERE id = %s"  # noqa: S608 - our names
    _refused(lambda: execute(update, [value, row.pk]))
    _refused(lambda: execute(delete, [row.pk]))
    _refused(lambda: execute(f"DELETE FROM {table}", []))  # noqa: S608 - our names
    _unchanged(row)


def test_rows_are_still_written(rows, personas, routed_case):
    worker = personas["outagamie.worker"]
    CaseEvent.objects.create(case=routed_case, kind=EventKind.NOTE_ADDED, actor=worker)
    CaseAccess.objects.bulk_create(
        [CaseAccess(case=routed_case, user=worker, channel=AccessChannel.LIST, granted=True)]
    )
    assert routed_case.events.filter(kind=EventKind.NOTE_ADDED).exists()
    assert routed_case.accesses.count() == 2


def test_nothing_deleted_elsewhere_takes_the_audit_with_it(rows, routed_case):
    """A case, a user or an agency with a timeline or an access log cannot be deleted."""
    for model in (CaseEvent, CaseAccess):
        for field in model._meta.concrete_fields:
            if field.is_relation:
                assert field.remote_field.on_delete is models.PROTECT, (model, field.name)
    with pytest.raises(ProtectedError), transaction.atomic():
        routed_case.delete()


@MODELS
def test_only_the_explicit_bypass_lets_a_row_change(rows, model):
    """`audit_rewrite_allowed` exists for emptying a test database; outside it, refused."""
    row = rows[model]
    with audit_rewrite_allowed():
        assert model.objects.filter(pk=row.pk).update(**CHANGES[model]) == 1
    _refused(lambda: model.objects.filter(pk=row.pk).delete())


@on_sqlite
def test_sqlite_a_connection_without_hubnets_function_changes_nothing(rows):
    """The triggers ask a function only HubNet's connections have: another connection to
    the database (the sqlite3 shell) fails closed."""
    other = sqlite3.connect(connection.get_connection_params()["database"], uri=True)
    try:
        for table in APPEND_ONLY_TABLES:
            for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):  # noqa: S608
                with pytest.raises(sqlite3.OperationalError, match="no such function"):
                    other.execute(sql)
    finally:
        other.close()


@on_sqlite
def test_sqlite_triggers_come_back_after_a_migration_rebuilt_the_table(rows):
    """SQLite alters a table by copying it, which drops its triggers; after every
    `migrate` they are put back."""
    event = rows[CaseEvent]
    sqlite_triggers_remove(connection)
    assert CaseEvent.objects.filter(pk=event.pk).update(reason="Unguarded.") == 1

    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)

    _refused(lambda: CaseEvent.objects.filter(pk=event.pk).update(reason="Again."))


@MODELS
@on_postgres
def test_postgres_cannot_truncate_the_audit(rows, model):
    def truncate():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's inserts checked
            cursor.execute(f"TRUNCATE {model._meta.db_table}")

    _refused(truncate)
    assert model.objects.exists()
