"""Service needs on the case page: who records them and what became of them, what the
page shows to whom, errors next to their fields with nothing written, and the caseload's
"has unmet needs" filter."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import (
    CaseAccess,
    CaseEvent,
    EventKind,
    NeedStatus,
    ServiceNeed,
    Status,
    UnavailableReason,
)
from regions.models import County, Region, ServiceType
from regions.services import ProviderInput, provider_create, provider_update
from tests.cases.test_selectors import consent_for_brown

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def service(key: str) -> ServiceType:
    return ServiceType.objects.get(key=key)


def moved_away(provider, county: str):
    """The directory entry now serves only `county` (a later change by the hub)."""
    provider.counties.set([County.objects.get(name=county)])
    return provider


def directory_entry(personas, name, *, county="Outagamie", min_age=None, max_age=None, **more):
    return provider_create(
        actor=personas["hub2.specialist"],
        region=Region.objects.get(number=2),
        data=ProviderInput(
            name=name,
            kind="behavioral_health",
            service_types=[service("mental_health")],
            counties=[County.objects.get(name=county)],
            min_age=min_age,
            max_age=max_age,
            **more,
        ),
    )


@pytest.fixture
def provider(personas):
    return directory_entry(personas, "Fox Valley Youth Counselling", min_age=10, max_age=21)


def detail(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def add_url(case) -> str:
    return reverse("cases:need-add", args=[case.pk])


def update_url(need) -> str:
    return reverse("cases:need-update", args=[need.case_id, need.pk])


def new_need(**fields) -> dict:
    data = {
        "service_type": service("mental_health").pk,
        "identified_on": TODAY().isoformat(),
        "status": NeedStatus.IDENTIFIED,
        "reason": "",
        "provider": "",
        "provider_name": "",
        "notes": "",
        **fields,
    }
    return {f"need-{key}": value for key, value in data.items()}


def need_change(need, **fields) -> dict:
    data = {
        "status": need.status,
        "reason": need.reason,
        "provider": need.provider_id or "",
        "provider_name": need.provider_name,
        "notes": need.notes,
        **fields,
    }
    return {f"need-{need.pk}-{key}": value for key, value in data.items()}


def recorded(case, actor, key="mental_health", **fields):
    return services.need_identify(
        case_id=case.pk,
        actor=actor,
        service_type=service(key),
        identified_on=fields.pop("identified_on", TODAY()),
        **fields,
    )


def section(text: str) -> str:
    """The page's needs section."""
    start = text.index('id="needs"')
    return text[start : text.index("</section>", start)]


def need_item(text: str, need) -> str:
    """One need's item in the section: its facts and its form."""
    start = text.index(f'id="need-{need.pk}"')
    end = re.compile(r'<li class="need[ "]|<details class="needs__new"|</section>')
    return text[start : end.search(text, start + 1).start()]


