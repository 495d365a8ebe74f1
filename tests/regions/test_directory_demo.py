"""The demo resource directory seed_demo adds: about 60 providers over the seven regions,
kept by each region's hub specialist, with exactly the coverage gaps its docstring
documents (the gap view is to show them), and added once."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction

from cases.needs_demo import NEED_WEIGHTS
from regions.demo import PERSONAS, personas_ensure
from regions.directory_demo import (
    HMONG_ONLY_IN,
    NO_INTERPRETATION_IN,
    NO_SHELTER,
    NO_SUBSTANCE_USE,
    OFTEN_FULL,
    demo_directory_create,
)
from regions.models import County, Membership, Provider, Tribe
from regions.reference_data import wisconsin_load
from training.demo import HubActors

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def directory(django_db_setup, django_db_blocker):
    """The demo directory, built once for the module (as seed_demo does) and rolled back."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            wisconsin_load()
            names = [p.username for p in PERSONAS]
            if get_user_model().objects.filter(username__in=names).count() != len(names):
                personas_ensure(password="directory-demo-test-password")
            assert not Provider.objects.exists(), "the demo directory needs an empty directory"
            actors = HubActors()
            created = demo_directory_create(hub_actor=actors.of, seed=2017)
            actors.release()
            yield created
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def active_offering(key: str):
    return Provider.objects.filter(active=True, service_types__key=key)


def test_about_60_providers_in_every_region_some_of_them_hubnet_agencies(directory):
    providers = Provider.objects.select_related("region", "agency")

    assert directory == providers.count()
    assert 55 <= directory <= 70
    per_region = {}
    for provider in providers:
        per_region[provider.region.number] = per_region.get(provider.region.number, 0) + 1
    assert sorted(per_region) == list(range(1, 8))
    assert min(per_region.values()) >= 5
    agencies = [p for p in providers if p.agency_id]
    assert len(agencies) >= 8
    assert all(p.name == p.agency.name and p.kind == p.agency.kind for p in agencies)
    assert len({p.kind for p in providers}) >= 8
    # how to reach them: made-up numbers and addresses only
    phones = [p.phone for p in providers]
    assert all(re.fullmatch(r"\(\d{3}\) 555-01\d\d", phone) for phone in phones)
    assert len(set(phones)) == len(phones)
    assert all(p.email.endswith(".example.org") for p in providers)
    assert all(p.how_to_refer and p.hours and p.address for p in providers)
    # the flags and ages are used, not left at their defaults
    assert providers.filter(trafficking_specialised=True).count() >= 7
    assert providers.filter(culturally_specific=True).count() >= 7
    assert providers.filter(min_age__isnull=False).count() >= 20
    assert providers.filter(active=False).count() == 1


def test_kept_by_the_hub_specialists_only(directory, personas):
    """Written through regions.services: an agency worker cannot add a demo directory."""
    with transaction.atomic():
        Provider.objects.all().delete()
        with pytest.raises(PermissionDenied):
            demo_directory_create(hub_actor=lambda region: personas["outagamie.worker"])
        assert not Provider.objects.exists()
        transaction.set_rollback(True)
    # and the demo loader that kept the personless regions' directories keeps no access
    loader = get_user_model().objects.get(username="demo.loader")
    assert not loader.is_active
    assert not Membership.objects.active().filter(user=loader).exists()


def test_no_active_youth_substance_use_treatment_in_the_northern_counties(directory):
    offering = active_offering("substance_use")

    for name in NO_SUBSTANCE_USE:
        assert not offering.filter(counties__name=name).exists(), name
    # Florence, Forest and Vilas had a programme: it closed and is kept inactive
    closed = Provider.objects.get(active=False)
    assert {"Florence", "Forest", "Vilas"} <= set(closed.counties.values_list("name", flat=True))
    # further south in those regions there is one
    for name in ("Barron", "Brown", "Marathon"):
        assert offering.filter(counties__name=name).exists(), name


def test_no_shelter_in_a_few_counties_and_some_shelters_often_full(directory):
    offering = active_offering("shelter")

    for name in NO_SHELTER:
        assert not offering.filter(counties__name=name).exists(), name
    for name in OFTEN_FULL:
        assert "waitlist" in Provider.objects.get(name=name).capacity_notes.lower()
    # the Fox Valley and Milwaukee have no other shelter than the full one
    for county in ("Outagamie", "Milwaukee"):
        names = set(offering.filter(counties__name=county).values_list("name", flat=True))
        assert names <= set(OFTEN_FULL), county


def languages_of_interpretation_in(county: County) -> set[str]:
    languages = set()
    for provider in active_offering("interpretation").filter(counties=county):
        languages |= {part.strip() for part in provider.languages.split(";")}
    return languages


def test_no_hmong_or_spanish_interpretation_where_documented(directory):
    for number, missing in NO_INTERPRETATION_IN.items():
        for county in County.objects.filter(region__number=number):
            assert languages_of_interpretation_in(county), county  # some interpretation
            assert not set(missing) & languages_of_interpretation_in(county), county
    for number, counties in HMONG_ONLY_IN.items():
        for county in County.objects.filter(region__number=number):
            assert ("Hmong" in languages_of_interpretation_in(county)) == (
                county.name in counties
            ), county
    # elsewhere, e.g. Brown, Dane and Milwaukee, both
    for name in ("Brown", "Dane", "Milwaukee", "La Crosse"):
        county = County.objects.get(name=name)
        assert {"Hmong", "Spanish"} <= languages_of_interpretation_in(county), name


def test_employment_programmes_take_youth_from_16(directory):
    programmes = active_offering("employment")

    assert programmes.exists()
    assert set(programmes.values_list("min_age", flat=True)) == {16}


def test_everywhere_else_every_county_has_each_service_a_need_is_drawn_for(directory):
    """The gaps are exactly the documented ones: any other county without a provider of a
    service would be a gap nobody meant (and a need there 'unavailable' unexplained)."""
    documented = {("substance_use", name) for name in NO_SUBSTANCE_USE} | {
        ("shelter", name) for name in NO_SHELTER
    }
    served = set(
        Provider.objects.filter(active=True).values_list("service_types__key", "counties__name")
    )
    counties = list(County.objects.values_list("name", flat=True))
    missing = {
        (key, name)
        for key in [*NEED_WEIGHTS, "interpretation"]
        for name in counties
        if (key, name) not in served
    }
    assert missing == documented
    # a youth of a tribe finds a culturally specific service in each county of its lands
    for tribe in Tribe.objects.prefetch_related("counties"):
        for county in tribe.counties.all():
            assert ("culturally_specific", county.name) in served, (tribe, county)


def test_added_once(directory):
    assert demo_directory_create(hub_actor=lambda region: None, seed=2017) == 0
    assert Provider.objects.count() == directory
