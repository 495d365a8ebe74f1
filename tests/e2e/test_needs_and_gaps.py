"""Service needs in a real browser: outagamie.worker records a mental-health need on a
case and refers it to a directory provider, then records an interpretation need as
unavailable (no provider in the youth's language); hub2.specialist sees both in the
region's resource-gap view."""

import pytest
from playwright.sync_api import expect

from cases.models import NeedStatus, ServiceNeed, Status
from regions.models import County, Region, ServiceType
from regions.services import ProviderInput, provider_create
from tests.e2e.conftest import axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

OUTAGAMIE = "55087"


def test_an_agency_records_needs_and_the_hub_sees_the_gap(open_as, personas, make_case):
    provider = provider_create(
        actor=personas["hub2.specialist"],
        region=Region.objects.get(number=2),
        data=ProviderInput(
            name="Fox Valley Youth Counselling",
            kind="behavioral_health",
            service_types=[ServiceType.objects.get(key="mental_health")],
            counties=[County.objects.get(name="Outagamie")],
            min_age=10,
            max_age=21,
            languages="English",
        ),
    )
    case = make_case(status=Status.ACCEPTED, languages="Hmong")

    page = open_as("outagamie.worker")
    page.goto(f"/cases/{case.pk}/")
    needs = page.locator("#needs")
    needs.get_by_text("Record a service need…").click()
    needs.get_by_label("Service needed").select_option(label="Mental-health counselling")
    needs.get_by_label("Status").select_option(label="Referred to a provider")
    needs.get_by_label("Provider (from the directory)").select_option(
        label=f"{provider.name} (Mental-health counselling)"
    )
    needs.get_by_role("button", name="Record need").click()

    need = page.locator("#needs .need", has_text="Mental-health counselling")
    expect(need).to_contain_text("Unmet: Referred to a provider")
    expect(need.get_by_role("link", name=provider.name)).to_be_visible()

    # The second need, left without its reason first: the error is next to the field.
    page.locator("#needs").get_by_text("Record a service need…").click()
    form = page.locator("#need-form")
    form.get_by_label("Service needed").select_option(label="Interpretation")
    form.get_by_label("Status").select_option(label="Unavailable")
    form.get_by_role("button", name="Record need").click()
    expect(page.locator("#need-errors")).to_contain_text("unavailable")
    assert ServiceNeed.objects.filter(case=case).count() == 1
    form = page.locator("#need-form")
    form.get_by_label("Why is it unavailable?").select_option(label="None in the youth's language")
    form.get_by_role("button", name="Record need").click()

    interpretation = page.locator("#needs .need", has_text="Interpretation")
    expect(interpretation).to_contain_text("None in the youth's language")
    screenshot(page, "case-needs-agency")
    assert axe_violations(page) == []
    assert list(
        ServiceNeed.objects.filter(case=case).order_by("id").values_list("status", "reason")
    ) == [(NeedStatus.REFERRED, ""), (NeedStatus.UNAVAILABLE, "language")]

    # The hub's gap view counts both, in Outagamie.
    hub = open_as("hub2.specialist")
    hub.goto("/gaps/region/2/")
    row = hub.locator(f"#gap-{OUTAGAMIE}")
    # Each cell: identified, met, unmet, unavailable, providers (as a screen reader hears
    # them). The referral is not met yet.
    mental = row.locator("td[data-service=mental_health]")
    assert mental.locator(".gap-figures .visually-hidden").all_inner_texts() == [
        "1",
        "0",
        "1",
        "0",
        "1",
    ]
    expect(mental).to_contain_text("Unmet")
    spoken = row.locator("td[data-service=interpretation]")
    assert spoken.locator(".gap-figures .visually-hidden").all_inner_texts() == [
        "1",
        "0",
        "1",
        "1",
        "0",
    ]
    expect(spoken).to_contain_text("No provider")
    expect(hub.locator("#reason-language")).to_contain_text("1")
    screenshot(hub, "gaps-region-hub")
    assert axe_violations(hub) == []
