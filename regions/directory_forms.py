"""The form that adds or edits a directory entry, and the import's upload and confirm
forms.

The rules are regions.services' (`provider_check`): the form only turns what was typed
into a `ProviderInput` and puts each of the service's messages next to its field. A field
the service requires is marked required here too, with the service's own words for it
left empty, so one wording is shown whichever notices first.
"""

from functools import cached_property

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, Q, Value, When

from hubnet.csv_import import MAX_BYTES, MAX_ROWS
from regions.models import Agency, County, Provider, ProviderKind, Region, ServiceType, Tribe
from regions.services import ProviderInput, provider_check

AGE_MESSAGE = "Give an age from 0 to 30, or leave it empty."


def _service_messages_when_empty() -> dict[str, str]:
    try:
        provider_check(ProviderInput(), region=None)
    except ValidationError as invalid:
        return {field: messages[0] for field, messages in invalid.message_dict.items()}
    return {}


class ServiceErrors:
    """For a form on the one write path: the service's ValidationError shown on the form,
    each message next to its field, those of no field of the form at the top."""

    def add_service_errors(self, invalid: ValidationError, *, skip_fields_in_error=False):
        if not hasattr(invalid, "error_dict"):
            for message in invalid.messages:
                self.add_error(None, message)
            return
        for name, messages in invalid.message_dict.items():
            field = name if name in self.fields else None
            if skip_fields_in_error and field in self.errors:
                continue
            for message in messages:
                self.add_error(field, message)


def _age_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=30,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 30}),
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), AGE_MESSAGE),
    )


