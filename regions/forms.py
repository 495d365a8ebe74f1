from django import forms
from django.contrib.auth import password_validation

from regions.models import Agency, Hub, Role


class AccessField(forms.ChoiceField):
    """One select for a role in an organisation: `agency_staff:agency:12`, `state_admin`."""

    def __init__(self, *, choices, **kwargs):
        super().__init__(
            choices=[("", "Choose the access to give"), *choices],
            label="Access",
            **kwargs,
        )

    def clean(self, value):
        value = super().clean(value)
        role, _, target = value.partition(":")
        kind, _, pk = target.partition(":")
        found = {"role": role, "agency": None, "hub": None}
        if kind == "agency":
            found["agency"] = Agency.objects.filter(pk=pk).first()
        elif kind == "hub":
            found["hub"] = Hub.objects.select_related("region").filter(pk=pk).first()
        if role not in Role.values or (kind and not (found["agency"] or found["hub"])):
            raise forms.ValidationError("Choose the access to give from the list.")
        return found


REASON_HELP = (
    "Shown to the region's hub specialists with the change (e.g. a new hire, a role change)."
)


class GrantForm(forms.Form):
    def __init__(self, *args, grantable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["access"] = AccessField(choices=grantable)
        self.fields["reason"] = forms.CharField(
            label="Why is this access given?", max_length=300, help_text=REASON_HELP
        )


class InviteForm(GrantForm):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    email = forms.EmailField(label="Work email", help_text="The invitation link is sent here.")

    field_order = ["first_name", "last_name", "email", "access", "reason"]


class EndForm(forms.Form):
    reason = forms.CharField(label="Why does this access end?", max_length=300)


class _OwnIds(forms.Form):
    """Several reason forms share the person page: each labels its own field (ids
    `<id_prefix>_reason`), so a label or an error never points at another form's input."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class DeactivateForm(_OwnIds):
    id_prefix = "deactivate"
    reason = forms.CharField(label="Why is the account deactivated?", max_length=300)


class MfaResetForm(_OwnIds):
    id_prefix = "mfa_reset"
    reason = forms.CharField(
        label="How did the person ask, and how did you confirm it was them?",
        max_length=300,
    )


class UnlockForm(_OwnIds):
    id_prefix = "unlock"
    reason = forms.CharField(label="Why lift the lock now?", max_length=300)


class ChoosePasswordForm(forms.Form):
    """Setting a first password from an invitation (NIST SP 800-63B: length and a
    common-password list, no composition rules)."""

    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters. A passphrase of several words is easiest.",
    )
    password2 = forms.CharField(
        label="The same password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned
