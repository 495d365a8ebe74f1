import copy

from django import forms
from django.forms.utils import pretty_name
from django.utils import timezone

from cases.models import (
    CLOCK_SKEW,
    ClosureReason,
    Indicator,
    LegalBasis,
    NeedStatus,
    Referral,
    ReferralSource,
    ScreeningOutcome,
    UnavailableReason,
    Youth,
)
from cases.services import routing_agencies
from cases.steps import SCREENING_FILLED_KEYS, step_form_class
from cases.widgets import DateInput, DateTimeInput
from hubnet.forms import QuickSelect
from regions.models import Agency, AgencyKind, County, Provider, ServiceType, Tribe


def _plain_messages(name: str, field: forms.Field) -> dict[str, str]:
    """Django's default messages ("This field is required.") said in plain words, naming
    the field: the error summary lists them away from their fields."""
    label = str(field.label or pretty_name(name))
    quoted = f"“{label}”".replace("%", "%%")  # these messages may be %-formatted
    if isinstance(field, forms.BooleanField):
        required = f"Tick {quoted} to go on."
    elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        required = f"Choose an answer for {quoted}."
    elif isinstance(field, forms.DateField | forms.DateTimeField):
        required = f"Enter a date for {quoted}."
    else:
        required = f"Fill in {quoted}."
    messages = {
        "required": required,
        "invalid_choice": f"Choose one of the options offered for {quoted}.",
        "max_length": f"Use %(limit_value)d characters or fewer for {quoted} "
        "(this has %(show_value)d).",
        "max_value": f"{quoted} can be at most %(limit_value)s.",
        "min_value": f"{quoted} can be no less than %(limit_value)s.",
    }
    if isinstance(field, forms.DateTimeField):
        messages["invalid"] = f"Enter a real date and time for {quoted}."
    elif isinstance(field, forms.DateField):
        messages["invalid"] = f"Enter a real date for {quoted}."
    elif isinstance(field, forms.IntegerField):
        messages["invalid"] = f"Enter a whole number for {quoted}."
    return messages


