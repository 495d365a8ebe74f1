from django import forms
from django.utils import timezone
from django.utils.html import format_html


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    """A browser's date-and-time picker, in the server's local time (America/Chicago).

    With `now_button`, a "Now" button follows the picker and fills it with the current date
    and time in that zone, whatever zone the device is set to. The button is hidden until
    static/js/steps.js, loaded by the page, shows it: a page without the script offers no
    button that does nothing.
    """

    input_type = "datetime-local"

    def __init__(self, *, now_button: bool = False, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)
        self.now_button = now_button

    def render(self, name, value, attrs=None, renderer=None):
        picker = super().render(name, value, attrs, renderer)
        input_id = (attrs or {}).get("id") or self.attrs.get("id")
        if not self.now_button or not input_id:
            return picker
        return format_html(
            '<span class="datetime-now">{}<button type="button" class="button button--secondary'
            ' button--small" data-now-for="{}" data-time-zone="{}" hidden>Now<span'
            ' class="visually-hidden"> (fill in the current date and time)</span></button></span>',
            picker,
            input_id,
            timezone.get_current_timezone_name(),
        )
