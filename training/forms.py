"""The form that logs or edits a training, and the one that cancels it.

The rules are training.services' (`training_check`): the form only turns what was typed
into a `TrainingInput` and puts each of the service's messages next to its field. A field
the service requires is marked required here too, with the service's own words for it
left empty, so one wording is shown whichever notices first.
"""

import datetime
from decimal import Decimal
from functools import cached_property

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, Value, When

from regions.models import Agency, County, Region, Tribe
from training.models import MAX_PER_SECTOR, Sector, Topic, TrainingFormat
from training.services import TrainingInput, training_check

ATTENDANCE_PREFIX = "attendance_"
HUNDREDTH = Decimal("0.01")


def _service_messages_when_empty() -> dict[str, str]:
    try:
        training_check(TrainingInput())
    except ValidationError as invalid:
        return {field: messages[0] for field, messages in invalid.message_dict.items()}
    return {}


def _hundredths(hours: Decimal | None) -> Decimal | None:
    """2 typed as 2.00, as stored, so an unchanged length is not recorded as a change;
    a length with more decimals is left for the service to refuse."""
    if hours is not None and abs(hours) < 1000 and hours == hours.quantize(HUNDREDTH):
        return hours.quantize(HUNDREDTH)
    return hours


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class ServiceErrors:
    """For a form on the one write path: the service's ValidationError shown on the
    form, each message next to its field, those of no field of the form at the top."""

    def add_service_errors(self, invalid: ValidationError, *, skip_fields_in_error=False):
        """`invalid`'s messages on their fields; `skip_fields_in_error`: not on a field
        that already shows one of the form's own."""
        if not hasattr(invalid, "error_dict"):
            for message in invalid.messages:
                self.add_error(None, message)
            return
        for name, messages in invalid.message_dict.items():
            field = self._field_of(name)
            if skip_fields_in_error and field in self.errors:
                continue
            for message in messages:
                self.add_error(field, message)

    def _field_of(self, name: str) -> str | None:
        """The form field showing the service's messages about `name`."""
        return name if name in self.fields else None


