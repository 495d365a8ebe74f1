import datetime

from django.utils import timezone

from cases import services
from cases.models import ClosureReason, ReferralSource, ScreeningOutcome, Status
from regions.models import Agency, AgencyKind, County

HUB_OF_REGION = {2: "hub2.specialist", 5: "hub5.specialist"}
WORKER_OF_AGENCY = {
    "Outagamie County Human Services": "outagamie.worker",
    "Brown County Human Services": "brown.worker",
    "Dane County Human Services": "dane.worker",
    "Menominee Indian Tribe of Wisconsin Social Services": "menominee.worker",
}


class CaseBuilder:
    """Builds cases the way users do: through the services, as the personas."""

    def __init__(self, personas):
        self.personas = personas
        self.count = 0

    def __call__(
        self,
        *,
        county: str = "Outagamie",
        status: str = Status.ROUTED,
        agency: Agency | None = None,
        first: str | None = None,
        last: str = "Testcase",
        tribe=None,
        **youth,
    ):
        self.count += 1
        county_obj = County.objects.select_related("region").get(name=county)
        region = county_obj.region
        hub = self.personas[HUB_OF_REGION[region.number]]
        case = services.referral_create(
            logged_by=hub,
            region=region,
            youth_data={
                "legal_first_name": first or f"Youth{self.count}",
                "legal_last_name": last,
                "date_of_birth": datetime.date(2011, 3, 14),
                "county": county_obj,
                "tribe": tribe,
                **youth,
            },
            referral_data={
                "received_at": timezone.now() - datetime.timedelta(hours=2),
                "source": ReferralSource.SCHOOL,
                "narrative": "Synthetic test referral.",
            },
        )
        if status == Status.RECEIVED:
            return case
        services.case_screen(case_id=case.pk, actor=hub, outcome=ScreeningOutcome.SUSPECTED)
        if status == Status.SCREENED:
            return self._fresh(case)
        if status == Status.CLOSED and agency is None:
            services.case_close(case_id=case.pk, actor=hub, reason=ClosureReason.DUPLICATE)
            return self._fresh(case)
        agency = agency or Agency.objects.get(
            kind=AgencyKind.COUNTY_HUMAN_SERVICES, county=county_obj
        )
        services.case_route(case_id=case.pk, actor=hub, agency=agency)
        if status == Status.ROUTED:
            return self._fresh(case)
        worker = self.personas[WORKER_OF_AGENCY[agency.name]]
        if status == Status.DECLINED:
            services.case_decline(case_id=case.pk, actor=worker, reason="Not ours.")
            return self._fresh(case)
        services.case_accept(case_id=case.pk, actor=worker)
        if status == Status.ACTIVE:
            services.case_assign(case_id=case.pk, actor=worker, worker=worker)
        if status == Status.CLOSED:
            services.case_close(
                case_id=case.pk, actor=worker, reason=ClosureReason.SERVICES_COMPLETED
            )
        return self._fresh(case)

    @staticmethod
    def _fresh(case):
        case.refresh_from_db()
        return case