class TestRecording:
    @pytest.mark.parametrize("username", ["hub2.specialist", "outagamie.worker"])
    def test_the_hub_and_the_agency_record_a_need_and_then_what_became_of_it(
        self, client_for, personas, make_case, provider, username
    ):
        case = make_case(status=Status.ACCEPTED)
        client = client_for(personas[username])

        response = client.post(add_url(case), new_need(notes="Asked for counselling."))

        assert response.status_code == 302
        assert response.url == detail(case) + "#needs"
        need = ServiceNeed.objects.get(case=case)
        assert (need.service_type.key, need.status, need.notes, need.created_by.username) == (
            "mental_health",
            NeedStatus.IDENTIFIED,
            "Asked for counselling.",
            username,
        )
        page = client.get(detail(case)).text
        assert "Need recorded: Mental-health counselling (Identified)." in page
        assert "Unmet: Identified" in need_item(page, need)

        response = client.post(
            update_url(need), need_change(need, status=NeedStatus.REFERRED, provider=provider.pk)
        )

        assert response.status_code == 302
        assert response.url == detail(case) + "#needs"
        need.refresh_from_db()
        assert (need.status, need.provider) == (NeedStatus.REFERRED, provider)
        page = client.get(detail(case)).text
        item = need_item(page, need)
        assert f'<a href="/directory/{provider.pk}/">Fox Valley Youth Counselling</a>' in item
        assert "Unmet: Referred to a provider" in item
        assert "Asked for counselling." in item
        # The timeline tells the story.
        assert [e.kind for e in CaseEvent.objects.filter(case=case, kind__startswith="need_")] == [
            EventKind.NEED_IDENTIFIED,
            EventKind.NEED_UPDATED,
        ]
        timeline = page[page.index('id="timeline-title"') :]
        assert "Service need identified" in timeline
        assert (
            "Mental-health counselling: identified → referred to a provider "
            "(Fox Valley Youth Counselling)" in timeline
        )

    def test_an_unavailable_need_says_why_and_a_met_one_says_so_in_words(
        self, client_for, personas, make_case, provider
    ):
        case = make_case(status=Status.ACCEPTED)
        client = client_for(personas["outagamie.worker"])

        client.post(
            add_url(case),
            new_need(
                service_type=service("interpretation").pk,
                status=NeedStatus.UNAVAILABLE,
                reason=UnavailableReason.LANGUAGE,
            ),
        )
        client.post(add_url(case), new_need(status=NeedStatus.RECEIVING, provider=provider.pk))

        unavailable, receiving = ServiceNeed.objects.filter(case=case).order_by("id")
        assert (unavailable.status, unavailable.reason) == (
            NeedStatus.UNAVAILABLE,
            UnavailableReason.LANGUAGE,
        )
        page = client.get(detail(case)).text
        item = need_item(page, unavailable)
        assert "Unmet: Unavailable" in item
        assert "None in the youth&#x27;s language" in item
        assert "Met: Receiving services" in need_item(page, receiving)
        assert "2 needs recorded · <strong>1 not met yet</strong>" in section(page)

    def test_a_provider_not_in_the_directory_is_named(self, client_for, personas, make_case):
        case = make_case(status=Status.ACCEPTED)
        client = client_for(personas["outagamie.worker"])

        client.post(
            add_url(case),
            new_need(
                service_type=service("shelter").pk,
                status=NeedStatus.WAITLISTED,
                provider_name="Harbor House",
            ),
        )

        need = ServiceNeed.objects.get(case=case)
        assert (need.provider, need.provider_name) == (None, "Harbor House")
        assert 'Harbor House <span class="small">(not in the directory)</span>' in need_item(
            client.get(detail(case)).text, need
        )

    def test_a_reason_chosen_before_the_status_changed_is_not_kept(
        self, client_for, personas, make_case
    ):
        """The reason shows only with "Unavailable"; one left in it after the status was
        changed back is not what the person meant."""
        case = make_case(status=Status.ACCEPTED)

        response = client_for(personas["outagamie.worker"]).post(
            add_url(case), new_need(reason=UnavailableReason.LANGUAGE)
        )

        assert response.status_code == 302
        assert ServiceNeed.objects.get(case=case).reason == ""


