"""The regional resource directory: kept by the region's hub specialists through
regions.services, read by everyone signed in; an import is all or nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from regions.models import Agency, County, Provider, Region, ServiceType
from regions.selectors import (
    directory_regions_managed_by,
    get_provider_for_user,
    providers_visible_to,
)
from regions.services import (
    ProviderImportRefused,
    ProviderInput,
    provider_create,
    provider_update,
    providers_import,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def region(number: int) -> Region:
    return Region.objects.get(number=number)


def entry(**changes) -> ProviderInput:
    data = ProviderInput(
        name="Northwoods Youth Shelter",
        kind="shelter",
        service_types=[ServiceType.objects.get(key="shelter")],
        counties=list(County.objects.filter(name__in=["Outagamie", "Brown"])),
        min_age=12,
        max_age=17,
        languages="english, Hmong; English",
        email=" Intake@Example.org ",
    )
    for field, value in changes.items():
        setattr(data, field, value)
    return data


def test_a_hub_specialist_adds_to_the_regions_directory(personas):
    provider = provider_create(actor=personas["hub2.specialist"], region=region(2), data=entry())

    assert provider.region == region(2)
    assert provider.languages == "English; Hmong"
    assert provider.email == "intake@example.org"
    assert sorted(provider.counties.values_list("name", flat=True)) == ["Brown", "Outagamie"]
    assert provider.serves_age(15)
    assert not provider.serves_age(18)


@pytest.mark.parametrize("username", ["hub5.specialist", "outagamie.worker", "state.admin"])
def test_nobody_else_keeps_region_2s_directory(personas, username):
    with pytest.raises(PermissionDenied):
        provider_create(actor=personas[username], region=region(2), data=entry())
    assert not Provider.objects.exists()


def test_a_superuser_without_a_hub_membership_keeps_no_directory():
    root = UserFactory(is_superuser=True, is_staff=True)

    assert directory_regions_managed_by(root) == []
    with pytest.raises(PermissionDenied):
        provider_create(actor=root, region=region(2), data=entry())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"kind": "spa"}, "kind"),
        ({"service_types": []}, "service_types"),
        ({"counties": []}, "counties"),
        ({"min_age": 31}, "min_age"),
        ({"min_age": 17, "max_age": 12}, "max_age"),
        ({"email": "not an email"}, "email"),
        ({"phone": "5" * 41}, "phone"),
    ],
)
def test_each_rule_names_its_field(personas, changes, field):
    with pytest.raises(ValidationError) as refused:
        provider_create(actor=personas["hub2.specialist"], region=region(2), data=entry(**changes))
    assert field in refused.value.message_dict
    assert not Provider.objects.exists()


def test_a_name_is_listed_once_per_region(personas):
    provider_create(actor=personas["hub2.specialist"], region=region(2), data=entry())

    with pytest.raises(ValidationError) as refused:
        provider_create(
            actor=personas["hub2.specialist"],
            region=region(2),
            data=entry(name="northwoods youth shelter"),
        )
    assert "name" in refused.value.message_dict
    # Another region may list a provider of the same name.
    provider_create(actor=personas["hub5.specialist"], region=region(5), data=entry())


@pytest.fixture
def name_taken_meanwhile(monkeypatch):
    """Someone else adds "NORTHWOODS YOUTH SHELTER" to region 2 just after the name
    "Northwoods Youth Shelter" was checked for the `at`-th time and before it is saved
    (the window two hub specialists can hit at once)."""
    from regions import services

    checked = services.provider_check

    def race_at(at: int) -> None:
        seen = []

        def check_then_race(data, *, region, provider_id=None):
            checked(data, region=region, provider_id=provider_id)
            if data.name == "Northwoods Youth Shelter":
                seen.append(data.name)
                if len(seen) == at:
                    Provider.objects.create(
                        region=region, name="NORTHWOODS YOUTH SHELTER", kind="shelter"
                    )

        monkeypatch.setattr(services, "provider_check", check_then_race)

    return race_at


def test_a_name_taken_between_check_and_save_is_a_field_error(personas, name_taken_meanwhile):
    name_taken_meanwhile(at=1)

    with pytest.raises(ValidationError) as refused:
        provider_create(actor=personas["hub2.specialist"], region=region(2), data=entry())

    assert refused.value.message_dict == {
        "name": ["Region 2 (Northeast)'s directory already lists a provider of this name."]
    }
    assert list(Provider.objects.values_list("name", flat=True)) == ["NORTHWOODS YOUTH SHELTER"]


def test_an_import_meeting_a_name_taken_meanwhile_imports_nothing(personas, name_taken_meanwhile):
    name_taken_meanwhile(at=2)  # once the file was checked, while it is being saved
    rows = [(2, entry(name="First")), (3, entry())]

    with pytest.raises(ProviderImportRefused) as refused:
        providers_import(actor=personas["hub2.specialist"], region=region(2), rows=rows)

    assert refused.value.row_errors == [
        (3, "name", "Region 2 (Northeast)'s directory already lists a provider of this name.")
    ]
    assert not Provider.objects.filter(name="First").exists()


def test_an_entry_is_changed_by_its_regions_hub_only(personas):
    provider = provider_create(actor=personas["hub2.specialist"], region=region(2), data=entry())

    provider_update(
        actor=personas["hub2.specialist"], provider_id=provider.pk, data=entry(active=False)
    )
    with pytest.raises(PermissionDenied):
        provider_update(
            actor=personas["hub5.specialist"], provider_id=provider.pk, data=entry(name="Taken")
        )

    provider.refresh_from_db()
    assert (provider.name, provider.active) == ("Northwoods Youth Shelter", False)


def test_an_agency_can_be_listed(personas):
    agency = Agency.objects.get(name="Outagamie County Human Services")
    provider = provider_create(
        actor=personas["hub2.specialist"],
        region=region(2),
        data=entry(name=agency.name, kind="county_human_services", agency=agency),
    )
    assert provider.agency == agency


def test_everyone_signed_in_reads_the_directory_and_nobody_else(personas):
    provider = provider_create(actor=personas["hub2.specialist"], region=region(2), data=entry())

    for username in ("outsider", "accounts.admin", "dane.worker", "state.admin"):
        assert list(providers_visible_to(personas[username])) == [provider]
        assert get_provider_for_user(personas[username], provider.pk) == provider
        with pytest.raises(PermissionDenied):
            get_provider_for_user(personas[username], provider.pk, write=True)
    assert not providers_visible_to(AnonymousUser()).exists()
    assert get_provider_for_user(personas["hub2.specialist"], provider.pk, write=True)


def test_an_import_is_all_or_nothing(personas):
    rows = [
        (2, entry(name="A")),
        (3, entry(name="B", counties=[])),
        (4, entry(name="a")),
        (5, entry(name="C", min_age=16, max_age=14)),
    ]

    with pytest.raises(ProviderImportRefused) as refused:
        providers_import(actor=personas["hub2.specialist"], region=region(2), rows=rows)

    assert refused.value.row_errors == [
        (3, "counties", "Choose at least one county it serves."),
        (4, "name", "The same name as row 2."),
        (5, "max_age", "The oldest age served is below the youngest."),
    ]
    assert not Provider.objects.exists()

    providers_import(
        actor=personas["hub2.specialist"], region=region(2), rows=[rows[0], (3, entry(name="B"))]
    )
    assert sorted(Provider.objects.values_list("name", flat=True)) == ["A", "B"]


def test_a_huge_age_in_a_spreadsheet_is_an_error_at_once():
    """int() of 1e1000000 takes minutes: the range is checked first."""
    from regions.directory_imports import import_rows

    text = (
        "name,kind,service_types,counties,min_age\nBay Shelter,shelter,shelter,Brown,1e1000000\n"
    )

    parsed = import_rows(text, region=region(2))

    assert [(e.row, e.column) for e in parsed.errors] == [(2, "min_age")]
    assert parsed.errors[0].message == '"1e1000000" is not an age from 0 to 30.'


def test_a_county_searched_finds_every_provider_serving_it_whatever_the_region(
    client_for, personas
):
    """A worker in Outagamie looking for help in Outagamie sees the statewide project that
    region 7's directory lists, as the need form and the gap view count it."""
    provider_create(
        actor=personas["hub5.specialist"],
        region=region(5),
        data=entry(name="Immigrant Youth Legal Project", counties=list(County.objects.all())),
    )
    client = client_for(personas["outagamie.worker"])

    by_county = client.get("/directory/", {"county": "55087"}).text
    browsing = client.get("/directory/").text

    assert "Immigrant Youth Legal Project" in by_county
    assert "Immigrant Youth Legal Project" not in browsing  # the worker's region, by default
