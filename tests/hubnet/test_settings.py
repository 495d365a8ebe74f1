"""Settings are read from the environment at start-up; check them in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG_VARS = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "SQLITE_PATH")

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "debug": settings.DEBUG,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": settings.DATABASES["default"]["NAME"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "tz": settings.TIME_ZONE,
    "use_tz": settings.USE_TZ,
}))
"""


def start(**env):
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    clean["DJANGO_SETTINGS_MODULE"] = "hubnet.settings"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_mode_without_secret_key_refuses_to_start():
    result = start()

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_explicit_debug_off_without_secret_key_refuses_to_start():
    result = start(DEBUG="0")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_mode_with_secret_key_starts():
    result = start(SECRET_KEY="a-long-random-production-secret")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is False


def test_development_mode_needs_no_secret_and_uses_sqlite_and_in_process_tasks():
    result = start(DEBUG="1")

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is True
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["eager"] is True
    assert values["tz"] == "America/Chicago"
    assert values["use_tz"] is True


def test_database_and_broker_urls_switch_to_postgresql_and_redis():
    result = start(
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://hubnet@db.internal:5432/hubnet",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
    )

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["db_name"] == "hubnet"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.internal:6379/0"


@pytest.mark.parametrize("value", ["maybe", "ture", "2"])
def test_an_unreadable_flag_stops_start_up(value):
    result = start(DEBUG=value, SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert f"DEBUG={value!r} is not a yes/no value" in result.stderr
