"""Shared fixtures: Wisconsin reference data (loaded once per test database) and personas.

Personas follow shared/STYLE.md: a state admin, hub 2 and hub 5 specialists,
Outagamie, Brown, Menominee (tribal) and Dane agency workers, and an outsider
with no membership.
"""

import pytest
from django.contrib.auth import get_user_model

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