class TestErrors:
    def test_errors_are_next_to_their_fields_and_in_a_summary_and_nothing_is_written(
        self, client_for, personas, make_case
    ):
        case = make_case(status=Status.ACCEPTED)
        events = CaseEvent.objects.filter(case=case).count()

        response = client_for(personas["outagamie.worker"]).post(
            add_url(case),
            new_need(
                service_type="",
                status=NeedStatus.UNAVAILABLE,
                notes="Youth asked for help in Hmong.",
            ),
        )

        assert response.status_code == 400
        page = section(response.text)
        summary = page[
            page.index("error-summary") : page.index("</ul>", page.index("error-summary"))
        ]
        assert "The need was not recorded." in summary
        assert (
            'href="#id_need-service_type">Choose the kind of service the youth needs.' in summary
        )
        assert 'href="#id_need-reason">Say why the service is unavailable.' in summary
        assert '<ul class="field__errors" id="id_need-service_type_error">' in page
        assert '<ul class="field__errors" id="id_need-reason_error">' in page
        # What was typed is all there, in the form left open.
        assert "Youth asked for help in Hmong.</textarea>" in page
        assert '<option value="unavailable" selected>' in page
        assert re.search(r'<details class="needs__new" open>', page)
        assert not ServiceNeed.objects.exists()
        assert CaseEvent.objects.filter(case=case).count() == events

    def test_what_the_service_refuses_is_shown_next_to_its_field(
        self, client_for, personas, make_case
    ):
        case = make_case(status=Status.ACCEPTED)
        tomorrow = TODAY() + datetime.timedelta(days=1)

        response = client_for(personas["outagamie.worker"]).post(
            add_url(case),
            new_need(identified_on=tomorrow.isoformat(), status=NeedStatus.REFERRED),
        )

        assert response.status_code == 400
        page = section(response.text)
        assert "cannot be in the future" in page
        assert "Choose the provider from the directory, or name it" in page
        assert f'value="{tomorrow.isoformat()}"' in page
        assert not ServiceNeed.objects.exists()

    def test_a_listed_and_a_named_provider_at_once_is_refused(
        self, client_for, personas, make_case, provider
    ):
        case = make_case(status=Status.ACCEPTED)

        response = client_for(personas["outagamie.worker"]).post(
            add_url(case),
            new_need(status=NeedStatus.REFERRED, provider=provider.pk, provider_name="Other"),
        )

        assert response.status_code == 400
        assert "not both" in section(response.text)
        assert not ServiceNeed.objects.exists()

    def test_a_refused_update_reopens_that_needs_form_with_what_was_typed(
        self, client_for, personas, make_case
    ):
        case = make_case(status=Status.ACCEPTED)
        need = recorded(case, personas["outagamie.worker"], notes="First contact.")
        other = recorded(case, personas["outagamie.worker"], key="shelter")
        events = CaseEvent.objects.filter(case=case).count()

        response = client_for(personas["outagamie.worker"]).post(
            update_url(need),
            need_change(need, status=NeedStatus.RECEIVING, notes="Started Monday."),
        )

        assert response.status_code == 400
        item = need_item(response.text, need)
        assert "Nothing was changed." in item
        assert "Choose the provider from the directory, or name it" in item
        assert "Started Monday.</textarea>" in item
        assert '<details class="need__update" open>' in item
        assert '<details class="need__update" open>' not in need_item(response.text, other)
        need.refresh_from_db()
        assert (need.status, need.notes) == (NeedStatus.IDENTIFIED, "First contact.")
        assert CaseEvent.objects.filter(case=case).count() == events

    def test_a_need_of_another_case_is_not_found(self, client_for, personas, make_case):
        case, other_case = make_case(status=Status.ACCEPTED), make_case(status=Status.ACCEPTED)
        need = recorded(other_case, personas["hub2.specialist"])

        response = client_for(personas["hub2.specialist"]).post(
            reverse("cases:need-update", args=[case.pk, need.pk]),
            need_change(need, status=NeedStatus.DECLINED),
        )

        assert response.status_code == 404
        need.refresh_from_db()
        assert need.status == NeedStatus.IDENTIFIED


