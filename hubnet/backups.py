"""Backups of the PostgreSQL database (`make backup`, `make restore`): pg_dump's custom
format, restored with pg_restore; and the fingerprint that says a restore is whole.

The fingerprint is every table's row count and a checksum of the access log (every row,
in order): the record of who looked at which case must come back exactly, since nothing
may change or delete it. Comparing a restored database's fingerprint with the source's
is the test of a backup (CI does it on every PostgreSQL run).
"""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from django.db import connection, connections

from cases.models import CaseAccess


def _program(name: str) -> str:
    """The PostgreSQL client program `name` (its major version should be the server's)."""
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(
            f"{name} is not installed (Debian: apt-get install postgresql-client)."
        )
    return path


def _dsn(alias: str = "default", database: str | None = None) -> list[str]:
    """pg_dump/pg_restore connection options for a database alias (another database on
    the same server when `database` is given; no password on the command line: libpq
    reads PGPASSWORD or ~/.pgpass)."""
    params = connections[alias].settings_dict
    options = ["--dbname", database or params["NAME"]]
    if params.get("HOST"):
        options += ["--host", str(params["HOST"])]
    if params.get("PORT"):
        options += ["--port", str(params["PORT"])]
    if params.get("USER"):
        options += ["--username", str(params["USER"])]
    return options


def _environment(alias: str = "default") -> dict[str, str] | None:
    password = connections[alias].settings_dict.get("PASSWORD")
    return {**os.environ, "PGPASSWORD": password} if password else None


def backup(path: Path, alias: str = "default") -> Path:
    """The whole database into `path` (pg_dump --format=custom: compressed, restorable
    table by table)."""
    subprocess.run(  # noqa: S603 - fixed program, options from settings
        [_program("pg_dump"), "--format=custom", "--no-owner", "--file", str(path), *_dsn(alias)],
        check=True,
        env=_environment(alias),
    )
    return path


def restore(path: Path, alias: str = "default", database: str | None = None) -> None:
    """`path` into the (empty, freshly created) database of `alias` (or `database` on
    its server), in one transaction: all of it or nothing."""
    subprocess.run(  # noqa: S603 - fixed program, options from settings
        [
            _program("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            *_dsn(alias, database),
            str(path),
        ],
        check=True,
        env=_environment(alias),
    )


def is_empty(using=None) -> bool:
    """Whether the database holds no table (a restore goes only into such a one)."""
    with (using or connection).cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        return cursor.fetchone()[0] == 0


def fingerprint(using=None) -> dict:
    """Every table's row count, and a SHA-256 of the access log's rows in id order.
    `using`: a database connection (Django's or a DB-API one); Django's default."""
    with (using or connection).cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - catalog names
            counts[table] = cursor.fetchone()[0]
        digest = hashlib.sha256()
        table = CaseAccess._meta.db_table
        cursor.execute(
            f'SELECT id, case_id, user_id, "at", channel, granted, ip_address '  # noqa: S608
            f'FROM "{table}" ORDER BY id'
        )
        while rows := cursor.fetchmany(10_000):
            for row in rows:
                digest.update(repr(tuple(str(value) for value in row)).encode())
    return {"tables": counts, "access_log_sha256": digest.hexdigest()}