class ProviderForm(ServiceErrors, forms.Form):
    """Add (`regions`: the regions whose directory the user keeps; a choice only when
    there are several) or edit (`provider`: its region fixed) a directory entry."""

    use_required_attribute = False  # the messages come from the server, next to the field

    region = forms.ModelChoiceField(
        queryset=Region.objects.none(),
        empty_label="Choose the region",
        help_text="The region whose directory lists it.",
        error_messages={
            "required": "Choose the region whose directory lists it.",
            "invalid_choice": "Choose one of the regions whose directory you keep.",
        },
    )
    name = forms.CharField(widget=forms.TextInput(attrs={"maxlength": 200}))
    kind = forms.ChoiceField(
        choices=[("", "Choose the kind"), *ProviderKind.choices],
        error_messages={"invalid_choice": "Choose what kind of provider it is."},
    )
    agency = forms.ModelChoiceField(
        label="HubNet agency",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="None: an outside organisation",
        help_text="When the provider is one of the region's HubNet agencies (its staff use "
        "HubNet). Optional.",
        error_messages={"invalid_choice": "Choose one of the region's agencies, or none."},
    )
    active = forms.BooleanField(
        label="Active: list it in searches and referrals",
        required=False,
        initial=True,
        help_text="Untick when it closes or stops taking referrals; it stays on the needs "
        "that name it.",
    )
    service_types = forms.ModelMultipleChoiceField(
        label="Services offered",
        queryset=ServiceType.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose services from the list."},
    )
    trafficking_specialised = forms.BooleanField(
        label="Specialised in trafficking", required=False
    )
    trauma_informed = forms.BooleanField(label="Trauma-informed", required=False)
    culturally_specific = forms.BooleanField(
        label="Culturally specific",
        required=False,
        help_text="For example tribal, Hmong or Latino services.",
    )
    capacity_notes = forms.CharField(
        label="Capacity notes",
        required=False,
        help_text="Waiting lists, beds, what it cannot take. No youth's name or details.",
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
    )
    counties = forms.ModelMultipleChoiceField(
        label="Counties served",
        queryset=County.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose counties from the list."},
    )
    tribes = forms.ModelMultipleChoiceField(
        label="Tribes served",
        queryset=Tribe.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional.",
        error_messages={"invalid_choice": "Choose tribes from the list."},
    )
    min_age = _age_field("Youngest age served")
    max_age = _age_field("Oldest age served")
    languages = forms.CharField(
        required=False,
        help_text='Separated by ";": English; Spanish; Hmong.',
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )
    phone = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 40, "type": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 254, "type": "email", "autocomplete": "off"}),
    )
    hours = forms.CharField(
        label="Hours or how to reach",
        required=False,
        help_text="For example: Mon-Fri 8-4:30; crisis line 24/7.",
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )
    address = forms.CharField(required=False, widget=forms.TextInput(attrs={"maxlength": 300}))
    how_to_refer = forms.CharField(
        label="How to refer",
        required=False,
        help_text="What a worker does to make a referral: who to call, a form to send, "
        "what to have ready.",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )

    def __init__(self, *args, regions=(), provider: Provider | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.regions = [provider.region] if provider else list(regions)
        if provider is not None or len(self.regions) == 1:
            self.fixed_region = self.regions[0]
            del self.fields["region"]
        else:
            self.fixed_region = None
            self.fields["region"].queryset = Region.objects.filter(
                pk__in=[r.pk for r in self.regions]
            )
        region_ids = [r.pk for r in self.regions]
        several = len(self.regions) > 1
        self.fields["agency"].queryset = (
            Agency.objects.filter(region__in=region_ids)
            .select_related("region")
            .order_by("region__number", "name")
        )
        if several:
            self.fields["agency"].label_from_instance = lambda agency: (
                f"{agency.name} (Region {agency.region.number})"
            )
        # Inactive service types are offered only where the entry already names them.
        offered = Q(active=True)
        if provider is not None:
            offered |= Q(providers=provider)
        self.fields["service_types"].queryset = (
            ServiceType.objects.filter(offered).distinct().order_by("order", "label")
        )
        # The region's own counties first, so the first checkbox (where the error summary
        # points) is one of them, not a county of region 1.
        self.fields["counties"].queryset = (
            County.objects.select_related("region")
            .annotate(other=Case(When(region__in=region_ids, then=Value(0)), default=Value(1)))
            .order_by("other", "region__number", "name")
        )
        self.fields["counties"].label_from_instance = lambda county: county.name
        for name, message in _service_messages_when_empty().items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message

    @classmethod
    def initial_of(cls, provider: Provider) -> dict:
        """What the form starts with when an entry is edited."""
        initial = {
            name: getattr(provider, name)
            for name in (
                "name",
                "kind",
                "active",
                "trafficking_specialised",
                "trauma_informed",
                "culturally_specific",
                "capacity_notes",
                "min_age",
                "max_age",
                "languages",
                "phone",
                "email",
                "address",
                "hours",
                "how_to_refer",
            )
        }
        initial["agency"] = provider.agency_id
        for name in ("service_types", "counties", "tribes"):
            initial[name] = [item.pk for item in getattr(provider, name).all()]
        return initial

    @property
    def chosen_region(self) -> Region | None:
        if self.fixed_region is not None:
            return self.fixed_region
        return self.cleaned_data.get("region") if hasattr(self, "cleaned_data") else None

    def provider_input(self) -> ProviderInput:
        """What was typed (only what parsed) as the service's input."""
        data = self.cleaned_data
        return ProviderInput(
            name=data.get("name") or "",
            kind=data.get("kind") or "",
            agency=data.get("agency"),
            service_types=list(data.get("service_types") or []),
            counties=list(data.get("counties") or []),
            tribes=list(data.get("tribes") or []),
            min_age=data.get("min_age"),
            max_age=data.get("max_age"),
            languages=data.get("languages") or "",
            trafficking_specialised=bool(data.get("trafficking_specialised")),
            trauma_informed=bool(data.get("trauma_informed")),
            culturally_specific=bool(data.get("culturally_specific")),
            capacity_notes=data.get("capacity_notes") or "",
            phone=data.get("phone") or "",
            email=data.get("email") or "",
            address=data.get("address") or "",
            hours=data.get("hours") or "",
            how_to_refer=data.get("how_to_refer") or "",
            active=bool(data.get("active")),
        )

    def check(self) -> bool:
        """The form's own parsing, then the service's rules on what parsed, so every
        mistake is listed at once. True when there is none."""
        self.is_valid()
        data = self.provider_input()
        region = self.chosen_region
        if data.agency is not None and region is not None and data.agency.region_id != region.pk:
            self.add_error("agency", f"Choose one of {region}'s agencies, or none.")
        try:
            provider_check(
                data, region=region, provider_id=self.provider.pk if self.provider else None
            )
        except ValidationError as invalid:
            self.add_service_errors(invalid, skip_fields_in_error=True)
        return not self.errors

    # ---------------------------------------------------------------- for the template

    @cached_property
    def county_groups(self) -> list[dict]:
        """The counties' checkboxes by region: the entry's region (or the user's regions)
        first and open, the others folded."""
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
        return sorted(groups.values(), key=lambda g: (not g["own"], g["region"].number))

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
    def tribes_chosen(self) -> int:
        return len(self["tribes"].value() or [])


class ImportForm(forms.Form):
    region = forms.TypedChoiceField(label="Region", coerce=int)
    file = forms.FileField(
        label="CSV file",
        allow_empty_file=True,
        help_text=f"Saved from the template as 'CSV UTF-8'; up to {MAX_ROWS} providers "
        f"and {MAX_BYTES // 1024 // 1024} MB.",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, regions: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        field.choices = [(r.number, str(r)) for r in regions]
        field.initial = regions[0].number
        if len(regions) == 1:
            field.widget = forms.HiddenInput()
        else:
            field.help_text = "The providers are added to this region's directory."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is over {MAX_BYTES // 1024 // 1024} MB; split it into smaller files."
            )
        return upload
