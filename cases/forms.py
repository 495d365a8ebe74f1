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
from cases.widgets import DateInput, DateTimeInput
from regions.models import Agency, County, Region, Tribe


class StatusAwareForm(forms.Form):
    """Carries the status the user saw, so a change made meanwhile is caught (409)."""

    expected_status = forms.CharField(widget=forms.HiddenInput, required=False)


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
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = County.objects.order_by("name")
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

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        self.fields["indicators"].queryset = Indicator.objects.filter(active=True)
        self.fields[
            "indicators"
        ].help_text = "Indicators inform a trained person's judgement; one alone proves nothing."
        regions = list(regions or [])
        self.fields["region"] = forms.ModelChoiceField(
            queryset=Region.objects.filter(pk__in=[r.pk for r in regions]),
            initial=regions[0] if regions else None,
            empty_label=None,
            label="Region",
        )
        if len(regions) == 1:
            self.fields["region"].widget = forms.HiddenInput()
        self.fields["existing_youth"] = forms.UUIDField(required=False, widget=forms.HiddenInput)

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


class DeclineForm(StatusAwareForm):
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


class CloseForm(StatusAwareForm):
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
