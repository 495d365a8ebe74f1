"""seed_synthetic: a database grown to N coherent synthetic cases, set-based on
PostgreSQL (row batches through seed_bulk on SQLite)."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max, Q
from django.test.utils import override_settings
from django.utils import timezone

from cases import services
from cases.models import Case, CaseAccess, CaseEvent, CaseStep, Consent, Status, Youth
from cases.selectors import cases_visible_to
from regions.models import Agency, County

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="set-based on PostgreSQL only"
)


@pytest.fixture
def templates(make_case):
    return [
        make_case(county="Outagamie", status=Status.ACCEPTED),
        make_case(county="Brown", status=Status.CLOSED),
        make_case(county="Dane", status=Status.SCREENED),
        make_case(county="Menominee", status=Status.ROUTED),
    ]


def grow(total: int, **options) -> str:
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_synthetic", cases=total, stdout=out, **options)
    return out.getvalue()


@on_postgres
def test_grows_the_database_to_n_whole_cases(templates):
    steps = {c.pk: c.steps.count() for c in templates}
    events = {c.pk: c.events.count() for c in templates}

    said = grow(404, chunk=150)

    assert Case.objects.count() == 404
    assert Youth.objects.count() == 404  # a youth of its own for every copy
    assert "404 cases (400 added" in said  # progress after each chunk
    copies = Case.objects.exclude(pk__in=steps).annotate(
        n_steps=Count("steps", distinct=True), n_events=Count("events", distinct=True)
    )
    assert {c.n_steps for c in copies} <= set(steps.values())
    assert {c.n_events for c in copies} <= set(events.values())
    assert not copies.exclude(referral__youth=F("youth")).exists()


@on_postgres
def test_copies_lie_in_the_last_two_years_and_are_numbered_in_their_regions(templates):
    now = timezone.now()
    grow(300)

    copies = Case.objects.exclude(pk__in=[c.pk for c in templates]).select_related(
        "referral", "region", "county"
    )
    opened = [c.opened_at for c in copies]
    assert min(opened) >= now - datetime.timedelta(days=731)
    assert max(opened) <= now
    assert len({o.date() for o in opened}) > 50
    assert CaseEvent.objects.aggregate(last=Max("at"))["last"] <= now
    numbers = [c.number for c in copies]
    assert len(set(numbers)) == len(numbers)
    for copy in copies:
        assert copy.number.startswith(f"R{copy.region.number}-")
        assert copy.referral.received_at <= copy.opened_at
        # A county's cases are its region's, and its agency's (a tribal agency keeps its
        # own).
        if copy.agency_id and copy.agency.tribe_id is None:
            assert copy.agency.county_id == copy.county_id
        if copy.agency is None or copy.agency.tribe_id is None:
            assert copy.region_id == copy.county.region_id
    # Spread over the state, not only the templates' counties.
    assert copies.values("county").distinct().count() > 30


@on_postgres
def test_a_referral_after_the_copies_gets_a_new_number(templates, personas):
    grow(200)
    case = services.referral_create(
        logged_by=personas["hub2.specialist"],
        region=templates[0].region,
        youth_data={
            "legal_first_name": "New",
            "legal_last_name": "Person",
            "estimated_age": 15,
            "county": templates[0].county,
        },
        referral_data={
            "received_at": timezone.now(),
            "source": "school",
            "narrative": "A new referral after the synthetic cases.",
        },
    )
    assert Case.objects.filter(number=case.number).count() == 1


@on_postgres
def test_each_case_was_looked_at_by_someone_who_may_see_it(templates, personas):
    grow(120, accesses=10)

    accesses = CaseAccess.objects.select_related("user")
    assert 120 * 3 < accesses.count() < 120 * 20
    assert set(accesses.values_list("channel", flat=True)) >= {"page", "list"}
    for user_id in set(accesses.values_list("user_id", flat=True)):
        user = accesses.filter(user_id=user_id).first().user
        looked = accesses.filter(user=user).values("case_id")
        assert not looked.exclude(case_id__in=cases_visible_to(user).values("pk")).exists()
    assert not CaseAccess.objects.filter(at__gt=timezone.now()).exists()
    # Consents go to the case's own agency.
    consents = Consent.objects.select_related("case")
    assert not consents.exclude(recipient_id=F("case__agency_id")).exists()


@on_postgres
def test_a_second_run_only_tops_up(templates):
    grow(150)
    said = grow(150)
    assert "nothing to add" in said
    grow(180)
    assert Case.objects.count() == 180
    assert not CaseStep.objects.filter(~Q(case__in=Case.objects.all())).exists()


def test_on_sqlite_it_copies_in_row_batches(templates):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite path")
    said = grow(20)
    assert "row batches" in said
    assert Case.objects.count() == 20


def test_refuses_without_debug(templates):
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_synthetic", cases=50)
    assert Case.objects.count() == 4


def test_needs_cases_to_copy(wisconsin):
    with override_settings(DEBUG=True), pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_synthetic", cases=5)


def test_county_agencies_exist_for_every_county(wisconsin):
    # The copies take the county's agency: every county has one to take.
    with_agency = set(
        Agency.objects.filter(county__isnull=False).values_list("county_id", flat=True)
    )
    assert set(County.objects.values_list("pk", flat=True)) <= with_agency


def index_names() -> set[str]:
    from cases.management.commands.seed_synthetic import LOADED

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s)",
            [[model._meta.db_table for model in LOADED]],
        )
        return {name for (name,) in cursor.fetchall()}


@on_postgres
def test_the_indexes_dropped_for_the_load_are_all_back_after_it(templates):
    before = index_names()
    assert "casestep_case_next_due" in before

    grow(60)

    assert index_names() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('seed_synthetic_dropped_index')")
        assert cursor.fetchone()[0] is None


@on_postgres
def test_a_run_stopped_half_way_builds_the_indexes_at_the_next_start(templates):
    from cases.management.commands.seed_synthetic import LOADED, drop_secondary_indexes

    before = index_names()
    drop_secondary_indexes(LOADED)  # then the load was stopped
    assert "casestep_case_next_due" not in index_names()

    grow(len(templates))  # nothing to add: the indexes come back all the same

    assert index_names() == before


@on_postgres
def test_surnames_are_spread_thin_as_in_life(templates):
    grow(400)

    copies = Youth.objects.exclude(cases__in=templates)
    surnames = set(copies.values_list("legal_last_name", flat=True))
    # 396 copies drawn from about 1,700 surnames: hardly any twice. (A search for a
    # surname finds a few youth, not a sixth of them.)
    assert len(surnames) > 300
