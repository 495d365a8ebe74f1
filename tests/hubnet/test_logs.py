"""Production logs (hubnet.log_context): one JSON object a line, with the request's id,
the user's id and the case's id, and never a youth's name, even when what someone typed
is refused or an error quotes it."""

import io
import json
import logging
import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from hubnet.log_context import ContextFilter, JsonFormatter

pytestmark = pytest.mark.django_db

FIRST, LAST = "Zephyrine", "Quillfeather"


@pytest.fixture
def captured():
    """Everything logged during the test, formatted as production formats it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def api_for(personas):
    def login(username):
        client = APIClient()
        client.force_authenticate(personas[username])
        return client

    return login


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def referral(**youth) -> dict:
    return {
        "received_at": "2026-11-20T10:00:00-06:00",
        "source": "school",
        "narrative": f"{FIRST} {LAST} said a man offered her a modelling job in Chicago.",
        "youth": {"legal_first_name": FIRST, "legal_last_name": LAST, "estimated_age": 15,
                  "county": "55087", **youth},
    }  # fmt: skip


def test_a_day_of_work_leaves_no_youth_name_in_the_log(api_for, client_for, personas, captured):
    hub = api_for("hub2.specialist")
    created = hub.post(reverse("referral-list"), referral(), format="json")
    refused = hub.post(reverse("referral-list"), referral(county="99999"), format="json")
    browser = client_for(personas["hub2.specialist"])
    found = browser.get(reverse("cases:list"), {"q": LAST})
    missing = browser.get(reverse("cases:detail", args=[uuid.uuid4()]))
    try:
        raise ValueError(f"could not save {FIRST} {LAST}")
    except ValueError:
        logging.getLogger("hubnet.test").exception("Saving failed")

    assert created.status_code == 201
    assert refused.status_code == 400
    assert found.status_code == 200
    assert LAST in found.text  # the page shows the name; the log must not
    assert missing.status_code == 404
    text = captured.getvalue()
    assert text, "nothing was logged: the test would prove nothing"
    assert FIRST not in text
    assert LAST not in text
    assert "modelling" not in text  # nor the narrative


def test_each_line_says_which_request_user_and_case(client_for, personas, captured):
    hub = personas["hub2.specialist"]
    case_id = uuid.uuid4()

    response = client_for(hub).get(
        reverse("cases:detail", args=[case_id]), HTTP_X_REQUEST_ID="proxy-7f3a"
    )

    assert response.status_code == 404
    assert response["X-Request-ID"] == "proxy-7f3a"
    logged = [line for line in lines(captured) if line["logger"] == "django.request"]
    assert logged, lines(captured)
    assert logged[-1]["request_id"] == "proxy-7f3a"
    assert logged[-1]["user_id"] == hub.pk
    assert logged[-1]["case_id"] == str(case_id)
    assert logged[-1]["level"] == "WARNING"


def test_a_request_id_that_is_not_a_plain_token_is_replaced(client):
    response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="<script>alert(1)</script>")

    assert response["X-Request-ID"] != "<script>alert(1)</script>"
    assert len(response["X-Request-ID"]) == 32


def test_an_exception_is_its_type_and_where_never_its_message(captured):
    try:
        {}["Zephyrine Quillfeather"]
    except KeyError:
        logging.getLogger("hubnet.test").exception("Lookup failed")

    [line] = [x for x in lines(captured) if x["logger"] == "hubnet.test"]
    assert line["message"] == "Lookup failed"
    assert line["exception"]["type"] == "builtins.KeyError"
    assert "test_logs.py" in line["exception"]["at"][-1]
    assert "Zephyrine" not in json.dumps(line)
