"""Caseload filters, shared by the caseload page and the cases API.

They only ever narrow a queryset that came through `cases_visible_to`.
"""

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Exists, OuterRef
from drf_spectacular.utils import extend_schema_field

from cases.models import OPEN_STATUSES, UNMET_NEEDS, ServiceNeed, Status
from cases.selectors import case_search_condition
from hubnet.forms import QuickSelect
from regions.models import Agency, County, Tribe


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("open", "Open"), *Status.choices],
        method="filter_status",
        empty_label="Any status, closed included",
        widget=QuickSelect,
    )
    county = django_filters.CharFilter(field_name="county__fips", label="County (FIPS code)")
    tribe = django_filters.ModelChoiceFilter(
        queryset=Tribe.objects.all(), field_name="youth__tribe", label="Tribe (id)"
    )
    region = django_filters.NumberFilter(field_name="region__number", label="Region (1-7)")
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label="Agency id")
    worker = django_filters.CharFilter(
        method="filter_worker",
        label="Assigned worker ('me', 'none' or a user id)",
        validators=[RegexValidator(r"^(me|none|[0-9]{1,18})$", "Use 'me', 'none' or a user id.")],
    )
    q = django_filters.CharFilter(
        method="filter_q", label="Search: case number, youth's or reporter's name"
    )
    needs = django_filters.ChoiceFilter(
        choices=[("unmet", "Has unmet service needs")],
        method="filter_needs",
        empty_label="Any",
        widget=QuickSelect,
        label="Service needs ('unmet': identified, referred, waitlisted or unavailable)",
    )

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_worker(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assigned_worker=self.request.user)
        if value == "none":
            return queryset.filter(assigned_worker__isnull=True)
        return queryset.filter(assigned_worker_id=int(value))

    @extend_schema_field({"type": "string", "enum": ["unmet"]})  # not guessable from a method
    def filter_needs(self, queryset, name, value):
        unmet = ServiceNeed.objects.filter(case=OuterRef("pk"), status__in=UNMET_NEEDS)
        return queryset.filter(Exists(unmet))

    def filter_q(self, queryset, name, value):
        return queryset.filter(case_search_condition(value)) if value.strip() else queryset


def case_filter_counties(region_ids) -> list:
    """The county filter's choices: the user's own regions' counties first, then the rest
    (a case can follow a youth elsewhere). Reference data only: no scan of the cases."""
    counties = list(County.objects.order_by("name").values_list("fips", "name", "region_id"))
    own = [(fips, name) for fips, name, region in counties if region in region_ids]
    other = [(fips, name) for fips, name, region in counties if region not in region_ids]
    if not own:
        return [("", "Any county"), *other]
    return [("", "Any county"), ("Your region", own), ("Other counties", other)]


def case_filter_tribes(region_ids) -> list:
    """The tribe filter's choices, the user's own regions' tribes first."""
    tribes = list(Tribe.objects.order_by("name").values_list("pk", "name", "primary_region_id"))
    own = [(pk, name) for pk, name, region in tribes if region in region_ids]
    other = [(pk, name) for pk, name, region in tribes if region not in region_ids]
    if not own:
        return [("", "Any tribe"), *other]
    return [("", "Any tribe"), ("Your region", own), ("Other tribes", other)]
