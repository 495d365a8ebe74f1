"""Who looked at a case: its access log, for the hub and the agency's supervisors, as a
page and as a CSV file of the same entries."""

import csv
import datetime

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.models import AccessChannel
from cases.pagination import keyset_page
from cases.selectors import (
    access_log_by_person,
    access_log_filter,
    access_log_position,
    case_access_log,
)
from cases.views.common import case_worker_required, door
from cases.widgets import DateInput
from hubnet.spreadsheets import spreadsheet_cell

ACCESS_LOG_PAGE_SIZE = 100
OUTCOMES = {"allowed": True, "refused": False}


class AccessLogFilterForm(forms.Form):
    person = forms.TypedChoiceField(label="Person", required=False, coerce=int, empty_value=None)
    since = forms.DateField(label="From (date)", required=False, widget=DateInput())
    until = forms.DateField(label="To (date)", required=False, widget=DateInput())
    outcome = forms.ChoiceField(
        label="Outcome",
        required=False,
        choices=[("", "Allowed and refused"), ("allowed", "Allowed"), ("refused", "Refused")],
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [
            ("", "Everyone"),
            *((p["user_id"], _person_label(p)) for p in people),
        ]
        self.fields["person"].error_messages["invalid_choice"] = (
            "Choose a person from the list: only people in this log are listed."
        )
        for name in ("since", "until"):
            self.fields[name].error_messages["invalid"] = "Enter a date, e.g. 2026-03-02."

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        latest = timezone.localdate() + datetime.timedelta(days=366)
        for name in ("since", "until"):
            if (day := cleaned.get(name)) and day > latest:
                self.add_error(name, "Enter a date no later than a year from today.")
        return cleaned

    def narrowing(self) -> dict:
        """The valid filters as `access_log_filter` takes them."""
        data = self.cleaned_data
        return {
            "person_id": data["person"],
            "since": data["since"],
            "until": data["until"],
            "granted": OUTCOMES.get(data["outcome"]),
        }


def _person_label(person: dict) -> str:
    name = f"{person['user__first_name']} {person['user__last_name']}".strip()
    return f"{name} ({person['user__username']})" if name else person["user__username"]


def _filtered_log(request, case):
    """The case's log (refused with 403 for anyone but its hub and the agency's
    supervisors), everyone in it, the filter form, and the entries it lets through (none
    while the filters are wrong)."""
    accesses = case_access_log(request.user, case)
    people = list(access_log_by_person(accesses))
    form = AccessLogFilterForm(request.GET or None, people=people)
    if not form.is_bound:
        entries = accesses
    elif form.is_valid():
        entries = access_log_filter(accesses, **form.narrowing())
    else:
        entries = accesses.none()
    return people, form, entries


@require_GET
@case_worker_required
def case_access_log_view(request: HttpRequest, case_id) -> HttpResponse:
    case = door(request, case_id)
    return _log_page(request, case, *_filtered_log(request, case))


def _log_page(request, case, people, form, entries) -> HttpResponse:
    page = keyset_page(
        entries, order=("-at", "-id"), after=request.GET.get("after"), size=ACCESS_LOG_PAGE_SIZE
    )
    everything = sum(person["shown"] + person["refused"] for person in people)
    filtered = form.is_bound and form.has_changed()
    total = entries.count() if filtered else everything
    first = 0
    if page.items:
        first = 1 if page.is_first else access_log_position(entries, page.items[0]) + 1
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "cases/access_log.html",
        {
            "case": case,
            "page": page,
            "people": people,
            "form": form,
            "filtered": filtered,
            "total": total,
            "everything": everything,
            "first": first,
            "last": first + len(page.items) - 1,
            "query": query.urlencode(),
        },
        status=400 if form.errors else 200,
    )


CSV_COLUMNS = ["Case number", "When", "Person", "Username", "How", "Outcome", "From"]


@require_GET
@case_worker_required
def case_access_log_export(request: HttpRequest, case_id) -> HttpResponse:
    """The entries the page shows with the same filters, all of them, as CSV. The export is
    itself an entry of the log. The file names the case by its number only: nothing about
    the youth."""
    case = door(request, case_id, channel=AccessChannel.EXPORT)
    people, form, entries = _filtered_log(request, case)
    if form.errors:
        return _log_page(request, case, people, form, entries)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response = StreamingHttpResponse(
        _csv_lines(case.number, entries.order_by("-at", "-id")), content_type="text/csv"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="access-log-{case.number}-{stamp}.csv"'
    )
    return response


class _Line:
    def write(self, value: str) -> str:
        return value


def _csv_lines(number: str, entries):
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for access in entries.iterator(chunk_size=2000):
        user = access.user
        yield writer.writerow(
            [
                spreadsheet_cell(value)
                for value in (
                    number,
                    timezone.localtime(access.at).strftime("%Y-%m-%d %H:%M:%S"),
                    user.get_full_name(),
                    user.get_username(),
                    access.get_channel_display(),
                    "Allowed" if access.granted else "Refused",
                    access.ip_address or "",
                )
            ]
        )
