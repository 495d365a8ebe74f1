"""Fuzz the API from its own schema as every persona, and as nobody (`make fuzz`).

For each caller, schemathesis sends a bounded number of random requests, valid and not,
to every operation /api/schema/ lists, through the WSGI application (no server), each with
a fresh API token. It checks that HubNet never answers 5xx, that every documented answer
conforms to the schema, and that no answer carries the id of a case (or of its referral)
the caller may not see. Path ids and step keys are often real ones, from any region, so
the case door is probed, not only its 404.

A failure names the caller, the operation and a curl command that reproduces it. More
examples: HUBNET_FUZZ_EXAMPLES=50 make fuzz; another draw: HUBNET_FUZZ_SEED=<n>.
"""

import os
import re
import uuid
from io import StringIO

import hypothesis
import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from cases.models import Case
from cases.selectors import cases_visible_to
from hubnet.wsgi import application
from protocols.models import StepDefinition
from regions.demo import PERSONAS

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

DEMO_CASES = 30
# Examples per operation, per generation mode (valid and invalid input), per caller.
MAX_EXAMPLES = int(os.environ.get("HUBNET_FUZZ_EXAMPLES", "6"))
SEED = int(os.environ.get("HUBNET_FUZZ_SEED", "2017"))
CALLERS = [*(p.username for p in PERSONAS), "outsider", "anonymous"]
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
UUID_RE = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)


@pytest.fixture(scope="module")
def demo_ids(django_db_setup, django_db_blocker):
    """Demo cases in every region and status, seeded once; their ids and the step keys."""
    if "sqlite" not in django_settings.DATABASES["default"]["ENGINE"]:
        pytest.fail(
            "The fuzz run seeds demo cases whose timelines cannot be deleted: run it on "
            "a throw-away SQLite database (make fuzz)."
        )
    with django_db_blocker.unblock():
        if not Case.objects.exists():
            call_command("seed_demo", "--force", "--cases", DEMO_CASES, stdout=StringIO())
        rows = list(Case.objects.order_by("number").values_list("pk", "referral_id"))
        keys = sorted(set(StepDefinition.objects.values_list("key", flat=True)))
    return {"case": [c for c, _ in rows], "referral": [r for _, r in rows], "key": keys}


@pytest.fixture(scope="module", autouse=True)
def wsgi_host():
    """schemathesis calls the WSGI application as `localhost`."""
    with override_settings(ALLOWED_HOSTS=["localhost"]):
        yield


@pytest.fixture(scope="module")
def api_schema(demo_ids, django_db_blocker):
    """The schema HubNet serves at /api/schema/ (to a signed-in caller)."""
    config = schemathesis.Config.from_dict({"seed": SEED})
    with django_db_blocker.unblock():
        admin = get_user_model().objects.get(username="state.admin")
        token, key = AuthToken.objects.create(user=admin)
        schema = schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json",
            application,
            config=config,
            headers={"Authorization": f"Token {key}"},
        )
        token.delete()
    return schema


@pytest.mark.parametrize("caller", CALLERS)
def test_api(caller, api_schema, demo_ids):
    user = None if caller == "anonymous" else get_user_model().objects.get(username=caller)
    failures, unsatisfiable = [], []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, user, demo_ids)
            except (AssertionError, FailureGroup) as exc:  # every operation's, at once
                failures.append(f"{operation.label} ({mode} input):\n{exc}")
            except hypothesis.errors.Unsatisfiable:
                # An operation that takes no input (beyond the caller's token) has no
                # invalid input to send.
                if mode != GenerationMode.NEGATIVE:
                    raise
                unsatisfiable.append(operation.label)
    assert not failures, f"{caller}: {len(failures)} failing\n\n" + "\n\n".join(failures)
    print(f"{caller}: no invalid input possible for {', '.join(unsatisfiable) or 'none'}")


def test_the_scope_check_sees_an_id_out_of_scope(demo_ids):
    worker = get_user_model().objects.get(username="outagamie.worker")
    theirs = cases_visible_to(worker).first()
    other = Case.objects.exclude(pk__in=cases_visible_to(worker).values("pk")).first()
    text = f'{{"id": "{theirs.pk}", "note": "see {other.referral_id.hex}"}}'

    assert _out_of_scope(_uuids(text), worker, None) == {other.referral_id}
    assert _out_of_scope(_uuids(text), None, None) == {theirs.pk, other.referral_id}


def _fuzz(operation, mode, user, demo_ids):
    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode), pick=st.none() | st.integers(0, 10_000))
    def probe(case, pick):
        _real_ids(case, pick, demo_ids)
        headers, token = {}, None
        if user is not None:
            # The caller's own token, not one schemathesis made up (anonymous keeps those).
            for name in [n for n in case.headers or {} if n.lower() == "authorization"]:
                del case.headers[name]
            token, key = AuthToken.objects.create(user=user)
            headers["Authorization"] = f"Token {key}"
        # A change may take a case out of the caller's sight (a decline), or make one the
        # caller never sees (a referral handed over to another hub).
        before = None if case.method.upper() in SAFE_METHODS else _scope(user)

        response = case.call_and_validate(headers=headers, checks=CHECKS)

        if token is not None:  # knox looks at all of a user's tokens on every request
            AuthToken.objects.filter(pk=token.pk).delete()
        leaked = _out_of_scope(_uuids(response.text), user, before)
        assert not leaked, (
            f"ids of cases out of scope in the answer to {case.method} "
            f"{case.formatted_path}: {sorted(map(str, leaked))}"
        )

    probe()


def _real_ids(case, pick, demo_ids):
    """Often make a path's id a real case's or referral's (any region) and its step key
    a real one."""
    path_parameters = case.path_parameters or {}
    if pick is None:
        return
    if "key" in path_parameters:
        path_parameters["key"] = demo_ids["key"][pick % len(demo_ids["key"])]
    for kind in ("case", "referral"):
        if "id" in path_parameters and case.path.startswith(f"/api/v1/{kind}s/"):
            path_parameters["id"] = str(demo_ids[kind][pick % len(demo_ids[kind])])


def _uuids(text) -> set[uuid.UUID]:
    return {uuid.UUID(found) for found in UUID_RE.findall(text or "")}


def _visible(user) -> set[uuid.UUID]:
    if user is None:
        return set()
    return set(cases_visible_to(user).values_list("pk", flat=True))


def _scope(user) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """(cases the caller sees, every case) now."""
    return _visible(user), set(Case.objects.values_list("pk", flat=True))


def _out_of_scope(found, user, before) -> set[uuid.UUID]:
    """Ids among `found` of cases, or of their referrals, that the caller saw neither before
    the request nor after it. A case the request itself created is the caller's own, even
    if it went to another hub's queue. `before`: _scope() then; None: nothing changed."""
    if not found:
        return set()
    cases = Case.objects.filter(pk__in=found) | Case.objects.filter(referral_id__in=found)
    rows = list(cases.values_list("pk", "referral_id"))
    if not rows:
        return set()
    visible, existing = before or (set(), None)
    visible = visible | _visible(user)
    return {
        found_id
        for case_id, referral_id in rows
        if case_id not in visible and (existing is None or case_id in existing)
        for found_id in (case_id, referral_id)
        if found_id in found
    }
