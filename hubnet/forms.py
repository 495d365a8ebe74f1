from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html, format_html_join


class QuickSelect(forms.Select):
    """A <select> written out here rather than through one included template per option:
    the markup Django's templates give, several times faster. The list pages' filters hold
    about a hundred options (72 counties, the tribes, the statuses) on every request."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = format_html_join(
            "",
            "{}",
            (
                (format_html('<optgroup label="{}">{}</optgroup>', group, _options(options)),)
                if group
                else (_options(options),)
                for group, options, _ in widget["optgroups"]
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], _attributes(widget["attrs"]), groups
        )


def _options(options: list[dict]) -> str:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (str(option["value"]), _attributes(option["attrs"]), option["label"])
            for option in options
        ),
    )


def _attributes(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html writes them: in order, True bare, False left out."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def errors_to_forms(exc: ValidationError | PermissionDenied, *forms) -> None:
    """Show a service's refusal on the page: each field error next to its field in whichever
    form has it, anything else (and a PermissionDenied) at the top of the last form."""
    if isinstance(exc, PermissionDenied):
        forms[-1].add_error(None, str(exc))
        return
    if not hasattr(exc, "error_dict"):
        forms[-1].add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        target = next((f for f in forms if field in f.fields), None)
        (target or forms[-1]).add_error(field if target else None, errors)
