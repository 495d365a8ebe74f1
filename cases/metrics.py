"""The case metrics the quarterly rollup computes (keys are part of the API).

Places are as recorded on the case: its region, its county (the youth's county when the
case was opened) and the youth's tribal affiliation. Each function groups in the
database through regions.metrics' helpers; none loops over cases in Python.
"""

from django.db.models import (
    Case as CaseExpr,
)
from django.db.models import (
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.utils import timezone

from cases.models import (
    MET_NEEDS,
    UNMET_NEEDS,
    Case,
    CaseEvent,
    CaseStep,
    ClosureReason,
    EventKind,
    Gender,
    NeedStatus,
    RaceEthnicity,
    ReferralSource,
    ScreeningOutcome,
    ServiceNeed,
    StepStatus,
    SuspectedExploitation,
    UnavailableReason,
)
from regions.metrics import (
    SERVICE_TYPE,
    Dimension,
    Metric,
    Period,
    Places,
    Unit,
    count_rows,
    median_rows,
    register,
    share_rows,
)
from regions.quarters import local_zone

ON_CASE = Places(region="region_id", county="county_id", tribe="youth__tribe_id")
VIA_CASE = Places(
    region="case__region_id", county="case__county_id", tribe="case__youth__tribe_id"
)

NOT_SCREENED = "not_screened"
AGE_BANDS = [
    ("under_12", "Under 12"),
    ("12_14", "12 to 14"),
    ("15_17", "15 to 17"),
    ("18_plus", "18 and over"),
]

REFERRAL_DIMENSIONS = (
    Dimension("source", "Referral source", ReferralSource.choices),
    Dimension("suspected_exploitation", "Suspected exploitation", SuspectedExploitation.choices),
    Dimension(
        "screening_outcome",
        "Screening outcome",
        [*ScreeningOutcome.choices, (NOT_SCREENED, "Not yet screened")],
    ),
    Dimension("age_band", "Age when referred", AGE_BANDS),
    Dimension("gender", "Gender", Gender.choices),
    Dimension("race_ethnicity", "Race/ethnicity", RaceEthnicity.choices),
)


def _age_band():
    """The youth's age band on the day the referral was received (Wisconsin time):
    from the date of birth where known, else the estimated age."""
    received, born = "referral__received_at", "youth__date_of_birth"
    before_birthday = CaseExpr(
        When(
            Q(_rm__lt=F("_bm")) | Q(_rm=F("_bm"), _rd__lt=F("_bd")),
            then=Value(1),
        ),
        default=Value(0),
    )
    age = CaseExpr(
        When(youth__date_of_birth__isnull=True, then=F("youth__estimated_age")),
        default=F("_ry") - F("_by") - before_birthday,
    )
    annotations = {
        "_ry": ExtractYear(received),
        "_rm": ExtractMonth(received),
        "_rd": ExtractDay(received),
        "_by": ExtractYear(born),
        "_bm": ExtractMonth(born),
        "_bd": ExtractDay(born),
    }
    band = CaseExpr(
        When(_age__lt=12, then=Value("under_12")),
        When(_age__lt=15, then=Value("12_14")),
        When(_age__lt=18, then=Value("15_17")),
        default=Value("18_plus"),
    )
    return annotations, age, band


def referrals_received(period: Period):
    annotations, age, band = _age_band()
    cases = (
        Case.objects.filter(
            referral__received_at__gte=period.start, referral__received_at__lt=period.end
        )
        .annotate(**annotations)
        .annotate(_age=age)
    )
    return count_rows(
        cases,
        places=ON_CASE,
        metric_dimensions=REFERRAL_DIMENSIONS,
        dimensions={
            "source": F("referral__source"),
            "suspected_exploitation": F("referral__suspected_exploitation"),
            "screening_outcome": CaseExpr(
                When(screening_outcome="", then=Value(NOT_SCREENED)),
                default=F("screening_outcome"),
            ),
            "age_band": band,
            "gender": F("youth__gender"),
            "race_ethnicity": F("youth__race_ethnicity"),
        },
    )


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def cases_opened(period: Period):
    return count_rows(Case.objects.filter(_in("opened_at", period)), places=ON_CASE)


def _cases_with_event(kind: str, period: Period):
    events = CaseEvent.objects.filter(_in("at", period), kind=kind)
    return Case.objects.filter(pk__in=events.values("case_id"))


def cases_routed(period: Period):
    return count_rows(_cases_with_event(EventKind.ROUTED, period), places=ON_CASE)


def cases_accepted(period: Period):
    return count_rows(_cases_with_event(EventKind.ACCEPTED, period), places=ON_CASE)


def referrals_declined(period: Period):
    declines = CaseEvent.objects.filter(_in("at", period), kind=EventKind.DECLINED)
    return count_rows(declines, places=VIA_CASE)


CLOSURE = (Dimension("closure_reason", "Why closed", ClosureReason.choices),)


def _closures_before(end, *, kind: str = EventKind.CLOSED):
    return CaseEvent.objects.filter(case=OuterRef("pk"), kind=kind, at__lt=end)


def _last_closures_in(period: Period):
    """Each case's last closure in the period, from the timeline (a case reopened since was
    still closed then): one event per case closed in the period. Read from the closures
    themselves (by kind and time), a later one of the same case ruling an event out."""
    later = CaseEvent.objects.filter(
        _in("at", period),
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")),
        case=OuterRef("case"),
        kind=EventKind.CLOSED,
    )
    return CaseEvent.objects.filter(_in("at", period), kind=EventKind.CLOSED).filter(
        ~Exists(later)
    )


def cases_closed(period: Period):
    return count_rows(
        _last_closures_in(period),
        places=VIA_CASE,
        metric_dimensions=CLOSURE,
        dimensions={"closure_reason": F("closure_reason")},
    )


def cases_active_end(period: Period):
    """Opened before the end and not closed then: no closure before the end, or a
    reopening after the last one."""
    end = period.end
    # Closed then: a closure before the end with no reopening after it (and before the
    # end). As anti-joins the database reads the closures once, where two subqueries a
    # case took 48 s at a million cases.
    reopened_after = CaseEvent.objects.filter(
        case=OuterRef("case"), kind=EventKind.REOPENED, at__gt=OuterRef("at"), at__lt=end
    )
    closed_then = _closures_before(end).filter(~Exists(reopened_after))
    active = Case.objects.filter(opened_at__lt=end).filter(~Exists(closed_then))
    return count_rows(active, places=ON_CASE)


def _duration(end: str, start: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def median_hours_to_acceptance(period: Period):
    accepted = Case.objects.filter(_in("accepted_at", period))
    return median_rows(
        accepted,
        places=ON_CASE,
        value=_duration("accepted_at", "referral__received_at"),
        convert=lambda d: d.total_seconds() / 3600,
    )


def median_days_open(period: Period):
    return median_rows(
        _last_closures_in(period),
        places=VIA_CASE,
        value=_duration("at", "case__opened_at"),
        convert=lambda d: d.total_seconds() / 86400,
    )


# A step that stopped applying (its condition no longer holds) is not counted; a step set
# aside because its case closed while it was still to do is (it was missed).
STEP_COUNTED = ~Q(status=StepStatus.NOT_APPLICABLE, closed_with_case=False)


def _step_categories():
    from protocols.models import StepDefinition

    titles: dict[str, str] = {}
    for key, title in StepDefinition.objects.order_by("version__id", "order").values_list(
        "key", "title"
    ):
        titles[key] = title  # the newest version's title wins
    return list(titles.items())


STEP = (Dimension("step", "Protocol step", _step_categories),)


def step_on_time_pct(period: Period):
    due = CaseStep.objects.filter(STEP_COUNTED, _in("due_at", period))
    return share_rows(
        due,
        places=VIA_CASE,
        numerator=Q(status=StepStatus.DONE, completed_at__lte=F("due_at")),
        dimensions={"step": F("definition__key")},
    )


def steps_overdue_end(period: Period):
    end = period.end
    # Before `end`, as everywhere (start <= t < end): what happens at `end` is the next
    # quarter's, and a case closed at `end` is still open at this one's (cases_active_end).
    resolved_by_end = Q(
        status__in=[StepStatus.DONE, StepStatus.SKIPPED], completed_at__lt=end
    ) | Q(closed_with_case=True, case__closed_at__lt=end)
    overdue = CaseStep.objects.filter(STEP_COUNTED, due_at__lt=end).exclude(resolved_by_end)
    return count_rows(
        overdue,
        places=VIA_CASE,
        metric_dimensions=STEP,
        dimensions={"step": F("definition__key")},
    )


for _metric in [
    Metric(
        "referrals_received",
        "Referrals received",
        Unit.COUNT,
        "Referrals received in the quarter (by the time the hub received them).",
        referrals_received,
        dimensions=REFERRAL_DIMENSIONS,
        noun="referrals",
    ),
    Metric(
        "cases_opened",
        "Cases opened",
        Unit.COUNT,
        "Cases opened in the quarter.",
        cases_opened,
        noun="cases",
    ),
    Metric(
        "cases_routed",
        "Cases routed",
        Unit.COUNT,
        "Cases the hub routed to a resource agency in the quarter (each case once).",
        cases_routed,
        noun="cases",
    ),
    Metric(
        "cases_accepted",
        "Cases accepted",
        Unit.COUNT,
        "Cases a resource agency accepted in the quarter (each case once).",
        cases_accepted,
        noun="cases",
    ),
    Metric(
        "referrals_declined",
        "Referrals declined",
        Unit.COUNT,
        "Times a resource agency declined a routed referral in the quarter.",
        referrals_declined,
        noun="declines",
    ),
    Metric(
        "cases_closed",
        "Cases closed",
        Unit.COUNT,
        "Cases closed in the quarter, by why they closed.",
        cases_closed,
        dimensions=CLOSURE,
        noun="cases",
    ),
    Metric(
        "cases_active_end",
        "Cases open at quarter end",
        Unit.COUNT,
        "Cases opened before the quarter's last moment and not closed by then.",
        cases_active_end,
        noun="cases",
    ),
    Metric(
        "median_hours_to_acceptance",
        "Median hours to acceptance",
        Unit.HOURS,
        "For cases accepted in the quarter: the median time from the referral being "
        "received to a resource agency accepting it.",
        median_hours_to_acceptance,
        additive=False,
    ),
    Metric(
        "median_days_open",
        "Median days open",
        Unit.DAYS,
        "For cases closed in the quarter: the median time from opening to closing.",
        median_days_open,
        additive=False,
    ),
    Metric(
        "step_on_time_pct",
        "Protocol steps on time",
        Unit.PERCENT,
        "Of the Response Protocol steps due in the quarter, the share completed by their "
        "deadline (skipped steps and steps left when a case closed count as missed).",
        step_on_time_pct,
        dimensions=STEP,
        additive=False,
    ),
    Metric(
        "steps_overdue_end",
        "Steps overdue at quarter end",
        Unit.COUNT,
        "Protocol steps whose deadline had passed by the quarter's end and that were not "
        "done or skipped by then.",
        steps_overdue_end,
        dimensions=STEP,
        noun="steps",
    ),
]:
    register(_metric)


# --- Service needs ---------------------------------------------------------------------

# A need's places are its case's (the case's region, its county, the youth's tribe).
REASON = Dimension("reason", "Why unavailable", UnavailableReason.choices)


def needs_identified_in(period: Period):
    """The needs identified in the period, by their Wisconsin date `identified_on`: the
    quarter's days, up to the day the period ends for the quarter under way. What has
    become of them is their status when the figures are computed."""
    needs = ServiceNeed.objects.filter(
        identified_on__gte=period.quarter.start.date(),  # local midnight: Wisconsin's date
        identified_on__lt=period.quarter.end.date(),
    )
    if period.end < period.quarter.end:
        today = timezone.localtime(period.end, local_zone()).date()
        needs = needs.filter(identified_on__lte=today)
    return needs.order_by()


def _need_counts(needs, dimensions: tuple[Dimension, ...]):
    fields = {"service_type": F("service_type__key"), "reason": F("reason")}
    return count_rows(
        needs,
        places=VIA_CASE,
        metric_dimensions=dimensions,
        dimensions={d.key: fields[d.key] for d in dimensions},
    )


def needs_identified(period: Period):
    return _need_counts(needs_identified_in(period), (SERVICE_TYPE,))


def needs_met(period: Period):
    return _need_counts(needs_identified_in(period).filter(status__in=MET_NEEDS), (SERVICE_TYPE,))


def needs_unmet(period: Period):
    return _need_counts(
        needs_identified_in(period).filter(status__in=UNMET_NEEDS), (SERVICE_TYPE,)
    )


def needs_unavailable(period: Period):
    unavailable = needs_identified_in(period).filter(status=NeedStatus.UNAVAILABLE)
    return _need_counts(unavailable, (SERVICE_TYPE, REASON))


for _metric in [
    Metric(
        "needs_identified",
        "Service needs identified",
        Unit.COUNT,
        "Service needs identified on cases in the quarter (by the date identified), by "
        "service type.",
        needs_identified,
        dimensions=(SERVICE_TYPE,),
        noun="needs",
    ),
    Metric(
        "needs_met",
        "Service needs met",
        Unit.COUNT,
        "Of the needs identified in the quarter, those the youth was receiving services "
        "for or had completed when the figures were computed, by service type.",
        needs_met,
        dimensions=(SERVICE_TYPE,),
        noun="needs",
        part_of="needs_identified",
    ),
    Metric(
        "needs_unmet",
        "Service needs unmet",
        Unit.COUNT,
        "Of the needs identified in the quarter, those not met when the figures were "
        "computed: identified, referred, waitlisted or unavailable (a need the youth or "
        "family declined is neither met nor unmet), by service type.",
        needs_unmet,
        dimensions=(SERVICE_TYPE,),
        noun="needs",
        part_of="needs_identified",
    ),
    Metric(
        "needs_unavailable",
        "Service needs unavailable",
        Unit.COUNT,
        "Of the needs identified in the quarter, those recorded as unavailable (no "
        "provider within reach, none with capacity, none for the youth's age or language) "
        "when the figures were computed, by service type and by why.",
        needs_unavailable,
        dimensions=(SERVICE_TYPE, REASON),
        noun="needs",
        part_of="needs_unmet",
    ),
]:
    register(_metric)