class TestWhoMay:
    @pytest.mark.parametrize("username", ["brown.worker", "hub5.specialist"])
    def test_others_get_not_found_and_the_attempt_is_logged(
        self, client_for, personas, make_case, username
    ):
        case = make_case(status=Status.ACCEPTED)
        need = recorded(case, personas["hub2.specialist"])
        client = client_for(personas[username])

        added = client.post(add_url(case), new_need())
        changed = client.post(update_url(need), need_change(need, status=NeedStatus.DECLINED))

        assert (added.status_code, changed.status_code) == (404, 404)
        assert case.youth.legal_last_name not in added.text + changed.text
        denied = CaseAccess.objects.filter(case=case, user=personas[username])
        assert [access.granted for access in denied] == [False, False]
        assert ServiceNeed.objects.filter(case=case).count() == 1
        need.refresh_from_db()
        assert need.status == NeedStatus.IDENTIFIED

    def test_the_state_admin_is_refused_and_the_attempt_is_logged(
        self, client_for, personas, make_case
    ):
        case = make_case(status=Status.ACCEPTED)

        response = client_for(personas["state.admin"]).post(add_url(case), new_need())

        assert response.status_code == 403
        assert CaseAccess.objects.get(case=case, user=personas["state.admin"]).granted is False
        assert not ServiceNeed.objects.exists()

    def test_a_read_only_viewer_sees_the_needs_but_no_forms(self, client_for, personas, make_case):
        case = make_case(status=Status.ACCEPTED)
        need = recorded(case, personas["outagamie.worker"], notes="Counselling asked for.")
        consent = consent_for_brown(case, personas["hub2.specialist"])
        services.case_grant_create(
            case_id=case.pk,
            actor=personas["hub2.specialist"],
            user=personas["brown.worker"],
            consent=consent,
        )
        client = client_for(personas["brown.worker"])

        page = section(client.get(detail(case)).text)

        assert "Counselling asked for." in page
        assert "<form" not in page
        assert client.post(add_url(case), new_need()).status_code == 403
        refused = client.post(update_url(need), need_change(need, status=NeedStatus.DECLINED))
        assert refused.status_code == 403
        assert ServiceNeed.objects.filter(case=case).count() == 1
        need.refresh_from_db()
        assert need.status == NeedStatus.IDENTIFIED

    def test_a_closed_case_shows_its_needs_without_forms_and_takes_none(
        self, client_for, personas, make_case
    ):
        case = make_case(status=Status.ACCEPTED)
        worker = personas["outagamie.worker"]
        need = recorded(case, worker, notes="Before closing.")
        services.case_close(case_id=case.pk, actor=worker, reason="services_completed")
        client = client_for(worker)

        page = section(client.get(detail(case)).text)

        assert "Before closing." in page
        assert "<form" not in page
        assert "reopen it to record needs" in page
        response = client.post(add_url(case), new_need())
        assert response.status_code == 302
        assert ServiceNeed.objects.filter(case=case).count() == 1
        changed = client.post(update_url(need), need_change(need, status=NeedStatus.DECLINED))
        assert changed.status_code == 302
        need.refresh_from_db()
        assert need.status == NeedStatus.IDENTIFIED


class TestProvidersOffered:
    def test_the_countys_active_providers_those_serving_the_youths_age_first(
        self, client_for, personas, make_case, provider
    ):
        case = make_case(status=Status.ACCEPTED)  # the youth is 15
        directory_entry(personas, "Lakeshore Adult Recovery", min_age=18)
        elsewhere = directory_entry(personas, "Green Bay Counselling", county="Brown")
        closed = directory_entry(personas, "Closed Clinic")
        provider_update(
            actor=personas["hub2.specialist"],
            provider_id=closed.pk,
            data=ProviderInput(
                name="Closed Clinic",
                kind="behavioral_health",
                service_types=[service("mental_health")],
                counties=[County.objects.get(name="Outagamie")],
                active=False,
            ),
        )

        page = client_for(personas["outagamie.worker"]).get(detail(case)).text
        select = page[
            page.index('id="id_need-provider"') : page.index(
                "</select>", page.index('id="id_need-provider"')
            )
        ]

        serving = select.index("Serves the youth&#x27;s age (15)")
        others = select.index("Other ages")
        assert serving < select.index("Fox Valley Youth Counselling") < others
        assert others < select.index(
            "Lakeshore Adult Recovery (Mental-health counselling) · ages 18+"
        )
        assert elsewhere.name not in select
        assert "Closed Clinic" not in select

    def test_a_needs_own_provider_stays_offered_when_it_no_longer_serves_the_county(
        self, client_for, personas, make_case
    ):
        case = make_case(status=Status.ACCEPTED)
        elsewhere = directory_entry(personas, "Green Bay Counselling")
        need = recorded(
            case, personas["outagamie.worker"], status=NeedStatus.REFERRED, provider=elsewhere
        )
        moved_away(elsewhere, "Brown")

        page = client_for(personas["outagamie.worker"]).get(detail(case)).text

        item = need_item(page, need)
        own_select = item[item.index(f'id="id_need-{need.pk}-provider"') :]
        assert f'<option value="{elsewhere.pk}" selected>Green Bay Counselling' in own_select
        new_select = page[page.index('id="id_need-provider"') :]
        assert "Green Bay Counselling" not in new_select[: new_select.index("</select>")]


