"""Shared fixtures: Wisconsin reference data (loaded once per test database) and personas.

Personas follow shared/STYLE.md: a state admin, hub 2 and hub 5 specialists,
Outagamie, Brown, Menominee (tribal) and Dane agency workers, and an outsider
with no membership.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.reference_data import indicators_load
from regions.demo import PERSONAS, personas_ensure
from regions.reference_data import wisconsin_load

PERSONA_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        wisconsin_load()
        indicators_load()
        _personas_ensure()


def _personas_ensure():
    user_model = get_user_model()
    personas_ensure(password=PERSONA_PASSWORD)
    outsider, _ = user_model.objects.get_or_create(
        username="outsider", defaults={"email": "outsider@example.org"}
    )
    outsider.set_password(PERSONA_PASSWORD)
    outsider.save()


@pytest.fixture
def wisconsin(db):
    """Reference data present (again, after a transactional test flushed it)."""
    indicators_load()
    return wisconsin_load()


@pytest.fixture
def personas(wisconsin):
    """{username: user} for every demo persona plus `outsider` (no membership).

    Created once per test database; again after a transactional test emptied it.
    """
    names = [*_persona_names(), "outsider"]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    if len(users) != len(names):
        _personas_ensure()
        users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    return users


def _persona_names() -> list[str]:
    return [p.username for p in PERSONAS]


def authenticator_of(user) -> TOTPDevice:
    """The persona's authenticator app (one is set up the first time it is asked for)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The code the persona's app shows now. A code is accepted once (django-otp refuses a
    replay), so a test that signs in twice in one 30-second step forgets the last use."""
    from django_otp.oath import TOTP

    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def sign_in(client, username: str, password: str = PERSONA_PASSWORD, *, second_factor=True):
    """Sign in through the pages, as a person does: the password, then (unless told not
    to) a code from the authenticator app. Returns the last response."""
    response = client.post("/login/", {"username": username, "password": password})
    if not second_factor or response.status_code != 302:
        return response
    user = get_user_model().objects.get(username=username)
    return client.post("/account/two-factor/", {"code": totp_code(authenticator_of(user))})


class SignedInClient(Client):
    """`force_login` signs in the whole way: password and second factor, as a person
    would have at their desk. Tests of the second factor itself use `Client`."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = authenticator_of(user).persistent_id
        session.save()


@pytest.fixture
def client():
    return SignedInClient()


@pytest.fixture
def client_for(client):
    """client_for("hub2.specialist") -> a test client logged in as that persona."""

    def login(user):
        client.force_login(user)
        return client

    return login


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    celery = (
        "in-process (eager)" if settings.CELERY_TASK_ALWAYS_EAGER else settings.CELERY_BROKER_URL
    )
    return [f"hubnet: database {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}; celery {celery}"]


@pytest.fixture
def make_case(personas):
    """make_case(county="Outagamie", status="routed", ...) -> a Case built through the services,
    by the personas: the region's hub specialist logs, screens and routes, the agency
    worker accepts. Regions 2 and 5 have personas; use those counties."""
    from tests.cases.builders import CaseBuilder

    return CaseBuilder(personas)


@pytest.fixture
def routed_case(make_case):
    """A region 2 case routed to Outagamie County Human Services, not yet accepted."""
    return make_case(county="Outagamie", status="routed")


@pytest.fixture
def make_training(personas):
    """make_training(region=2, counties=["Brown"], attendance={"education": 12}, ...) ->
    a Training logged through training.services by the region's hub specialist (regions
    2 and 5 have one; pass `actor` for anyone else). Delivered when attendance is given,
    planned otherwise; the date defaults to 10 days ago (delivered) or 10 days ahead."""
    from regions.models import County, Region, Tribe
    from training.services import TrainingInput, training_create

    def make(
        *,
        region: int = 2,
        counties=("Outagamie",),
        tribes=(),
        attendance=None,
        date=None,
        actor=None,
        **fields,
    ):
        today = timezone.localdate()
        if date is None:
            date = today - datetime.timedelta(days=10 if attendance else -10)
        data = TrainingInput(
            title=fields.pop("title", "Recognising trafficking: what schools see"),
            date=date,
            duration_hours=Decimal(str(fields.pop("duration_hours", "2"))),
            format=fields.pop("format", "in_person"),
            topics=fields.pop("topics", ["awareness", "indicators"]),
            counties=list(County.objects.filter(name__in=counties)),
            tribes=list(Tribe.objects.filter(name__in=tribes)),
            attendance=dict(attendance or {}),
            **fields,
        )
        actor = actor or personas[f"hub{region}.specialist"]
        return training_create(actor=actor, region=Region.objects.get(number=region), data=data)

    return make


from tests.audit_guard import flush_may_empty_the_audit  # noqa: E402, F401
