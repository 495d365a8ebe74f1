"""The authorization matrix: every URL HubNet serves, who may reach it, and proof of it.

A URL that is not classified here fails `test_every_url_is_classified`, so a
new page or endpoint is unreachable (in CI) until someone decides who may use
it and this file checks it (shared/DESIGN.md, "Deny by default").
"""

from dataclasses import dataclass, field

import pytest
from django.urls import URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

EVERYONE = frozenset(
    {
        "state.admin",
        "hub2.specialist",
        "hub5.specialist",
        "outagamie.worker",
        "brown.worker",
        "menominee.worker",
        "dane.worker",
        "accounts.admin",
        "outsider",
    }
)

PUBLIC = "public"  # anyone, signed in or not
PAGE = "page"  # signed-in users; anonymous visitors are sent to the login page
API = "api"  # signed-in users or tokens; anonymous requests get 401/403
ADMIN = "admin"  # Django admin: staff only, then Django's model permissions
POST_ONLY = "post-only"  # an action, not a page
API_POST_ONLY = "api-post-only"  # an API action
SECOND_FACTOR = "second-factor"  # the step after the password (tests/hubnet/test_mfa.py)
REDIRECT = "redirect"  # a signed-in user is sent elsewhere


@dataclass(frozen=True)
class Rule:
    kind: str
    allowed: frozenset[str] = EVERYONE
    kwargs: dict = field(default_factory=dict)
    method: str = "post"  # how an action is sent (an API change may be a PATCH)


def act(client, rule: Rule, url: str):
    """Send the action `rule` describes, with an empty body."""
    if rule.method == "patch":
        return client.patch(url, {}, content_type="application/json")
    return client.post(url, {})


HUBS = frozenset({"hub2.specialist", "hub5.specialist"})
CASE_WORKERS = HUBS | {"outagamie.worker", "brown.worker", "menominee.worker", "dane.worker"}
# The sample case: region 2, routed to Outagamie County Human Services.
ON_CASE = frozenset({"hub2.specialist", "outagamie.worker"})
CASE = {"case_id": "sample-case"}
PEOPLE_MANAGERS = HUBS | {"accounts.admin"}
# The sample person: outagamie.worker, in region 2.
REGION2_PEOPLE = frozenset({"hub2.specialist", "accounts.admin"})
# De-identified dashboards: the state task force everywhere, case workers their own region.
STATE = frozenset({"state.admin"})
DASHBOARD_USERS = STATE | CASE_WORKERS
# Trainings are not confidential: everyone with a place in the network reads them all;
# the region's hub specialists change them (tests/training/).
NETWORK = STATE | CASE_WORKERS
TRAINING = {"training_id": "sample-training"}  # a region 2 training
REGION2_DASHBOARD = STATE | {
    "hub2.specialist",
    "outagamie.worker",
    "brown.worker",
    "menominee.worker",
}

