"""docker-compose.yml: its shape is checked here, and `manage.py check --deploy` is run
with exactly the environment it gives the web service. (.ci/run validates it against the
Compose specification's schema and runs the same topology as processes.)"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# What an operator puts in .env beside docker-compose.yml (the example domain of its comment).
DOT_ENV = {
    "SECRET_KEY": "deployment-check-only-" + "k9Xq2vLm7Pz4" * 4,
    "POSTGRES_PASSWORD": "deployment-check-only",
    "HUBNET_DOMAIN": "hubnet.example.org",
}
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_production_topology():
    services = compose()["services"]

    assert set(services) == {"db", "redis", "migrate", "web", "proxy", "worker", "beat"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "gunicorn" in services["web"]["command"]
    assert (
        services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    )
    assert "migrate" in " ".join(services["migrate"]["command"])
    assert [name for name, s in services.items() if "beat" in s.get("command", [])] == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    # Every long-running service says whether it is healthy.
    for name in ("db", "redis", "web", "proxy", "worker", "beat"):
        assert services[name]["healthcheck"]["test"], name


def test_redis_is_configured_as_a_broker_not_a_cache():
    command = compose()["services"]["redis"]["command"]

    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "redisdata:/data" in compose()["services"]["redis"]["volumes"]


def test_the_proxy_terminates_tls_and_sends_hsts_and_gunicorn_is_not_published():
    services = compose()["services"]
    caddyfile = compose()["configs"]["caddyfile"]["content"]

    assert services["proxy"]["image"].startswith("caddy:")
    assert {"80:80", "443:443"} <= set(services["proxy"]["ports"])
    assert "reverse_proxy web:8000" in caddyfile
    assert "Strict-Transport-Security" in caddyfile
    assert "ports" not in services["web"]  # only the proxy reaches gunicorn


def test_the_broker_hands_a_task_on_only_after_the_longest_task_could_run():
    environment = compose()["services"]["web"]["environment"]

    assert int(environment["CELERY_VISIBILITY_TIMEOUT"]) > 15 * 60


def test_the_env_example_names_every_variable_the_compose_file_requires():
    required = {
        match["name"]
        for match in INTERPOLATION.finditer((ROOT / "docker-compose.yml").read_text())
        if match["op"] in (":?", "?")
    }
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }

    assert required <= example, required - example


def test_every_variable_it_sets_is_read_by_the_settings():
    settings_source = (ROOT / "hubnet" / "settings.py").read_text()
    environment = compose()["services"]["web"]["environment"]

    unread = [name for name in environment if not re.search(rf'"{name}"', settings_source)]

    assert not unread, f"docker-compose.yml sets variables settings.py never reads: {unread}"
    assert environment["DEBUG"] == "0"


def interpolate(value: str, dot_env: dict[str, str]) -> str:
    """Docker Compose's substitution of `${...}` in a value, from the .env file only."""

    def substitute(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        given = dot_env.get(name)
        missing = given is None or (given == "" and op is not None and op.startswith(":"))
        if not missing:
            return given
        if op in (":?", "?"):
            raise KeyError(f"docker-compose.yml requires {name} in .env: {arg}")
        return arg if op in (":-", "-") else ""

    return INTERPOLATION.sub(substitute, value)


def web_environment(dot_env: dict[str, str]) -> dict[str, str]:
    environment = compose()["services"]["web"]["environment"]
    return {name: interpolate(str(value), dot_env) for name, value in environment.items()}


def check_deploy(dot_env: dict[str, str]) -> subprocess.CompletedProcess:
    """`manage.py check --deploy --fail-level WARNING` with only the web service's environment."""
    environment = {"PATH": os.environ["PATH"], **web_environment(dot_env)}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_compose_file_names_its_domain_for_hosts_passkeys_and_https():
    environment = web_environment(DOT_ENV)

    assert environment["ALLOWED_HOSTS"].split(",")[0] == "hubnet.example.org"
    assert environment["WEBAUTHN_RP_ID"] == "hubnet.example.org"
    assert environment["WEBAUTHN_ORIGINS"] == "https://hubnet.example.org"
    assert environment["CACHE_URL"] == "redis://redis:6379/1"
    with pytest.raises(KeyError, match="HUBNET_DOMAIN"):
        web_environment({**DOT_ENV, "HUBNET_DOMAIN": ""})


def test_check_deploy_is_clean_with_the_production_settings():
    result = check_deploy(DOT_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_https_is_not_enforced():
    plain_http = {"SECURE_HSTS_SECONDS": "0", "SECURE_SSL_REDIRECT": "0", "BEHIND_TLS_PROXY": "0"}

    result = check_deploy({**DOT_ENV, **plain_http})

    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W008" in result.stderr  # no redirect to HTTPS


@pytest.mark.django_db
def test_the_health_check_answers_plain_http_when_https_is_enforced(client, settings):
    # docker-compose.yml's health check asks http://127.0.0.1:8000/healthz from inside.
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/login/").status_code == 301
    assert client.get("/login/", secure=True).status_code == 200


def test_gunicorn_logs_paths_without_their_query_strings():
    # A search for a youth's name is a query string: it must not reach the access log.
    [logformat] = [
        arg
        for arg in compose()["services"]["web"]["command"]
        if arg.startswith("--access-logformat")
    ]

    assert "%(U)s" in logformat
    for atom in ("%(r)s", "%(q)s", "%(f)s"):  # request line, query string, referer
        assert atom not in logformat
    assert "%({x-request-id}o)s" in logformat
