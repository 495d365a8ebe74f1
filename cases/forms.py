import copy

from django import forms
from django.utils import timezone

from cases.models import (
    ClosureReason,
    Indicator,
    LegalBasis,
    Referral,
    ScreeningOutcome,
    Youth,
)
from cases.services import routing_agencies
from cases.steps import SCREENING_FILLED_KEYS, step_form_class
from cases.widgets import DateInput, DateTimeInput
from regions.models import Agency, County, Tribe


class StatusAwareForm(forms.Form):
    """Carries the status the user saw, so a change made meanwhile is caught (409)."""

    expected_status = forms.CharField(widget=forms.HiddenInput, required=False)


class CountySelect(forms.Select):
    """Each county option carries its region number, so the page can warn at once when a
    youth's county is in another hub's region."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        county = getattr(value, "instance", None)
        if county is not None:
            option["attrs"]["data-region"] = county.region.number
        return option


class YouthForm(forms.ModelForm):
    class Meta:
        model = Youth
        fields = [
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "date_of_birth",
            "estimated_age",
            "gender",
            "race_ethnicity",
            "county",
            "tribe",
            "languages",
            "address",
            "safe_at_home",
            "missing_from_care",
        ]
        widgets = {"date_of_birth": DateInput(), "county": CountySelect()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = County.objects.select_related("region").order_by("name")
        self.fields["tribe"].queryset = Tribe.objects.order_by("name")
        self.fields["tribe"].empty_label = "None recorded"
        self.fields[
            "address"
        ].help_text = "Never shown for a Safe at Home participant, and never exported."
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


class ReferralForm(forms.ModelForm):
    class Meta:
        model = Referral
        fields = [
            "received_at",
            "source",
            "reporter_name",
            "reporter_contact",
            "narrative",
            "indicators",
            "suspected_exploitation",
            "imminent_danger",
        ]
        widgets = {
            "received_at": DateTimeInput(),
            "narrative": forms.Textarea(attrs={"rows": 5}),
            "indicators": forms.CheckboxSelectMultiple,
        }
        labels = {"imminent_danger": "Imminent danger reported"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        self.fields["indicators"].queryset = Indicator.objects.filter(active=True)
        self.fields[
            "indicators"
        ].help_text = "Indicators inform a trained person's judgement; one alone proves nothing."
        self.fields["existing_youth"] = forms.UUIDField(required=False, widget=forms.HiddenInput)
        self.fields["handover"] = forms.BooleanField(
            required=False,
            label="Hand over to that region's hub",
        )

    def clean_received_at(self):
        received_at = self.cleaned_data["received_at"]
        if received_at > timezone.now():
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

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = list(routing_agencies(case))
        self.fields["agency"].queryset = routing_agencies(case)
        serving = [
            (a.pk, f"{a.name}{' (Resource Agency)' if a.is_resource_agency else ''}")
            for a in agencies
            if a.serves_youth
        ]
        others = [(a.pk, a.name) for a in agencies if not a.serves_youth]
        self.fields["agency"].choices = [
            ("", "Choose an agency"),
            ("Serves the youth's county or tribe", serving),
            ("Other agencies in the region (consent or legal basis needed)", others),
        ]


class ConfirmedForm(StatusAwareForm):
    """A consequential action: the first post asks "are you sure?" (cases.views), the
    second, from that page, says yes."""

    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)


class DeclineForm(ConfirmedForm):
    reason = forms.CharField(
        label="Why is the referral declined?", widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(StatusAwareForm):
    worker = forms.ModelChoiceField(queryset=None, label="Assign to")

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers
        self.fields["worker"].label_from_instance = lambda u: u.get_full_name() or u.username


class NoteForm(forms.Form):
    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(ConfirmedForm):
    reason = forms.ChoiceField(
        label="Closure reason", choices=[("", "Choose a reason"), *ClosureReason.choices]
    )
    note = forms.CharField(
        label="Closure note", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(StatusAwareForm):
    reason = forms.CharField(
        label="Why is the case reopened?", widget=forms.Textarea(attrs={"rows": 2})
    )


class ConsentForm(forms.Form):
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
