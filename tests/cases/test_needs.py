"""Service needs on a case: recorded by the hub or the case's agency through
cases.services, each change a timeline event; the caseload finds cases with unmet needs."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import services
from cases.filters import CaseFilter
from cases.models import CaseEvent, EventKind, NeedStatus, ServiceNeed, Status, UnavailableReason
from cases.selectors import case_needs, cases_visible_to
from regions.models import Provider, Region, ServiceType

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def service(key: str) -> ServiceType:
    return ServiceType.objects.get(key=key)


@pytest.fixture
def provider(personas):
    from regions.models import County
    from regions.services import ProviderInput, provider_create

    return provider_create(
        actor=personas["hub2.specialist"],
        region=Region.objects.get(number=2),
        data=ProviderInput(
            name="Fox Valley Youth Counselling",
            kind="behavioral_health",
            service_types=[service("mental_health")],
            counties=[County.objects.get(name="Outagamie")],
            languages="English, Spanish",
        ),
    )


def test_the_agency_records_a_need_and_refers_it(personas, make_case, provider):
    case = make_case(status=Status.ACCEPTED)
    worker = personas["outagamie.worker"]

    need = services.need_identify(
        case_id=case.pk,
        actor=worker,
        service_type=service("mental_health"),
        identified_on=TODAY(),
        notes="Asked for counselling.",
    )
    services.need_update(
        case_id=case.pk,
        need_id=need.pk,
        actor=worker,
        status=NeedStatus.REFERRED,
        provider=provider,
    )

    need.refresh_from_db()
    assert (need.status, need.provider) == (NeedStatus.REFERRED, provider)
    assert need.notes == "Asked for counselling."  # kept when not given
    events = CaseEvent.objects.filter(case=case, kind__startswith="need_").order_by("id")
    assert [(e.kind, e.reason, e.actor) for e in events] == [
        (EventKind.NEED_IDENTIFIED, "Mental-health counselling: identified", worker),
        (
            EventKind.NEED_UPDATED,
            "Mental-health counselling: identified → referred to a provider "
            "(Fox Valley Youth Counselling)",
            worker,
        ),
    ]
    assert list(case_needs(case)) == [need]


def test_unavailable_needs_a_reason_and_only_then(personas, make_case):
    case = make_case(status=Status.ACCEPTED)
    hub = personas["hub2.specialist"]

    with pytest.raises(ValidationError) as refused:
        services.need_identify(
            case_id=case.pk,
            actor=hub,
            service_type=service("interpretation"),
            identified_on=TODAY(),
            status=NeedStatus.UNAVAILABLE,
        )
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.need_identify(
            case_id=case.pk,
            actor=hub,
            service_type=service("interpretation"),
            identified_on=TODAY(),
            reason=UnavailableReason.LANGUAGE,
        )
    assert "reason" in refused.value.message_dict
    assert not ServiceNeed.objects.exists()

    need = services.need_identify(
        case_id=case.pk,
        actor=hub,
        service_type=service("interpretation"),
        identified_on=TODAY(),
        status=NeedStatus.UNAVAILABLE,
        reason=UnavailableReason.LANGUAGE,
    )
    assert CaseEvent.objects.get(case=case, kind=EventKind.NEED_IDENTIFIED).reason == (
        "Interpretation: unavailable: none in the youth's language"
    )
    assert need.is_unmet


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service_type": None}, "service_type"),
        ({"identified_on": None}, "identified_on"),
        ({"identified_on": "tomorrow"}, "identified_on"),
        ({"status": "lost"}, "status"),
        ({"status": NeedStatus.REFERRED}, "provider"),
        ({"status": NeedStatus.WAITLISTED}, "provider"),
        ({"notes": "x" * 4001}, "notes"),
    ],
)
def test_each_rule_names_its_field_and_writes_nothing(personas, make_case, changes, field):
    case = make_case(status=Status.ACCEPTED)
    given = {"service_type": service("shelter"), "identified_on": TODAY(), **changes}
    if given["identified_on"] == "tomorrow":
        given["identified_on"] = TODAY() + datetime.timedelta(days=1)
    events = CaseEvent.objects.filter(case=case).count()

    with pytest.raises(ValidationError) as refused:
        services.need_identify(case_id=case.pk, actor=personas["hub2.specialist"], **given)

    assert field in refused.value.message_dict
    assert not ServiceNeed.objects.exists()
    assert CaseEvent.objects.filter(case=case).count() == events


def test_a_provider_not_in_the_directory_is_named(personas, make_case):
    case = make_case(status=Status.ACCEPTED)

    need = services.need_identify(
        case_id=case.pk,
        actor=personas["outagamie.worker"],
        service_type=service("shelter"),
        identified_on=TODAY(),
        status=NeedStatus.WAITLISTED,
        provider_name="  Harbor House ",
    )

    assert (need.provider, need.provider_label) == (None, "Harbor House")


def test_only_the_hub_and_the_cases_agency_record_needs(personas, make_case):
    case = make_case(status=Status.ACCEPTED)
    for outsider in ("brown.worker", "hub5.specialist", "state.admin"):
        with pytest.raises(PermissionDenied):
            services.need_identify(
                case_id=case.pk,
                actor=personas[outsider],
                service_type=service("shelter"),
                identified_on=TODAY(),
            )
    assert not ServiceNeed.objects.exists()


def test_a_closed_case_keeps_its_needs_as_they_were(personas, make_case):
    case = make_case(status=Status.CLOSED)

    with pytest.raises(services.CaseConflict):
        services.need_identify(
            case_id=case.pk,
            actor=personas["hub2.specialist"],
            service_type=service("shelter"),
            identified_on=TODAY(),
        )


def test_saving_what_is_already_recorded_writes_no_event(personas, make_case):
    case = make_case(status=Status.ACCEPTED)
    hub = personas["hub2.specialist"]
    need = services.need_identify(
        case_id=case.pk, actor=hub, service_type=service("shelter"), identified_on=TODAY()
    )

    services.need_update(case_id=case.pk, need_id=need.pk, actor=hub, status=NeedStatus.IDENTIFIED)

    assert CaseEvent.objects.filter(case=case, kind=EventKind.NEED_UPDATED).count() == 0


def test_the_caseload_finds_cases_with_unmet_needs(personas, make_case, provider):
    hub = personas["hub2.specialist"]
    waiting, served, declined, _no_needs = (make_case(status=Status.ACCEPTED) for _ in range(4))
    services.need_identify(
        case_id=waiting.pk,
        actor=hub,
        service_type=service("mental_health"),
        identified_on=TODAY(),
        status=NeedStatus.REFERRED,
        provider=provider,
    )
    services.need_identify(
        case_id=served.pk,
        actor=hub,
        service_type=service("mental_health"),
        identified_on=TODAY(),
        status=NeedStatus.RECEIVING,
        provider=provider,
    )
    services.need_identify(
        case_id=declined.pk,
        actor=hub,
        service_type=service("shelter"),
        identified_on=TODAY(),
        status=NeedStatus.DECLINED,
    )

    found = CaseFilter({"needs": "unmet"}, queryset=cases_visible_to(hub)).qs

    assert list(found) == [waiting]


def test_a_need_of_a_quarter_already_rolled_up_asks_for_its_figures_again(personas, make_case):
    """Needs keep no status history: a change after the quarter's figures were made asks
    for that quarter again (once), so its met and unavailable figures catch up."""
    import zoneinfo

    import time_machine

    from regions.models import RollupRun, RollupTrigger
    from regions.quarters import Quarter
    from regions.rollups import rollup_quarter

    ct = zoneinfo.ZoneInfo("America/Chicago")
    hub = personas["hub2.specialist"]
    with time_machine.travel(datetime.datetime(2026, 3, 10, 10, tzinfo=ct), tick=False):
        case = make_case(status=Status.ACCEPTED)
        need = services.need_identify(
            case_id=case.pk,
            actor=hub,
            service_type=service("shelter"),
            identified_on=datetime.date(2026, 3, 10),
        )
    with time_machine.travel(datetime.datetime(2026, 4, 20, 12, tzinfo=ct), tick=False):
        rollup_quarter(quarter=Quarter(2026, 1))
        services.need_update(
            case_id=case.pk,
            need_id=need.pk,
            actor=hub,
            status=NeedStatus.WAITLISTED,
            provider_name="Harbor House",
        )

    late = RollupRun.objects.filter(trigger=RollupTrigger.LATE_RECORD)
    assert list(late.values_list("quarter", "requested_by")) == [("2026Q1", hub.pk)]


def test_a_new_provider_must_be_active_and_serve_the_youths_county(personas, make_case, provider):
    from regions.models import County

    case = make_case(status=Status.ACCEPTED)
    hub = personas["hub2.specialist"]
    need = services.need_identify(
        case_id=case.pk,
        actor=hub,
        service_type=service("mental_health"),
        identified_on=TODAY(),
        status=NeedStatus.REFERRED,
        provider=provider,
    )
    brown_only = Provider.objects.get(pk=provider.pk)
    brown_only.counties.set([County.objects.get(name="Brown")])

    # Kept: the need's own provider stays, though it no longer serves the county.
    services.need_update(
        case_id=case.pk,
        need_id=need.pk,
        actor=hub,
        status=NeedStatus.RECEIVING,
        provider=brown_only,
        notes="Started sessions.",
    )
    # Newly named: refused.
    other = make_case(status=Status.ACCEPTED)
    with pytest.raises(ValidationError) as refused:
        services.need_identify(
            case_id=other.pk,
            actor=hub,
            service_type=service("mental_health"),
            identified_on=TODAY(),
            status=NeedStatus.REFERRED,
            provider=brown_only,
        )
    assert "does not serve Outagamie County" in refused.value.message_dict["provider"][0]
    Provider.objects.filter(pk=provider.pk).update(active=False)
    brown_only.counties.set([County.objects.get(name="Outagamie")])
    with pytest.raises(ValidationError) as refused:
        services.need_identify(
            case_id=other.pk,
            actor=hub,
            service_type=service("mental_health"),
            identified_on=TODAY(),
            status=NeedStatus.RECEIVING,
            provider=Provider.objects.get(pk=provider.pk),
        )
    assert "no longer active" in refused.value.message_dict["provider"][0]
    assert not ServiceNeed.objects.filter(case=other).exists()
