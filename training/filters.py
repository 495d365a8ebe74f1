"""Training filters, shared by the list page, its exports and the trainings API.

They only narrow a queryset that came through `trainings_visible_to`. Filters on a
related row (topic, sector, county, tribe) are EXISTS subqueries, so a training is
listed once however many of its rows match.
"""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from regions.models import Tribe
from regions.quarters import Quarter
from training.models import (
    Attendance,
    Sector,
    Topic,
    Training,
    TrainingFormat,
    TrainingStatus,
    TrainingTopic,
)


def _quarter(value: str) -> None:
    try:
        Quarter.parse(value)
    except ValueError as invalid:
        raise ValidationError(str(invalid)) from invalid


class TrainingFilter(django_filters.FilterSet):
    quarter = django_filters.CharFilter(
        method="filter_quarter", label="Quarter (e.g. 2026Q3)", validators=[_quarter]
    )
    region = django_filters.NumberFilter(field_name="region__number", label="Region (1-7)")
    topic = django_filters.ChoiceFilter(
        choices=Topic.choices, method="filter_topic", empty_label="Any topic"
    )
    sector = django_filters.ChoiceFilter(
        choices=Sector.choices,
        method="filter_sector",
        label="Sector trained",
        empty_label="Any sector",
    )
    county = django_filters.CharFilter(method="filter_county", label="County reached (FIPS)")
    tribe = django_filters.ModelChoiceFilter(
        queryset=Tribe.objects.all(), method="filter_tribe", label="Tribe reached (id)"
    )
    format = django_filters.ChoiceFilter(choices=TrainingFormat.choices, empty_label="Any format")
    status = django_filters.ChoiceFilter(
        choices=TrainingStatus.choices, empty_label="Planned and delivered"
    )
    q = django_filters.CharFilter(method="filter_q", label="Search: title, venue, presenters")

    class Meta:
        model = Training
        fields = ["quarter", "region", "topic", "sector", "county", "tribe", "format", "status"]

    def filter_quarter(self, queryset, name, value):
        quarter = Quarter.parse(value)
        return queryset.filter(date__gte=quarter.start.date(), date__lt=quarter.end.date())

    def filter_topic(self, queryset, name, value):
        return queryset.filter(
            Exists(TrainingTopic.objects.filter(training=OuterRef("pk"), topic=value))
        )

    def filter_sector(self, queryset, name, value):
        return queryset.filter(
            Exists(Attendance.objects.filter(training=OuterRef("pk"), sector=value))
        )

    def filter_county(self, queryset, name, value):
        reached = Training.counties.through.objects.filter(
            training=OuterRef("pk"), county__fips=value
        )
        return queryset.filter(Exists(reached))

    @extend_schema_field(OpenApiTypes.INT)  # a tribe's id (not guessable from a method)
    def filter_tribe(self, queryset, name, value):
        reached = Training.tribes.through.objects.filter(training=OuterRef("pk"), tribe=value)
        return queryset.filter(Exists(reached))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(venue__icontains=value) | Q(presenters__icontains=value)
        )

    @property
    def qs(self):
        trainings = super().qs
        # Without a status chosen, cancelled trainings are left out (kept for the record,
        # shown when asked for).
        if not (
            self.form.is_bound and self.form.is_valid() and self.form.cleaned_data.get("status")
        ):
            trainings = trainings.exclude(status=TrainingStatus.CANCELLED)
        return trainings
