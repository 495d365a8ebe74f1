"""The access log and the case timeline are append-only, in the database itself.

`CaseAccess` and `CaseEvent` rows are written once and never changed or removed:
nothing in HubNet updates or deletes them (retention: at least a year, in practice as
long as the case). So that no bug or slip in a shell session can either, the database
refuses it with a trigger on each table:

- PostgreSQL: django-pgtrigger triggers declared on the models (`Meta.triggers`,
  installed by migration 0009): UPDATE and DELETE of a row, and TRUNCATE;
- SQLite: BEFORE UPDATE and BEFORE DELETE triggers installed here (by migration 0009,
  and again after every `migrate`, since SQLite drops a table's triggers when a later
  migration rebuilds that table). They ask `hubnet_audit_rewrite_allowed()`, a function
  registered on each of HubNet's connections; a connection without it (the sqlite3 shell
  on the file) cannot change a row either.

`audit_rewrite_allowed()` is the one way past both, for emptying a test database
(tests/audit_guard.py wraps Django's `flush` in it). Nothing else uses it. The triggers
guard against HubNet's own code; whoever controls the database server or the SQLite file
can drop them, so the log's protection from its administrators is who may be one.
"""

import contextlib
import contextvars
from collections.abc import Iterator

import pgtrigger
from django.db.backends.base.base import BaseDatabaseWrapper

APPEND_ONLY_TABLES = ("cases_caseaccess", "cases_caseevent")
SQLITE_FUNCTION = "hubnet_audit_rewrite_allowed"

_rewrite_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "audit_rewrite_allowed", default=False
)


def append_only_triggers(prefix: str) -> list[pgtrigger.Trigger]:
    """The PostgreSQL triggers of an append-only model (its `Meta.triggers`)."""
    return [
        pgtrigger.Protect(
            name=f"{prefix}_append_only", operation=pgtrigger.Update | pgtrigger.Delete
        ),
        pgtrigger.Trigger(
            name=f"{prefix}_no_truncate",
            level=pgtrigger.Statement,
            when=pgtrigger.Before,
            operation=pgtrigger.Truncate,
            func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table', TG_TABLE_NAME;",
        ),
    ]


PG_TRIGGERS = [
    f"cases.{model}:{prefix}_{kind}"
    for model, prefix in (("CaseAccess", "caseaccess"), ("CaseEvent", "caseevent"))
    for kind in ("append_only", "no_truncate")
]


@contextlib.contextmanager
def audit_rewrite_allowed() -> Iterator[None]:
    """Let this thread's statements change or empty the access log and the timeline.

    Only for emptying a test database between tests. Never in a request, a task or a
    data migration: a row of the audit, once written, stays as it was written.
    """
    token = _rewrite_allowed.set(True)
    try:
        with pgtrigger.ignore(*PG_TRIGGERS):
            yield
    finally:
        _rewrite_allowed.reset(token)


def sqlite_function_register(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """`connection_created` receiver: the function the SQLite triggers ask."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_FUNCTION, 0, lambda: int(_rewrite_allowed.get()), deterministic=False
        )


def sqlite_triggers_install(connection: BaseDatabaseWrapper) -> None:
    """Create the SQLite triggers where missing (a no-op on other databases)."""
    if connection.vendor != "sqlite":
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in APPEND_ONLY_TABLES:
            if table not in existing:
                continue
            for operation in ("UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_refuse_{operation.lower()} "
                    f"BEFORE {operation} ON {table} WHEN NOT {SQLITE_FUNCTION}() "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); "
                    "END"
                )


def sqlite_triggers_remove(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table in APPEND_ONLY_TABLES:
            for operation in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_{operation}")


def sqlite_triggers_reinstall(sender, using: str, plan=None, **kwargs) -> None:
    """`post_migrate` receiver: a migration that rebuilt one of the tables (SQLite alters
    a table by copying it) took its triggers with it; put them back. Not for a database
    whose migrations have not reached 0009 yet (or were reversed past it)."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    applied = MigrationRecorder(connection).applied_migrations()
    if ("cases", "0009_append_only_audit") in applied:
        sqlite_triggers_install(connection)
