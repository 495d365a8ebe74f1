"""Caseload filters, shared by the caseload page and the cases API.

They only ever narrow a queryset that came through `cases_visible_to`.
"""

import django_filters
from django.core.validators import RegexValidator

from cases.models import OPEN_STATUSES, Status
from cases.selectors import case_search_condition
from regions.models import Agency


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("open", "All open"), *Status.choices],
        method="filter_status",
        empty_label="Any status",
    )
    county = django_filters.CharFilter(field_name="county__fips", label="County (FIPS code)")
    region = django_filters.NumberFilter(field_name="region__number", label="Region (1-7)")
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label="Agency id")
    worker = django_filters.CharFilter(
        method="filter_worker",
        label="Assigned worker ('me', 'none' or a user id)",
        validators=[RegexValidator(r"^(me|none|[0-9]{1,18})$", "Use 'me', 'none' or a user id.")],
    )
    q = django_filters.CharFilter(method="filter_q", label="Search: case number or youth's name")

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

    def filter_q(self, queryset, name, value):
        return queryset.filter(case_search_condition(value)) if value.strip() else queryset


def case_filter_counties(cases):
    """(FIPS, name) of the counties the visible cases are in, for the county filter."""
    rows = cases.order_by("county__name").values_list("county__fips", "county__name").distinct()
    return [("", "Any county"), *rows]