MATRIX: dict[str, Rule] = {
    "home": Rule(PAGE),
    "login": Rule(PUBLIC),
    "logout": Rule(POST_ONLY),
    "healthz": Rule(PUBLIC),
    # One's own account (hubnet/account.py): everyone signed in, their own tokens only
    "account": Rule(PAGE),
    "password-change": Rule(PAGE),
    "account-token-revoke": Rule(POST_ONLY, kwargs={"token_key": "not-a-key"}),
    "account-token-create": Rule(POST_ONLY),
    "session-keepalive": Rule(POST_ONLY),
    "session-status": Rule(PAGE),
    "admin-password-change": Rule(REDIRECT),
    # Signing in: the password reset by email is for people who cannot sign in
    "password_reset": Rule(PUBLIC),
    "password_reset_done": Rule(PUBLIC),
    "password_reset_confirm": Rule(PUBLIC, kwargs={"uidb64": "MQ", "token": "not-a-token"}),
    "password_reset_complete": Rule(PUBLIC),
    # The second factor (hubnet/mfa.py): verifying it is the step after the password;
    # setting one up is reachable before it only by someone who has none yet
    "mfa-verify": Rule(SECOND_FACTOR),
    "mfa-setup": Rule(PAGE),
    "mfa-backup-codes": Rule(PAGE),
    "mfa-passkey-remove": Rule(POST_ONLY, kwargs={"passkey_id": 0}),
    "auth-token-list": Rule(API),
    "auth-token-detail": Rule(API_POST_ONLY, kwargs={"token_key": "not-a-key"}),
    "auth-token-current": Rule(API_POST_ONLY),
    "api-root": Rule(API),
    "api-schema": Rule(API),
    "api-docs": Rule(API),
    "region-list": Rule(API),
    "region-detail": Rule(API, kwargs={"number": 2}),
    "county-list": Rule(API),
    "county-detail": Rule(API, kwargs={"fips": "55087"}),
    "tribe-list": Rule(API),
    "tribe-detail": Rule(API, kwargs={"pk": "first-tribe"}),
    "agency-list": Rule(API),
    "agency-detail": Rule(API, kwargs={"pk": "first-agency"}),
    # Pages about cases (cases/urls.py)
    "cases:referral-new": Rule(PAGE, allowed=HUBS),
    "cases:youth-matches": Rule(PAGE, allowed=HUBS),
    "cases:hub-queue": Rule(PAGE, allowed=HUBS),
    "cases:list": Rule(PAGE, allowed=CASE_WORKERS),
    # The caseload view as a file: what the list shows, for the same people
    "cases:export-csv": Rule(PAGE, allowed=CASE_WORKERS),
    "cases:export-xlsx": Rule(PAGE, allowed=CASE_WORKERS),
    # Bulk accept/assign: each case through the door (tests/cases/test_caseload.py)
    "cases:bulk": Rule(POST_ONLY),
    "cases:detail": Rule(PAGE, allowed=ON_CASE, kwargs=CASE),
    "cases:route": Rule(PAGE, allowed=frozenset({"hub2.specialist"}), kwargs=CASE),
    "cases:access-log": Rule(PAGE, allowed=frozenset({"hub2.specialist"}), kwargs=CASE),
    # The same entries as a CSV file (tests/cases/test_access_log_page.py: agency staff who
    # do not supervise get 403, another region's hub 404)
    "cases:access-log-export": Rule(PAGE, allowed=frozenset({"hub2.specialist"}), kwargs=CASE),
    "cases:screen": Rule(POST_ONLY, kwargs=CASE),
    "cases:accept": Rule(POST_ONLY, kwargs=CASE),
    "cases:decline": Rule(POST_ONLY, kwargs=CASE),
    "cases:assign": Rule(POST_ONLY, kwargs=CASE),
    "cases:note": Rule(POST_ONLY, kwargs=CASE),
    "cases:close": Rule(POST_ONLY, kwargs=CASE),
    "cases:reopen": Rule(POST_ONLY, kwargs=CASE),
    "cases:consent": Rule(POST_ONLY, kwargs=CASE),
    "cases:youth-update": Rule(POST_ONLY, kwargs=CASE),
    "cases:step-complete": Rule(POST_ONLY, kwargs={**CASE, "step_key": "intake"}),
    "cases:step-correct": Rule(POST_ONLY, kwargs={**CASE, "step_key": "intake"}),
    "cases:step-skip": Rule(POST_ONLY, kwargs={**CASE, "step_key": "follow_up"}),
    # Everyone sees their own notifications only (tests/cases/test_protocol_pages.py)
    "cases:notifications": Rule(PAGE),
    "cases:notifications-read": Rule(POST_ONLY),
    # Opening one's own notification redirects to its case at the step (only while the case
    # is visible: tests/cases/test_notifications.py); a notification that is not one's own,
    # like this sample that is nobody's, is not found for everyone
    "cases:notification-open": Rule(PAGE, allowed=frozenset(), kwargs={"notification_id": 0}),
    # API about cases: lists are scoped (everyone gets 200, with only what they may see)
    "referral-list": Rule(API),
    "referral-detail": Rule(API, allowed=ON_CASE, kwargs={"pk": "sample-referral"}),
    "case-list": Rule(API),
    "case-detail": Rule(API, allowed=ON_CASE, kwargs={"pk": "sample-case"}),
    "case-notes": Rule(API, allowed=ON_CASE, kwargs={"pk": "sample-case"}),
    "case-screen": Rule(API_POST_ONLY, kwargs={"pk": "sample-case"}),
    "case-route": Rule(API_POST_ONLY, kwargs={"pk": "sample-case"}),
    "case-accept": Rule(API_POST_ONLY, kwargs={"pk": "sample-case"}),
    "case-decline": Rule(API_POST_ONLY, kwargs={"pk": "sample-case"}),
    "case-close": Rule(API_POST_ONLY, kwargs={"pk": "sample-case"}),
    "case-steps": Rule(API, allowed=ON_CASE, kwargs={"pk": "sample-case"}),
    "case-step-complete": Rule(API_POST_ONLY, kwargs={"pk": "sample-case", "key": "intake"}),
    "case-step-skip": Rule(API_POST_ONLY, kwargs={"pk": "sample-case", "key": "follow_up"}),
    "case-step-correct": Rule(API_POST_ONLY, kwargs={"pk": "sample-case", "key": "intake"}),
    # People and access (regions/urls.py): account administrators see every account, hub
    # specialists their region's people (tests/regions/test_people.py)
    "people:list": Rule(PAGE, allowed=PEOPLE_MANAGERS),
    "people:changes": Rule(PAGE, allowed=PEOPLE_MANAGERS),
    "people:invite": Rule(PAGE, allowed=PEOPLE_MANAGERS),
    "people:detail": Rule(PAGE, allowed=REGION2_PEOPLE, kwargs={"user_id": "sample-user"}),
    "people:grant": Rule(POST_ONLY, kwargs={"user_id": "sample-user"}),
    "people:deactivate": Rule(POST_ONLY, kwargs={"user_id": "sample-user"}),
    "people:end": Rule(POST_ONLY, kwargs={"membership_id": "sample-membership"}),
    # Account administrators only (a hub specialist's attempt is refused by the service)
    "people:mfa-reset": Rule(POST_ONLY, kwargs={"user_id": "sample-user"}),
    "people:unlock": Rule(POST_ONLY, kwargs={"user_id": "sample-user"}),
    # A one-time link for an invited person who has no password yet
    "people:invite-accept": Rule(PUBLIC, kwargs={"uidb64": "MQ", "token": "not-a-token"}),
    # Dashboards and figures (regions/dashboard_urls.py, tests/regions/test_dashboards.py)
    "dashboards:overview": Rule(PAGE, allowed=STATE),
    "dashboards:region": Rule(PAGE, allowed=REGION2_DASHBOARD, kwargs={"number": 2}),
    "dashboards:export": Rule(PAGE, allowed=STATE),
    "dashboards:report": Rule(PAGE, allowed=STATE),
    "dashboards:recompute": Rule(POST_ONLY),
    "dashboards:runs": Rule(PAGE, allowed=DASHBOARD_USERS),
    "dashboards:run": Rule(PAGE, allowed=DASHBOARD_USERS, kwargs={"run_id": "sample-run"}),
    "figure-list": Rule(API, allowed=DASHBOARD_USERS),
    "metric-list": Rule(API, allowed=DASHBOARD_USERS),
    "rollup-run-list": Rule(API, allowed=DASHBOARD_USERS),
    "rollup-run-detail": Rule(API, allowed=DASHBOARD_USERS, kwargs={"pk": "sample-run"}),
    # Trainings (training/urls.py): read by the network, changed by the region's hubs
    "training:list": Rule(PAGE, allowed=NETWORK),
    "training:export-csv": Rule(PAGE, allowed=NETWORK),
    "training:export-xlsx": Rule(PAGE, allowed=NETWORK),
    "training:coverage": Rule(PAGE, allowed=NETWORK, kwargs={"number": 2}),
    "training:detail": Rule(PAGE, allowed=NETWORK, kwargs=TRAINING),
    "training:new": Rule(PAGE, allowed=HUBS),
    "training:import": Rule(PAGE, allowed=HUBS),
    "training:import-template": Rule(PAGE, allowed=HUBS),
    "training:edit": Rule(PAGE, allowed=frozenset({"hub2.specialist"}), kwargs=TRAINING),
    "training:cancel": Rule(PAGE, allowed=frozenset({"hub2.specialist"}), kwargs=TRAINING),
    "training-list": Rule(API, allowed=NETWORK),
    "training-detail": Rule(API, allowed=NETWORK, kwargs={"pk": "sample-training"}),
    # The resource directory (regions/directory_urls.py): no youth data, read by everyone
    # signed in, kept by the region's hubs (tests/regions/test_directory_pages.py)
    "directory:list": Rule(PAGE),
    "directory:export-csv": Rule(PAGE),
    "directory:export-xlsx": Rule(PAGE),
    "directory:detail": Rule(PAGE, kwargs={"provider_id": "sample-provider"}),
    "directory:new": Rule(PAGE, allowed=HUBS),
    "directory:import": Rule(PAGE, allowed=HUBS),
    "directory:import-template": Rule(PAGE, allowed=HUBS),
    "directory:edit": Rule(
        PAGE, allowed=frozenset({"hub2.specialist"}), kwargs={"provider_id": "sample-provider"}
    ),
    "provider-list": Rule(API),
    "provider-detail": Rule(API, kwargs={"pk": "sample-provider"}),
    # Service needs on a case: through the door (tests/cases/test_needs_pages.py, _api.py)
    "cases:need-add": Rule(POST_ONLY, kwargs=CASE),
    "cases:need-update": Rule(POST_ONLY, kwargs={**CASE, "need_id": 0}),
    "case-needs": Rule(API, allowed=ON_CASE, kwargs={"pk": "sample-case"}),
    "case-need-update": Rule(
        API_POST_ONLY, kwargs={"pk": "sample-case", "need_id": 0}, method="patch"
    ),
    # The resource-gap view (cases/views/gaps.py, tests/cases/test_gaps.py): counts only;
    # live for the region's hub specialists, published (suppressed) figures for the state
    "cases:gaps-state": Rule(PAGE, allowed=STATE),
    "cases:gaps-region": Rule(PAGE, allowed=STATE | {"hub2.specialist"}, kwargs={"number": 2}),
    "cases:gaps-export": Rule(PAGE, allowed=STATE),
    # Protocol definitions are not case data: any signed-in user reads them
    "protocol-list": Rule(API),
    "protocol-detail": Rule(API, kwargs={"pk": "first-protocol"}),
}
# The whole admin site is one class: Django checks is_staff, then model permissions.
NAMESPACES = {
    "admin": Rule(ADMIN, allowed=frozenset({"state.admin", "accounts.admin"})),
    # Passkey ceremonies (django-otp-webauthn), JSON posted by its script; they check the
    # session themselves (tests/hubnet/test_mfa.py)
    "otp_webauthn": Rule(SECOND_FACTOR),
}


