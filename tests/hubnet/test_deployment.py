"""docker-compose.yml is exercised for real in a later issue; here, its shape is checked."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_production_topology():
    services = compose()["services"]

    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "gunicorn" in services["web"]["command"]
    assert (
        services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    )
    assert "migrate" in " ".join(services["migrate"]["command"])
    assert [name for name, s in services.items() if "beat" in s.get("command", [])] == ["beat"]


def test_every_variable_it_sets_is_read_by_the_settings():
    settings_source = (ROOT / "hubnet" / "settings.py").read_text()
    environment = compose()["services"]["web"]["environment"]

    unread = [name for name in environment if not re.search(rf'"{name}"', settings_source)]

    assert not unread, f"docker-compose.yml sets variables settings.py never reads: {unread}"
    assert environment["DEBUG"] == "0"