class TrainingForm(ServiceErrors, forms.Form):
    """Log (`regions`: the regions the user manages; a choice only when there are
    several) or edit (`region`: the training's, fixed) a training."""

    use_required_attribute = False  # the messages come from the server, next to the field

    region = forms.ModelChoiceField(
        queryset=Region.objects.none(),
        empty_label="Choose the region",
        error_messages={
            "required": "Choose the region the training belongs to.",
            "invalid_choice": "Choose one of the regions whose trainings you log.",
        },
    )
    title = forms.CharField(widget=forms.TextInput(attrs={"maxlength": 200}))
    date = forms.DateField(
        widget=DateInput(),
        error_messages={"invalid": "Enter a real date, like 2026-03-14."},
    )
    start_time = forms.TimeField(
        required=False,
        widget=TimeInput(),
        help_text="Optional.",
        error_messages={"invalid": "Enter a time of day, like 09:30."},
    )
    duration_hours = forms.DecimalField(
        label="Duration in hours",
        help_text="In quarter hours: 1.5 for an hour and a half.",
        widget=forms.NumberInput(
            attrs={"step": "0.25", "min": "0.25", "max": "80", "inputmode": "decimal"}
        ),
        error_messages={"invalid": "Give the length in hours as a number, like 1.5."},
    )
    format = forms.ChoiceField(choices=TrainingFormat.choices, widget=forms.RadioSelect)
    topics = forms.MultipleChoiceField(choices=Topic.choices, widget=forms.CheckboxSelectMultiple)
    delivered_by_hub = forms.BooleanField(
        label="Delivered by the hub's own people", required=False, initial=True
    )
    partner_agencies = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose partner agencies from the list."},
    )
    presenters = forms.CharField(
        label="Other presenters",
        required=False,
        help_text="Other people or organisations who presented, as text.",
        widget=forms.TextInput(attrs={"maxlength": 300}),
    )
    venue = forms.CharField(
        label="Host or venue", required=False, widget=forms.TextInput(attrs={"maxlength": 200})
    )
    counties = forms.ModelMultipleChoiceField(
        label="Counties reached",
        queryset=County.objects.select_related("region").order_by("region__number", "name"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose counties from the list."},
    )
    tribes = forms.ModelMultipleChoiceField(
        label="Tribes reached",
        queryset=Tribe.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional.",
        error_messages={"invalid_choice": "Choose tribes from the list."},
    )
    youth_attendees = forms.IntegerField(
        label="Of the attendees, how many were youth",
        required=False,
        min_value=0,
        help_text="Optional.",
        error_messages={
            "invalid": "Give the number of youth attendees as a whole number.",
            "min_value": "Give the number of youth attendees as a whole number.",
        },
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="No names or personal details of attendees.",
    )
    # When the edited training was last changed, as loaded: saving over a newer change is
    # refused (training.services.TrainingConflict).
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, regions=(), region=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = [region] if region else list(regions)
        if region is not None or len(self.regions) == 1:
            self.fixed_region = self.regions[0]
            del self.fields["region"]
        else:
            self.fixed_region = None
            self.fields["region"].queryset = Region.objects.filter(
                pk__in=[r.pk for r in self.regions]
            )
        self.fields["counties"].label_from_instance = lambda county: county.name
        # The region's own counties first, so the first checkbox (where the error summary
        # points) is one of them, not a folded county of region 1.
        self.fields["counties"].queryset = (
            County.objects.select_related("region")
            .annotate(
                other=Case(
                    When(region__in=[r.pk for r in self.regions], then=Value(0)), default=Value(1)
                )
            )
            .order_by("other", "region__number", "name")
        )
        self.fields["partner_agencies"].queryset = (
            Agency.objects.filter(region__in=self.regions)
            .select_related("region")
            .order_by("region__number", "name")
        )
        for sector in Sector:
            self.fields[ATTENDANCE_PREFIX + sector.value] = forms.IntegerField(
                label=sector.label,
                required=False,
                min_value=0,
                max_value=MAX_PER_SECTOR,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
                error_messages={
                    key: f"Give {sector.label.lower()} attendance as a whole number "
                    f"from 0 to {MAX_PER_SECTOR:,}."
                    for key in ("invalid", "min_value", "max_value")
                },
            )
        # In the page's order, so the error summary lists mistakes top to bottom.
        self.order_fields(
            [name for name in self.fields if name not in ("youth_attendees", "notes")]
            + ["youth_attendees", "notes"]
        )
        for name, message in _service_messages_when_empty().items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message

    @classmethod
    def initial_of(cls, data: TrainingInput) -> dict:
        """What the form starts with when a training is edited."""
        initial = {
            name: getattr(data, name)
            for name in (
                "title",
                "date",
                "start_time",
                "duration_hours",
                "format",
                "topics",
                "delivered_by_hub",
                "partner_agencies",
                "presenters",
                "venue",
                "counties",
                "tribes",
                "youth_attendees",
                "notes",
            )
        }
        if data.duration_hours is not None:  # 1.5, not 1.50
            hours = f"{data.duration_hours:f}"
            initial["duration_hours"] = hours.rstrip("0").rstrip(".") if "." in hours else hours
        for sector, count in data.attendance.items():
            initial[ATTENDANCE_PREFIX + sector] = count
        return initial

    @property
    def version_loaded(self) -> datetime.datetime | None:
        text = self.cleaned_data.get("version") if hasattr(self, "cleaned_data") else ""
        try:
            return datetime.datetime.fromisoformat(text) if text else None
        except ValueError:
            return None

    @property
    def chosen_region(self) -> Region | None:
        if self.fixed_region is not None:
            return self.fixed_region
        return self.cleaned_data.get("region") if hasattr(self, "cleaned_data") else None

    def training_input(self) -> TrainingInput:
        """What was typed (only what parsed) as the service's input."""
        data = self.cleaned_data
        return TrainingInput(
            title=data.get("title") or "",
            date=data.get("date"),
            start_time=data.get("start_time"),
            duration_hours=_hundredths(data.get("duration_hours")),
            format=data.get("format") or "",
            topics=list(data.get("topics") or []),
            delivered_by_hub=bool(data.get("delivered_by_hub")),
            partner_agencies=list(data.get("partner_agencies") or []),
            presenters=data.get("presenters") or "",
            venue=data.get("venue") or "",
            counties=list(data.get("counties") or []),
            tribes=list(data.get("tribes") or []),
            attendance={
                sector: data[ATTENDANCE_PREFIX + sector]
                for sector in Sector.values
                if data.get(ATTENDANCE_PREFIX + sector) is not None
            },
            youth_attendees=data.get("youth_attendees"),
            notes=data.get("notes") or "",
        )

    def check(self) -> bool:
        """The form's own parsing, then the service's rules on what parsed, so every
        mistake is listed at once. True when there is none."""
        self.is_valid()
        try:
            training_check(self.training_input(), region=self.chosen_region)
        except ValidationError as invalid:
            self.add_service_errors(invalid, skip_fields_in_error=True)
        return not self.errors

    def _field_of(self, name: str) -> str | None:
        """Attendance is the sectors' group: its messages go to the first sector."""
        if name == "attendance":
            return self.attendance_fields[0].name
        return super()._field_of(name)

    # ---------------------------------------------------------------- for the template

    @cached_property
    def attendance_fields(self) -> list:
        return [self[ATTENDANCE_PREFIX + sector] for sector in Sector.values]

    @cached_property
    def county_groups(self) -> list[dict]:
        """The counties' checkboxes by region: the training's region (or the user's
        regions) first and open, the others folded."""
        own = {region.pk for region in self.regions}
        groups: dict[int, dict] = {}
        for option in self["counties"]:
            county = option.data["value"].instance
            group = groups.setdefault(
                county.region_id,
                {"region": county.region, "own": county.region_id in own, "options": []},
            )
            group["options"].append(option)
        for group in groups.values():
            group["chosen"] = sum(1 for option in group["options"] if option.data["selected"])
        ordered = sorted(groups.values(), key=lambda g: (not g["own"], g["region"].number))
        return ordered

    @property
    def own_county_groups(self) -> list[dict]:
        return [group for group in self.county_groups if group["own"]]

    @property
    def other_county_groups(self) -> list[dict]:
        return [group for group in self.county_groups if not group["own"]]

    @property
    def other_counties_chosen(self) -> int:
        return sum(group["chosen"] for group in self.other_county_groups)

    @property
    def partner_agencies_chosen(self) -> int:
        return len(self["partner_agencies"].value() or [])


class CancelForm(ServiceErrors, forms.Form):
    use_required_attribute = False

    reason = forms.CharField(
        label="Why was it cancelled?",
        max_length=300,
        widget=forms.TextInput(attrs={"maxlength": 300}),
        help_text="Kept with the training, for the record. No names of attendees.",
        error_messages={
            "required": "Say why the training was cancelled.",
            "max_length": "Keep the reason to 300 characters.",
        },
    )