def url_patterns(patterns=None, namespace=None):
    """(namespace, name, pattern) for every URL pattern the project serves."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace) if n) or None
            yield from url_patterns(pattern.url_patterns, inner)
        else:
            yield namespace, pattern.name, str(pattern.pattern)


def full_name(namespace: str | None, name: str | None) -> str | None:
    return f"{namespace}:{name}" if namespace and name else name


def rule_for(namespace: str | None, name: str | None) -> Rule | None:
    if namespace and namespace.split(":")[0] in NAMESPACES:
        return NAMESPACES[namespace.split(":")[0]]
    return MATRIX.get(full_name(namespace, name))


def test_every_url_is_classified():
    unclassified = [
        f"{pattern} (namespace={namespace!r}, name={name!r})"
        for namespace, name, pattern in url_patterns()
        if not rule_for(namespace, name)
    ]
    assert not unclassified, "Classify these URLs in the authorization matrix:\n" + "\n".join(
        unclassified
    )


def test_the_matrix_names_no_url_that_is_gone():
    names = {full_name(namespace, name) for namespace, name, _ in url_patterns()}
    assert set(MATRIX) <= names


def resolve_url(name: str, rule: Rule, case=None) -> str:
    from django.contrib.auth import get_user_model

    from protocols.models import ProtocolVersion
    from regions.models import Agency, Membership, RollupRun, Tribe

    worker = get_user_model().objects.get(username="outagamie.worker")
    samples = {
        "sample-user": worker.pk,
        "sample-membership": Membership.objects.filter(user=worker).first().pk,
        "first-tribe": Tribe.objects.order_by("pk").first().pk,
        "first-agency": Agency.objects.order_by("pk").first().pk,
        "first-protocol": ProtocolVersion.objects.order_by("pk").first().pk,
        "sample-run": RollupRun.objects.get_or_create(quarter="2026Q3", trigger="command")[0].pk,
        "sample-case": case.pk if case else "00000000-0000-0000-0000-000000000000",
        "sample-training": sample_training().pk,
        "sample-provider": sample_provider().pk,
        "sample-referral": case.referral_id if case else "00000000-0000-0000-0000-000000000000",
    }
    kwargs = {key: samples.get(value, value) for key, value in rule.kwargs.items()}
    return reverse(name, kwargs=kwargs)


def sample_training():
    """A planned region 2 training, logged by hub2.specialist."""
    import datetime
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from regions.models import County, Region
    from training.models import Training
    from training.services import TrainingInput, training_create

    existing = Training.objects.filter(region__number=2).first()
    if existing:
        return existing
    data = TrainingInput(
        title="Sample training",
        date=timezone.localdate() + datetime.timedelta(days=30),
        duration_hours=Decimal("2"),
        format="virtual",
        topics=["awareness"],
        counties=[County.objects.get(name="Brown")],
    )
    return training_create(
        actor=get_user_model().objects.get(username="hub2.specialist"),
        region=Region.objects.get(number=2),
        data=data,
    )


def sample_provider():
    """A region 2 directory entry, added by hub2.specialist."""
    from django.contrib.auth import get_user_model

    from regions.models import County, Provider, Region, ServiceType
    from regions.services import ProviderInput, provider_create

    existing = Provider.objects.filter(region__number=2).first()
    if existing:
        return existing
    return provider_create(
        actor=get_user_model().objects.get(username="hub2.specialist"),
        region=Region.objects.get(number=2),
        data=ProviderInput(
            name="Sample provider",
            kind="shelter",
            service_types=[ServiceType.objects.get(key="shelter")],
            counties=[County.objects.get(name="Brown")],
        ),
    )


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_visitors(client, routed_case, name):
    rule = MATRIX[name]
    response = client.get(resolve_url(name, rule, routed_case))

    if rule.kind == PUBLIC:
        assert response.status_code == 200
    elif rule.kind == PAGE:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif rule.kind in (API, API_POST_ONLY):
        assert response.status_code in (401, 403)
    elif rule.kind in (POST_ONLY, SECOND_FACTOR, REDIRECT):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


GUARDED = (PAGE, API, POST_ONLY, API_POST_ONLY)


@pytest.mark.parametrize(
    "name",
    sorted(n for n, r in MATRIX.items() if r.kind in GUARDED and n not in ("mfa-setup", "logout")),
)
@pytest.mark.parametrize("enrolled", [True, False], ids=["enrolled", "not-enrolled"])
def test_a_password_alone_reaches_nothing(personas, routed_case, name, enrolled):
    """Signed in with the password but no second factor: every page leads to verifying
    (or setting up) the second factor, and the API refuses the session."""
    from django.test import Client

    from tests.conftest import authenticator_of

    person = personas["hub2.specialist"]
    if enrolled:
        authenticator_of(person)
    client = Client()
    client.force_login(person)
    rule = MATRIX[name]
    url = resolve_url(name, rule, routed_case)

    response = client.get(url) if rule.kind in (PAGE, API) else act(client, rule, url)

    if rule.kind in (PAGE, POST_ONLY):
        assert response.status_code == 302
        step = "mfa-verify" if enrolled else "mfa-setup"
        assert response["Location"].startswith(reverse(step))
    else:
        assert response.status_code in (401, 403)
        if response["Content-Type"] == "application/json":  # the Swagger page is HTML
            assert "second factor" in response.json()["detail"]


def test_a_password_alone_does_not_open_the_admin(personas):
    from django.test import Client

    client = Client()
    client.force_login(personas["state.admin"])

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa-setup"))


@pytest.mark.parametrize("username", sorted(EVERYONE))
def test_the_admin_password_change_is_hubnets(client, personas, username):
    client.force_login(personas[username])
    response = client.get(reverse("admin-password-change"))
    assert response.status_code == 302
    assert response["Location"] == reverse("password-change")


@pytest.mark.parametrize("name", sorted(n for n, r in MATRIX.items() if r.kind in (PAGE, API)))
@pytest.mark.parametrize("username", sorted(EVERYONE))
def test_signed_in_personas(client, personas, routed_case, name, username):
    rule = MATRIX[name]
    client.force_login(personas[username])

    response = client.get(resolve_url(name, rule, routed_case))

    if username in rule.allowed:
        assert response.status_code == 200
    else:
        assert response.status_code in (403, 404)


@pytest.mark.parametrize("username", sorted(EVERYONE))
def test_admin_site(client, personas, username):
    client.force_login(personas[username])

    response = client.get(reverse("admin:index"))

    if username in NAMESPACES["admin"].allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_admin_site_turns_anonymous_visitors_away(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def on_sample_case(rule: Rule) -> bool:
    return "sample-case" in rule.kwargs.values()


@pytest.mark.parametrize(
    "name",
    sorted(
        n for n, r in MATRIX.items() if r.kind in (POST_ONLY, API_POST_ONLY) and on_sample_case(r)
    ),
)
@pytest.mark.parametrize("username", sorted(CASE_WORKERS - ON_CASE))
def test_actions_on_a_case_one_cannot_see_are_not_found(
    client, personas, routed_case, name, username
):
    """Posting to another agency's or region's case reveals nothing: 404, and it is logged."""
    from cases.models import CaseAccess

    client.force_login(personas[username])

    response = act(client, MATRIX[name], resolve_url(name, MATRIX[name], routed_case))

    assert response.status_code == 404
    assert CaseAccess.objects.filter(
        case=routed_case, user=personas[username], granted=False
    ).exists()


@pytest.mark.parametrize(
    "name", sorted(n for n, r in MATRIX.items() if r.kind == POST_ONLY and on_sample_case(r))
)
@pytest.mark.parametrize("username", sorted(EVERYONE - CASE_WORKERS))
def test_actions_by_users_without_case_roles_are_refused(
    client, personas, routed_case, name, username
):
    client.force_login(personas[username])

    response = client.post(resolve_url(name, MATRIX[name], routed_case), {})

    assert response.status_code == 403


@pytest.mark.parametrize(
    "name", sorted(n for n, r in MATRIX.items() if r.kind == POST_ONLY and n.startswith("people:"))
)
@pytest.mark.parametrize("username", sorted(EVERYONE - PEOPLE_MANAGERS))
def test_access_changes_by_people_without_that_right_are_refused(client, personas, name, username):
    from regions.models import Membership

    client.force_login(personas[username])
    before = list(Membership.objects.values_list("pk", "revoked_at"))

    response = client.post(
        resolve_url(name, MATRIX[name]), {"reason": "probe", "access": "state_admin"}
    )

    assert response.status_code == 403
    assert list(Membership.objects.values_list("pk", "revoked_at")) == before