class PlainMessages:
    """Error messages in plain words instead of Django's defaults: `plain_messages` says
    what to write per field and error code; every other field gets a message naming it."""

    plain_messages: dict[str, dict[str, str]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.error_messages = {
                **field.error_messages,
                **_plain_messages(name, field),
                **self.plain_messages.get(name, {}),
            }


def _ask_without_default(form: forms.BaseForm, name: str, placeholder: str = "") -> None:
    """A required choice the user must make: nothing chosen in advance (the model's default
    is for API clients that leave it out); a select starts on `placeholder`."""
    field = form.fields[name]
    field.initial = None
    form.initial.pop(name, None)
    if placeholder:
        field.choices = [("", placeholder), *[c for c in field.choices if c[0] != ""]]


class StatusAwareForm(forms.Form):
    """Carries the status the user saw, so a change made meanwhile is caught (409)."""

    expected_status = forms.CharField(widget=forms.HiddenInput, required=False)


class CountySelect(QuickSelect):
    """Each county option carries its region number, so the page can warn at once when a
    youth's county is in another hub's region."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        county = getattr(value, "instance", None)
        if county is not None:
            option["attrs"]["data-region"] = county.region.number
        return option


class YouthForm(PlainMessages, forms.ModelForm):
    # In the order the page shows them, so the error summary lists errors in that order.
    class Meta:
        model = Youth
        fields = [
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "languages",
            "date_of_birth",
            "estimated_age",
            "gender",
            "race_ethnicity",
            "county",
            "tribe",
            "address",
            "safe_at_home",
            "missing_from_care",
            "current_location",
            "guardian_name",
            "guardian_relationship",
            "guardian_contact",
        ]
        widgets = {"date_of_birth": DateInput(), "county": CountySelect()}
        labels = {
            "guardian_name": "Name of parent, guardian or caregiver",
            "guardian_contact": "Their phone or email",
        }

    plain_messages = {
        "legal_first_name": {"required": "Enter the youth's legal first name."},
        "legal_last_name": {"required": "Enter the youth's legal last name."},
        "date_of_birth": {
            "invalid": "Enter the date of birth as a real date, or leave it empty and give "
            "an estimated age."
        },
        "estimated_age": {
            "invalid": "Enter the estimated age as a whole number of years.",
            "max_value": "Enter an estimated age of 25 or under.",
            "min_value": "Enter an estimated age of 0 or more.",
        },
        "gender": {"required": "Choose the youth's gender, or “Unknown or not disclosed”."},
        "race_ethnicity": {
            "required": "Choose the youth's race or ethnicity, or “Unknown or not disclosed”."
        },
        "county": {
            "required": "Choose the county where the youth lives.",
            "invalid_choice": "Choose the county from the list.",
        },
        "tribe": {"invalid_choice": "Choose the tribal affiliation from the list."},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = County.objects.select_related("region").order_by("name")
        self.fields["county"].empty_label = "Choose a county"
        self.fields["tribe"].queryset = Tribe.objects.order_by("name")
        self.fields["tribe"].empty_label = "None recorded"
        _ask_without_default(self, "gender", "Choose gender")
        _ask_without_default(self, "race_ethnicity", "Choose race/ethnicity")
        self.fields["date_of_birth"].help_text = "Leave empty if it is not known."
        self.fields["estimated_age"].help_text = "In years, when the date of birth is unknown."
        self.fields[
            "address"
        ].help_text = "Never shown for a Safe at Home participant, and never exported."
        self.fields[
            "guardian_contact"
        ].help_text = "Leave empty if contacting them could put the youth at risk."
        for name in ("legal_first_name", "legal_last_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def validate_constraints(self, exclude=None):
        # region is set by the service; the birth-date-or-age rule is Youth.clean().
        pass


class LinkedYouthForm(YouthForm):
    """The youth fields sent with a referral linked to a known youth: only what was sent is
    checked, field by field (the record's own fields are shown read-only and not sent);
    the service compares it with the record."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def _post_clean(self):
        pass  # no new Youth is built from these fields

    def typed(self) -> dict:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if self.add_prefix(name) in self.data or name == "missing_from_care"
        }


INDICATOR_CATEGORIES = {
    "history": "History",
    "relationships": "Relationships",
    "physical": "Physical signs",
    "possessions": "Money and possessions",
    "school": "School",
    "online": "Online",
    "travel": "Travel and identification",
    "behaviour": "Behaviour",
    "labor": "Work and labor",
}


class ReferralForm(PlainMessages, forms.ModelForm):
    # In the order the page shows them, so the error summary lists errors in that order.
    class Meta:
        model = Referral
        fields = [
            "received_at",
            "source",
            "reporter_name",
            "reporter_contact",
            "narrative",
            "suspected_exploitation",
            "imminent_danger",
            "indicators",
        ]
        widgets = {
            "received_at": DateTimeInput(),
            "narrative": forms.Textarea(attrs={"rows": 5}),
            "suspected_exploitation": forms.RadioSelect,
            "indicators": forms.CheckboxSelectMultiple,
        }
        labels = {
            "imminent_danger": "Imminent danger reported",
            "suspected_exploitation": "Suspected exploitation",
        }

    plain_messages = {
        "received_at": {
            "required": "Enter when the referral was received.",
            "invalid": "Enter the date and time the referral was received.",
        },
        "source": {
            "required": "Choose who made the referral (the source).",
            "invalid_choice": "Choose the source from the list.",
        },
        "narrative": {"required": "Describe the concerns: what was observed or reported."},
        "suspected_exploitation": {
            "required": "Choose the suspected exploitation, or “Unknown”.",
            "invalid_choice": "Choose the suspected exploitation from the options.",
        },
        "indicators": {"invalid_choice": "Choose indicators from the list only."},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        self.fields["source"].choices = [("", "Choose a source"), *ReferralSource.choices]
        _ask_without_default(self, "suspected_exploitation")
        self.fields[
            "suspected_exploitation"
        ].help_text = "Choose “Unknown” if it is not clear yet."
        self.fields["indicators"].queryset = Indicator.objects.filter(active=True)
        self.fields[
            "indicators"
        ].help_text = "Indicators inform a trained person's judgement; one alone proves nothing."
        self.fields["existing_youth"] = forms.UUIDField(required=False, widget=forms.HiddenInput)
        self.fields["handover"] = forms.BooleanField(
            required=False,
            label="Hand over to that region's hub",
        )

    @property
    def indicator_groups(self) -> list[tuple[str, list]]:
        """The indicator checkboxes by category (`Indicator.category`), in the order the
        categories first come, each with its heading."""
        groups: dict[str, list] = {}
        for option in self["indicators"].subwidgets:
            category = option.data["value"].instance.category
            groups.setdefault(category, []).append(option)
        return [
            (INDICATOR_CATEGORIES.get(key, key.replace("_", " ").capitalize()), options)
            for key, options in groups.items()
        ]

    def clean_received_at(self):
        received_at = self.cleaned_data["received_at"]
        if received_at > timezone.now() + CLOCK_SKEW:
            raise forms.ValidationError("The referral cannot be received in the future.")
        return received_at


class ScreenForm(StatusAwareForm):
    outcome = forms.ChoiceField(
        label="Screening outcome", choices=ScreeningOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Screening note", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, step_definition=None, **kwargs):
        """`step_definition`: the protocol's screening step, while it is to do. The form then
        also asks for that step's fields the screening does not fill (e.g. the tool used),
        so saving the screening records the step too; left empty, the step waits."""
        super().__init__(*args, **kwargs)
        self.step_keys: list[str] = []
        if step_definition is None:
            return
        for key, field in step_form_class(step_definition).base_fields.items():
            if key in SCREENING_FILLED_KEYS or key in self.fields:
                continue
            field = copy.deepcopy(field)
            field.required = False
            field.help_text = (
                f"Records the protocol step '{step_definition.title}' with the screening. "
                "Leave it empty to record that step later."
            )
            self.fields[key] = field
            self.step_keys.append(key)

    @property
    def step_fields(self) -> list:
        return [self[key] for key in self.step_keys]

    def clean(self):
        """`step_fields`: what was entered for the screening step's own fields, if anything."""
        cleaned = super().clean()
        cleaned["step_fields"] = {
            key: cleaned[key] for key in self.step_keys if cleaned.get(key) not in (None, "")
        }
        return cleaned


# Agencies in a select: grouped by region and kind ("Region 2 · County agencies"), the
# agencies serving the youth's own county or tribe first, in a group of their own.
AGENCY_KIND_GROUPS = {
    AgencyKind.COUNTY_HUMAN_SERVICES: "County agencies",
    AgencyKind.TRIBAL_SOCIAL_SERVICES: "Tribal agencies",
    AgencyKind.LAW_ENFORCEMENT: "Law enforcement",
    AgencyKind.SCHOOL: "Schools",
    AgencyKind.HEALTH_CARE: "Health care",
    AgencyKind.VICTIM_SERVICES: "Victim service providers",
    AgencyKind.OTHER: "Other agencies",
}
_KIND_ORDER = {kind: index for index, kind in enumerate(AGENCY_KIND_GROUPS)}
SERVES_THE_YOUTH = "Serves the youth's county or tribe"


def agency_serves_youth(agency: Agency, youth: Youth) -> bool:
    """The agency serves the youth's county or tribe (`routing_agencies`' `serves_youth`)."""
    return agency.county_id == youth.county_id or (
        youth.tribe_id is not None and agency.tribe_id == youth.tribe_id
    )


def agency_optgroups(agencies, *, label=str, region_first=None, note: str = "") -> list:
    """`agencies` (region joined in) as optgroups by region (`region_first`, a region number,
    first; then in number order) and kind: "Region 2 · County agencies`note`". Resource
    Agencies first within a group, then by name; each option labelled by `label`."""
    groups: dict[tuple, list] = {}
    for agency in sorted(
        agencies,
        key=lambda a: (
            a.region.number != region_first,
            a.region.number,
            _KIND_ORDER.get(a.kind, len(_KIND_ORDER)),
            not a.is_resource_agency,
            a.name,
        ),
    ):
        groups.setdefault((agency.region.number, agency.kind), []).append(
            (agency.pk, label(agency))
        )
    return [
        (f"Region {number} · {AGENCY_KIND_GROUPS.get(kind, 'Other agencies')}{note}", options)
        for (number, kind), options in groups.items()
    ]


def _day(day) -> str:
    return f"{day:%b} {day.day}, {day.year}"


class RouteForm(StatusAwareForm):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Route to agency")
    legal_basis = forms.ChoiceField(
        label="Legal basis (only for an agency outside the youth's county or tribe)",
        choices=[("", "Consent on file, or not needed"), *LegalBasis.choices[1:]],
        required=False,
    )
    reason = forms.CharField(
        label="Note to the agency", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, case, consents=(), **kwargs):
        """`consents`: the case's consents; an agency outside the youth's county or tribe
        that one of them currently allows sharing with says so in its option."""
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = routing_agencies(case)
        agencies = list(routing_agencies(case).select_related("region"))
        on_file = {}
        for consent in consents:
            if consent.is_current():
                on_file[consent.recipient_id] = max(
                    consent.expires_on, on_file.get(consent.recipient_id, consent.expires_on)
                )

        def label(agency):
            text = agency.name
            if agency.is_resource_agency:
                text += " (Resource Agency)"
            if agency.region_id != case.region_id:
                text += f" · Region {agency.region.number}"
            if not agency.serves_youth and agency.pk in on_file:
                text += f" · consent on file until {_day(on_file[agency.pk])}"
            return text

        serving = [(a.pk, label(a)) for a in agencies if a.serves_youth]
        others = [a for a in agencies if not a.serves_youth]
        self.fields["agency"].choices = [
            ("", "Choose an agency"),
            (SERVES_THE_YOUTH, serving),
            *agency_optgroups(
                others,
                label=label,
                region_first=case.region.number,
                note=" (consent or legal basis needed)",
            ),
        ]


class ConfirmedForm(StatusAwareForm):
    """A consequential action: the first post asks "are you sure?" (cases.views), the
    second, from that page, says yes."""

    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)


class DeclineForm(PlainMessages, ConfirmedForm):
    plain_messages = {"reason": {"required": "Say why the referral is declined."}}

    reason = forms.CharField(
        label="Why is the referral declined?", widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(StatusAwareForm):
    worker = forms.ModelChoiceField(
        queryset=None,
        label="Assign to",
        empty_label="Choose a worker",
        error_messages={"required": "Choose the worker to assign the case to."},
    )

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers
        self.fields["worker"].label_from_instance = lambda u: u.get_full_name() or u.username


class NoteForm(PlainMessages, forms.Form):
    plain_messages = {"body": {"required": "Write the note before adding it."}}

    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(PlainMessages, ConfirmedForm):
    plain_messages = {
        "reason": {
            "required": "Choose why the case is closed.",
            "invalid_choice": "Choose the closure reason from the list.",
        }
    }

    reason = forms.ChoiceField(
        label="Closure reason", choices=[("", "Choose a reason"), *ClosureReason.choices]
    )
    note = forms.CharField(
        label="Closure note", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(PlainMessages, StatusAwareForm):
    plain_messages = {"reason": {"required": "Say why the case is reopened."}}

    reason = forms.CharField(
        label="Why is the case reopened?", widget=forms.Textarea(attrs={"rows": 2})
    )


class ConsentForm(PlainMessages, forms.Form):
    plain_messages = {
        "recipient": {
            "required": "Choose the agency the consent allows sharing with.",
            "invalid_choice": "Choose the agency from the list.",
        },
        "scope": {"required": "Say what may be shared, and why."},
        "signed_on": {
            "required": "Enter the date the consent was signed.",
            "invalid": "Enter the date the consent was signed as a real date.",
        },
        "expires_on": {
            "required": "Enter the date the consent expires.",
            "invalid": "Enter the date the consent expires as a real date.",
        },
    }

    recipient = forms.ModelChoiceField(
        queryset=Agency.objects.order_by("name"), label="Share with (agency)"
    )
    scope = forms.CharField(label="What may be shared, and why", max_length=200)
    youth_consented = forms.BooleanField(label="The youth consented in writing", required=False)
    guardian_consented = forms.BooleanField(
        label="A parent or guardian (not the alleged abuser) consented in writing", required=False
    )
    guardian_name = forms.CharField(label="Parent/guardian name", required=False, max_length=120)
    signed_on = forms.DateField(widget=DateInput())
    expires_on = forms.DateField(widget=DateInput())

    def __init__(self, *args, case=None, **kwargs):
        """With `case`, the agencies serving its youth's county or tribe come first. The
        agencies are read when the form is shown, not when it is made."""
        super().__init__(*args, **kwargs)
        self.fields["recipient"].choices = lambda: consent_recipient_choices(case)


def consent_recipient_choices(case=None) -> list:
    """Every agency a consent may name, grouped by region and kind, the case's region
    first; with `case`, the agencies serving its youth's county or tribe before them all."""
    agencies = list(Agency.objects.select_related("region"))
    if case is None:
        return [("", "Choose an agency"), *agency_optgroups(agencies)]
    serving = [a for a in agencies if agency_serves_youth(a, case.youth)]
    serving.sort(key=lambda a: (not a.is_resource_agency, a.name))
    return [
        ("", "Choose an agency"),
        (SERVES_THE_YOUTH, [(a.pk, a.name) for a in serving]),
        *agency_optgroups(
            [a for a in agencies if a not in serving], region_first=case.region.number
        ),
    ]


class YouthUpdateForm(forms.Form):
    missing_from_care = forms.BooleanField(label="The youth is missing from care", required=False)
    tribe = forms.ModelChoiceField(
        queryset=Tribe.objects.order_by("name"),
        required=False,
        label="Tribal affiliation",
        empty_label="None recorded",
    )


class SkipForm(forms.Form):
    reason = forms.CharField(
        label="Why is this step skipped?", widget=forms.Textarea(attrs={"rows": 2})
    )


# ----------------------------------------------------------------------------- needs

SERVES_THE_AGE = "Serves the youth's age"
OTHER_AGES = "Other ages"


def _ages(provider: Provider) -> str:
    if provider.min_age is None and provider.max_age is None:
        return ""
    if provider.max_age is None:
        return f"ages {provider.min_age}+"
    return f"ages {provider.min_age or 0} to {provider.max_age}"


def provider_choices(providers, age: int | None) -> list:
    """Directory providers (service types prefetched) as a select offers them: those
    serving the youth's age first, then the others with the ages they serve; each named
    with the services it offers."""

    def label(provider: Provider, *, ages: bool) -> str:
        services = ", ".join(t.label for t in provider.service_types.all())
        text = f"{provider.name} ({services})" if services else provider.name
        return f"{text} · {_ages(provider)}" if ages and _ages(provider) else text

    serving = [(p.pk, label(p, ages=False)) for p in providers if p.serves_age(age)]
    others = [(p.pk, label(p, ages=True)) for p in providers if not p.serves_age(age)]
    groups = []
    if serving:
        groups.append((SERVES_THE_AGE + (f" ({age})" if age is not None else ""), serving))
    if others:
        groups.append((OTHER_AGES, others))
    return groups


class NeedUpdateForm(PlainMessages, forms.Form):
    """What became of a service need. The provider is one of `providers` (the directory's,
    serving the youth's county; the need's own even if it no longer does) or, when not
    listed, named. The reason counts only with "Unavailable" (the page shows it then)."""

    plain_messages = {
        "status": {"required": "Choose what became of the need."},
        "provider": {"invalid_choice": "Choose the provider from the list, or name it below."},
    }

    status = forms.ChoiceField(label="Status", choices=NeedStatus.choices)
    reason = forms.ChoiceField(
        label="Why is it unavailable?",
        choices=[("", "Choose a reason"), *UnavailableReason.choices],
        required=False,
        help_text="Only when the status is “Unavailable”.",
    )
    provider = forms.ChoiceField(label="Provider (from the directory)", required=False)
    provider_name = forms.CharField(
        label="Or the provider's name, when it is not listed", required=False, max_length=200
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, providers=(), age: int | None = None, county=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.providers = {str(p.pk): p for p in providers}
        self.fields["provider"].choices = [
            ("", "None chosen"),
            *provider_choices(providers, age),
        ]
        where = f"{county.name} County" if county is not None else "the youth's county"
        listed = f"Providers serving {where}." if providers else f"None listed for {where}."
        self.fields["provider"].help_text = (
            f"{listed} A provider, listed or named, is needed when referred, receiving "
            "services or waitlisted."
        )

    def clean_provider(self) -> Provider | None:
        return self.providers.get(self.cleaned_data["provider"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") != NeedStatus.UNAVAILABLE:
            cleaned["reason"] = ""  # hidden with any other status: not what was meant
        elif not cleaned.get("reason") and "reason" not in self.errors:
            # The service says so too; said here, it comes with the form's other errors.
            self.add_error("reason", "Say why the service is unavailable.")
        if cleaned.get("provider") is not None and (cleaned.get("provider_name") or "").strip():
            self.add_error(
                "provider_name",
                "Choose the provider from the list or name one that is not listed, not both.",
            )
        return cleaned


class NeedForm(NeedUpdateForm):
    """A service need identified on a case, with what became of it so far."""

    plain_messages = {
        **NeedUpdateForm.plain_messages,
        "service_type": {
            "required": "Choose the kind of service the youth needs.",
            "invalid_choice": "Choose the service from the list.",
        },
        "identified_on": {
            "required": "Enter the date the need was identified.",
            "invalid": "Enter the date the need was identified as a real date.",
        },
    }
    field_order = [
        "service_type",
        "identified_on",
        "status",
        "reason",
        "provider",
        "provider_name",
        "notes",
    ]

    service_type = forms.ModelChoiceField(
        label="Service needed",
        queryset=ServiceType.objects.filter(active=True),
        empty_label="Choose a service",
    )
    identified_on = forms.DateField(label="Date identified", widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identified_on"].initial = timezone.localdate()
        self.fields["status"].initial = NeedStatus.IDENTIFIED