class TestQueries:
    def test_the_case_page_costs_the_same_with_one_need_or_many(
        self, client_for, personas, make_case, provider
    ):
        case = make_case(status=Status.ACCEPTED)
        worker = personas["outagamie.worker"]
        client = client_for(worker)
        elsewhere = directory_entry(personas, "Green Bay Counselling")
        recorded(case, worker, status=NeedStatus.REFERRED, provider=provider)
        recorded(case, worker, status=NeedStatus.WAITLISTED, provider=elsewhere)
        moved_away(elsewhere, "Brown")
        client.get(detail(case))

        def queries():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(detail(case)).status_code == 200
            return len(captured)

        few = queries()
        farther = directory_entry(personas, "Manitowoc Counselling")
        for index in range(5):
            recorded(case, worker, key="shelter", notes=f"Need {index}")
            recorded(case, worker, status=NeedStatus.WAITLISTED, provider=farther)
            directory_entry(personas, f"Extra provider {index}")
        moved_away(farther, "Manitowoc")
        assert queries() == few


class TestCaseload:
    LIST = reverse("cases:list")

    @pytest.fixture
    def cases(self, personas, make_case, provider):
        hub = personas["hub2.specialist"]
        waiting = make_case(status=Status.ACCEPTED)
        served = make_case(status=Status.ACCEPTED)
        unavailable_in_brown = make_case(county="Brown", status=Status.ROUTED)
        no_needs = make_case(status=Status.ACCEPTED)
        recorded(waiting, hub, status=NeedStatus.REFERRED, provider=provider)
        recorded(served, hub, status=NeedStatus.RECEIVING, provider=provider)
        recorded(served, hub, key="shelter", status=NeedStatus.DECLINED)
        recorded(
            unavailable_in_brown,
            hub,
            key="interpretation",
            status=NeedStatus.UNAVAILABLE,
            reason=UnavailableReason.LANGUAGE,
        )
        return {
            "waiting": waiting,
            "served": served,
            "brown": unavailable_in_brown,
            "none": no_needs,
        }

    @staticmethod
    def numbers(text: str) -> set[str]:
        return set(re.findall(r">(R\d-\d{4}-\d{4})</a>", text))

    def test_has_unmet_needs_finds_them_and_keeps_the_other_filters(
        self, client_for, personas, cases
    ):
        client = client_for(personas["hub2.specialist"])

        everything = client.get(self.LIST).text
        unmet = client.get(self.LIST, {"needs": "unmet"}).text
        unmet_in_brown = client.get(
            self.LIST, {"needs": "unmet", "county": County.objects.get(name="Brown").fips}
        ).text

        assert self.numbers(everything) == {case.number for case in cases.values()}
        assert self.numbers(unmet) == {cases["waiting"].number, cases["brown"].number}
        assert self.numbers(unmet_in_brown) == {cases["brown"].number}
        assert '<label for="id_needs">Service needs</label>' in unmet
        assert '<option value="unmet" selected>Has unmet service needs</option>' in unmet

    def test_the_agency_sees_only_its_own_cases_with_unmet_needs(
        self, client_for, personas, cases
    ):
        text = client_for(personas["outagamie.worker"]).get(self.LIST, {"needs": "unmet"}).text
        assert self.numbers(text) == {cases["waiting"].number}

    def test_the_filter_costs_the_same_however_many_cases(
        self, client_for, personas, make_case, provider, cases
    ):
        client = client_for(personas["hub2.specialist"])
        client.get(self.LIST)

        def queries():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(self.LIST, {"needs": "unmet"}).status_code == 200
            return len(captured)

        few = queries()
        for _ in range(4):
            case = make_case(status=Status.ACCEPTED)
            recorded(case, personas["hub2.specialist"], key="shelter")
        assert queries() == few
