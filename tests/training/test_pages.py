"""The training pages as the network uses them: hub specialists log, edit and cancel their
region's trainings; everyone else in the network reads them without a control to change
them; people outside it get nothing. The list's filters, totals (over the whole filtered
set, not a page), sorting, upcoming section and size."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from regions.models import Agency, County, Region, Tribe
from regions.quarters import Quarter
from training.forms import CancelForm
from training.models import ChangeKind, Training, TrainingChange, TrainingStatus
from training.selectors import MANAGE
from training.views import lists

pytestmark = pytest.mark.django_db

LIST = reverse("training:list")
NEW = reverse("training:new")


def detail(training):
    return reverse("training:detail", args=[training.pk])


def edit(training):
    return reverse("training:edit", args=[training.pk])


def cancel(training):
    return reverse("training:cancel", args=[training.pk])


def ids_in(text: str) -> list[int]:
    """Training ids in the order the list's table shows them."""
    return [
        int(i)
        for i in re.findall(
            r'<th scope="row" data-label="Title"><a href="/trainings/(\d+)/"', text
        )
    ]


def stat(text: str, label: str) -> str:
    """A figure of the totals strip, e.g. stat(text, "people trained") -> "52"."""
    match = re.search(rf"<strong>([^<]+)</strong> {label}", text)
    assert match, f"no '{label}' figure on the page"
    return match[1]


def error_of(text: str, field_id: str) -> str:
    """The errors shown next to a field (its `<id>_error` list), as text."""
    match = re.search(rf'<ul class="field__errors" id="{field_id}_error">(.*?)</ul>', text, re.S)
    assert match, f"no error shown next to {field_id}"
    return html.unescape(re.sub(r"<[^>]+>", " ", match[1])).strip()


def form_post(**overrides) -> dict:
    """A complete, valid "Log a training" form for region 2: Brown and Outagamie, delivered
    last week to 12 educators and 5 police officers."""
    data = {
        "title": "Recognising trafficking: what schools see",
        "date": (timezone.localdate() - datetime.timedelta(days=7)).isoformat(),
        "start_time": "09:30",
        "duration_hours": "1.5",
        "format": "in_person",
        "topics": ["awareness", "indicators"],
        "delivered_by_hub": "on",
        "presenters": "",
        "venue": "Appleton North High School",
        "counties": [
            County.objects.get(name="Brown").pk,
            County.objects.get(name="Outagamie").pk,
        ],
        "attendance_education": "12",
        "attendance_law_enforcement": "5",
        "youth_attendees": "",
        "notes": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# ----------------------------------------------------------------------------- who may


class TestWhoMay:
    @pytest.mark.parametrize(
        "username", ["outagamie.worker", "state.admin", "hub5.specialist", "menominee.worker"]
    )
    def test_the_network_reads_a_regions_trainings_without_controls(
        self, username, client_for, personas, make_training
    ):
        training = make_training(attendance={"education": 9}, title="Hotel staff awareness")
        client = client_for(personas[username])

        listed = client.get(LIST, {"region": "2"})
        assert listed.status_code == 200
        assert training.pk in ids_in(listed.text)
        page = client.get(detail(training))
        assert page.status_code == 200
        assert "Hotel staff awareness" in page.text
        assert edit(training) not in page.text
        assert cancel(training) not in page.text
        assert "The hub specialists of Region 2 log and change its trainings" in page.text

    @pytest.mark.parametrize("username", ["outagamie.worker", "state.admin"])
    def test_readers_cannot_log_edit_or_cancel(
        self, username, client_for, personas, make_training
    ):
        training = make_training()
        client = client_for(personas[username])
        assert NEW not in client.get(LIST).text
        assert client.get(NEW).status_code == 403
        assert client.post(NEW, form_post()).status_code == 403
        assert client.get(edit(training)).status_code == 403
        assert client.post(edit(training), form_post(title="Changed")).status_code == 403
        assert client.get(cancel(training)).status_code == 403
        assert client.post(cancel(training), {"reason": "No"}).status_code == 403
        training.refresh_from_db()
        assert training.title != "Changed"
        assert training.status == TrainingStatus.PLANNED
        assert Training.objects.count() == 1

    def test_another_regions_hub_specialist_gets_403_on_region_2s_training(
        self, client_for, personas, make_training
    ):
        training = make_training()
        client = client_for(personas["hub5.specialist"])
        assert client.get(NEW).status_code == 200  # their own region's, yes
        assert client.get(edit(training)).status_code == 403
        assert client.post(edit(training), form_post(title="Changed")).status_code == 403
        assert client.post(cancel(training), {"reason": "Not ours"}).status_code == 403
        training.refresh_from_db()
        assert (training.title, training.status) != ("Changed", TrainingStatus.CANCELLED)
        assert TrainingChange.objects.filter(training=training).count() == 1

    @pytest.mark.parametrize("username", ["accounts.admin", "outsider"])
    def test_people_outside_the_network_get_nothing(
        self, username, client_for, personas, make_training
    ):
        training = make_training()
        client = client_for(personas[username])
        for url in (LIST, detail(training), reverse("training:export-csv"), NEW, edit(training)):
            assert client.get(url).status_code == 403, url

    def test_the_main_navigation_offers_trainings_to_the_network(self, client_for, personas):
        for username in ("hub2.specialist", "outagamie.worker", "state.admin"):
            home = client_for(personas[username]).get(reverse("home")).text
            assert f'href="{LIST}"' in home, username

    def test_a_hub_specialist_sees_the_edit_and_cancel_buttons(
        self, client_for, personas, make_training
    ):
        training = make_training()
        page = client_for(personas["hub2.specialist"]).get(detail(training)).text
        assert f'href="{edit(training)}"' in page
        assert f'href="{cancel(training)}"' in page


# ----------------------------------------------------------------------------- log


class TestLog:
    def test_hub2_logs_a_training_for_brown_and_outagamie(self, client_for, personas):
        client = client_for(personas["hub2.specialist"])
        form = client.get(NEW).text
        # Region 2's counties come first, as checkboxes, Brown and Outagamie among them;
        # other regions' counties are folded below.
        start = form.index("<legend>Region 2 (Northeast)</legend>")
        own = form[start : form.index("Counties in other regions")]
        own_names = re.findall(r'<label for="id_counties_\d+">([^<]+)</label>', own)
        assert "Brown" in own_names
        assert "Outagamie" in own_names
        assert len(own_names) == County.objects.filter(region__number=2).count()
        assert "Dane" not in own_names
        assert "No names or personal details of attendees." in form

        response = client.post(NEW, form_post())
        training = Training.objects.get()
        assert response.status_code == 302
        assert response["Location"] == detail(training)
        assert training.region.number == 2
        assert training.status == TrainingStatus.DELIVERED
        assert training.total_attendees == 17
        assert training.duration_hours == Decimal("1.5")
        assert sorted(c.name for c in training.counties.all()) == ["Brown", "Outagamie"]
        change = training.changes.get()
        assert change.kind == ChangeKind.CREATED
        assert change.actor == personas["hub2.specialist"]

        page = client.get(response["Location"]).text
        assert "Training logged." in page
        assert "Education" in page
        assert "Law enforcement" in page

    def test_a_planned_training_leaves_attendance_empty(self, client_for, personas):
        client = client_for(personas["hub2.specialist"])
        ahead = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
        response = client.post(
            NEW, form_post(date=ahead, attendance_education="", attendance_law_enforcement="")
        )
        assert response.status_code == 302
        assert Training.objects.get().status == TrainingStatus.PLANNED

    def test_mistakes_are_shown_next_to_their_fields_and_nothing_is_written(
        self, client_for, personas
    ):
        client = client_for(personas["hub2.specialist"])
        response = client.post(
            NEW, form_post(title="  ", counties=[], youth_attendees="40", format=None)
        )
        assert response.status_code == 400
        text = response.text
        assert not Training.objects.exists()
        assert "The training was not saved." in text
        # The service's own words, next to each field and in the summary.
        assert error_of(text, "id_title") == "Give the training a title."
        assert error_of(text, "id_counties") == "Choose at least one county the training reached."
        assert error_of(text, "id_format") == "Choose in person, virtual or hybrid."
        assert (
            error_of(text, "id_youth_attendees") == "More youth (40) than attendees in all (17)."
        )
        assert 'href="#id_title"' in text
        assert 'href="#id_counties_0"' in text
        # What was typed is kept.
        assert 'value="Appleton North High School"' in text

    def test_attendance_for_a_training_ahead_is_refused_at_the_attendance_fields(
        self, client_for, personas
    ):
        ahead = timezone.localdate() + datetime.timedelta(days=5)
        response = client_for(personas["hub2.specialist"]).post(
            NEW, form_post(date=ahead.isoformat())
        )
        assert response.status_code == 400
        message = error_of(response.text, "id_attendance_education")
        assert "Leave it empty while the training is planned." in message
        assert not Training.objects.exists()

    def test_partner_agencies_are_the_regions_own(self, client_for, personas):
        client = client_for(personas["hub2.specialist"])
        form = client.get(NEW).text
        assert "Outagamie County Human Services" in form
        assert "Dane County Human Services" not in form
        dane = Agency.objects.get(name="Dane County Human Services")
        response = client.post(NEW, form_post(partner_agencies=[dane.pk]))
        assert response.status_code == 400
        assert error_of(response.text, "id_partner_agencies") == (
            "Choose partner agencies from the list."
        )
        assert not Training.objects.exists()

    def test_someone_who_manages_two_regions_chooses_one(self, client_for, personas):
        user = personas["hub2.specialist"]
        three = Region.objects.get(number=3)
        assign_perm(MANAGE, user, three)
        client = client_for(user)
        form = client.get(NEW).text
        assert '<select name="region"' in form
        assert "Region 3 (North Central)</option>" in form

        missing = client.post(NEW, form_post())
        assert missing.status_code == 400
        assert error_of(missing.text, "id_region") == "Choose the region the training belongs to."
        five = Region.objects.get(number=5)
        other = client.post(NEW, form_post(region=five.pk))
        assert error_of(other.text, "id_region") == (
            "Choose one of the regions whose trainings you log."
        )
        assert not Training.objects.exists()

        assert client.post(NEW, form_post(region=three.pk)).status_code == 302
        assert Training.objects.get().region == three

    def test_a_number_that_is_not_one_is_named_with_its_sector(self, client_for, personas):
        response = client_for(personas["hub2.specialist"]).post(
            NEW, form_post(attendance_hospitality="lots", duration_hours="two")
        )
        assert response.status_code == 400
        assert "hospitality (hotels, casinos) attendance as a whole number" in error_of(
            response.text, "id_attendance_hospitality"
        )
        assert error_of(response.text, "id_duration_hours").startswith("Give the length in hours")
        assert not Training.objects.exists()


# ----------------------------------------------------------------------------- edit


class TestEdit:
    def test_the_form_starts_with_the_training_as_it_stands(
        self, client_for, personas, make_training
    ):
        training = make_training(
            counties=("Brown", "Dane"), tribes=("Oneida Nation",), title="Truck stop outreach"
        )
        text = client_for(personas["hub2.specialist"]).get(edit(training)).text
        assert 'value="Truck stop outreach"' in text
        assert 'value="2"' in text  # the duration, 2 hours, not 2.00
        brown = County.objects.get(name="Brown").pk
        assert re.search(rf'value="{brown}"[^>]*checked', text)
        # A county of another region that was ticked: its fold is open.
        assert re.search(
            r"<details[^>]*open>\s*<summary>Counties in other regions \(1 ticked\)", text
        )
        oneida = Tribe.objects.get(name="Oneida Nation").pk
        assert re.search(rf'value="{oneida}"[^>]*checked', text)

    def test_recording_attendance_writes_the_change_before_and_after(
        self, client_for, personas, make_training
    ):
        last_week = timezone.localdate() - datetime.timedelta(days=7)
        training = make_training(date=last_week, title="Parents night")
        client = client_for(personas["hub2.specialist"])
        response = client.post(
            edit(training),
            form_post(
                title="Parents night: online safety",
                date=last_week.isoformat(),
                duration_hours="2",
                topics=["awareness", "indicators"],
                counties=[County.objects.get(name="Outagamie").pk],
                start_time="",
                venue="",
                attendance_education="",
                attendance_law_enforcement="",
                attendance_parents="23",
            ),
        )
        assert response.status_code == 302
        training.refresh_from_db()
        assert training.status == TrainingStatus.DELIVERED
        change = training.changes.order_by("-at", "-id").first()
        assert change.kind == ChangeKind.ATTENDANCE
        assert change.actor == personas["hub2.specialist"]
        # Only what changed (the duration, typed as "2", is the stored 2.00).
        assert change.changes == {
            "title": ["Parents night", "Parents night: online safety"],
            "attendance": ["", "Parents and caregivers: 23"],
            "status": ["Planned", "Delivered"],
        }
        page = client.get(detail(training)).text
        assert "Saved." in page
        history = page[page.index("History") :]
        assert "Attendance recorded" in history
        assert "Parents night</span>" in history
        assert "Parents night: online safety</span>" in history

    def test_a_cancelled_training_cannot_be_edited_and_the_page_says_why(
        self, client_for, personas, make_training
    ):
        training = make_training(title="Snowed out")
        client = client_for(personas["hub2.specialist"])
        client.post(cancel(training), {"reason": "The school closed for snow."})

        page = client.get(edit(training))
        assert page.status_code == 200
        assert "This training can no longer be edited" in page.text
        assert "The school closed for snow." in page.text
        assert 'name="title"' not in page.text
        refused = client.post(edit(training), form_post(title="Back on"))
        assert refused.status_code == 409
        training.refresh_from_db()
        assert training.title == "Snowed out"
        assert edit(training) not in client.get(detail(training)).text


# ----------------------------------------------------------------------------- cancel


class TestCancel:
    def test_a_reason_is_required_and_shown_next_to_the_field(
        self, client_for, personas, make_training
    ):
        training = make_training()
        client = client_for(personas["hub2.specialist"])
        assert 'name="reason"' in client.get(cancel(training)).text
        response = client.post(cancel(training), {"reason": "   "})
        assert response.status_code == 400
        assert error_of(response.text, "id_reason") == "Say why the training was cancelled."
        training.refresh_from_db()
        assert training.status == TrainingStatus.PLANNED

    def test_cancelling_keeps_the_training_with_its_reason(
        self, client_for, personas, make_training
    ):
        training = make_training()
        client = client_for(personas["hub2.specialist"])
        response = client.post(cancel(training), {"reason": "The presenter fell ill."})
        assert response.status_code == 302
        training.refresh_from_db()
        assert training.status == TrainingStatus.CANCELLED
        assert training.cancel_reason == "The presenter fell ill."
        change = training.changes.get(kind=ChangeKind.CANCELLED)
        assert change.reason == "The presenter fell ill."
        page = client.get(detail(training)).text
        assert "Cancelled:</strong> The presenter fell ill." in page
        assert "Reason: The presenter fell ill." in page  # in the history
        # Out of the list unless asked for.
        assert training.pk not in ids_in(client.get(LIST).text)
        assert training.pk in ids_in(client.get(LIST, {"status": "cancelled"}).text)

    def test_the_services_refusal_is_shown_as_the_log_and_edit_forms_show_theirs(self):
        form = CancelForm({"reason": "Snow"})
        assert form.is_valid()
        form.add_service_errors(ValidationError({"reason": "Too short.", "elsewhere": "Odd."}))
        form.add_service_errors(ValidationError("Only a planned training can be cancelled."))
        assert form.errors["reason"] == ["Too short."]
        assert form.non_field_errors() == ["Odd.", "Only a planned training can be cancelled."]

    def test_only_a_planned_training_can_be_cancelled(self, client_for, personas, make_training):
        training = make_training(attendance={"education": 4})
        client = client_for(personas["hub2.specialist"])
        page = client.get(cancel(training))
        assert "Only a planned training can be cancelled; this one is delivered." in page.text
        assert client.post(cancel(training), {"reason": "Oops"}).status_code == 409
        training.refresh_from_db()
        assert training.status == TrainingStatus.DELIVERED


# ----------------------------------------------------------------------------- the list


class TestList:
    def test_filters_narrow_and_totals_count_the_whole_filtered_set(
        self, client_for, personas, make_training, monkeypatch
    ):
        monkeypatch.setattr(lists, "PAGE_SIZE", 2)  # totals must not be one page's
        make_training(attendance={"education": 10, "youth": 3}, counties=("Brown",))
        make_training(
            attendance={"education": 7}, counties=("Outagamie", "Brown"), duration_hours="1.5"
        )
        make_training(attendance={"education": 5}, counties=("Winnebago",), format="virtual")
        make_training(counties=("Door",))  # planned: counts as a training, nothing else
        make_training(attendance={"law_enforcement": 20}, counties=("Calumet",))
        make_training(region=5, attendance={"education": 50}, counties=("Dane",))
        client = client_for(personas["hub2.specialist"])

        text = client.get(LIST, {"sector": "education"}).text
        expected = [
            t
            for t in Training.objects.filter(region__number=2)
            if t.attendance.filter(sector="education").exists()
        ]
        delivered = [t for t in expected if t.status == TrainingStatus.DELIVERED]
        assert stat(text, "trainings?") == str(len(expected)) == "3"
        # With a sector chosen, people trained are that sector's attendees only (not the
        # youth who sat with the educators), as the quarterly metric counts by sector.
        educators = sum(t.attendance.get(sector="education").count for t in delivered)
        assert educators == 22 < sum(t.total_attendees for t in delivered)
        assert stat(text, "education trained") == str(educators)
        assert not re.search(r"</strong> people trained", text)
        assert "With a sector chosen, people trained are its attendees only." in text
        police = client.get(LIST, {"sector": "law_enforcement"}).text
        assert stat(police, "law enforcement trained") == "20"
        everyone = client.get(LIST).text
        assert stat(everyone, "people trained") == str(
            sum(t.total_attendees for t in Training.objects.filter(region__number=2))
        )
        hours = sum(t.duration_hours for t in delivered)
        assert hours == Decimal("5.5")
        assert stat(text, "hours?") == "5.5"
        counties = {c.pk for t in delivered for c in t.counties.all()}
        assert stat(text, "count(?:y|ies)") == str(len(counties)) == "3"
        assert "Showing 1\u20132 of 3 trainings." in text

        # Each filter narrows the list.
        def listed(**params):
            ids = []
            for page in (1, 2, 3, 4):
                ids += ids_in(client.get(LIST, {**params, "page": page}).text)
                if len(ids) < page * 2:
                    break
            return set(ids)

        in_region_2 = set(Training.objects.filter(region__number=2).values_list("pk", flat=True))
        assert listed() == in_region_2  # the viewer's region, by default
        brown = County.objects.get(name="Brown").fips
        assert listed(county=brown) == {
            t.pk for t in Training.objects.filter(counties__fips=brown)
        }
        assert listed(format="virtual") == {
            t.pk for t in Training.objects.filter(format="virtual", region__number=2)
        }
        assert listed(status="planned") == {
            t.pk for t in Training.objects.filter(status="planned", region__number=2)
        }
        assert listed(sector="law_enforcement") == {
            t.pk for t in Training.objects.filter(attendance__sector="law_enforcement")
        }
        assert listed(region="") == set(Training.objects.values_list("pk", flat=True))

    def test_the_quarter_topic_and_search_filters(self, client_for, personas, make_training):
        older = Quarter.current().previous().previous()
        in_quarter = make_training(
            attendance={"education": 3},
            date=older.start.date() + datetime.timedelta(days=5),
            topics=["labor_trafficking"],
            title="Farm workers: labor trafficking",
        )
        other = make_training(attendance={"education": 3})
        client = client_for(personas["hub2.specialist"])
        text = client.get(LIST, {"quarter": str(older)}).text
        assert ids_in(text) == [in_quarter.pk]
        assert f'<option value="{older}" selected>{older.label}</option>' in text
        assert ids_in(client.get(LIST, {"topic": "labor_trafficking"}).text) == [in_quarter.pk]
        assert ids_in(client.get(LIST, {"q": "farm WORKERS"}).text) == [in_quarter.pk]
        assert set(ids_in(client.get(LIST).text)) == {in_quarter.pk, other.pk}
        bad = client.get(LIST, {"quarter": "last year"})
        assert bad.status_code == 200
        assert "is not a quarter" in html.unescape(bad.text)
        assert ids_in(bad.text) == []

    def test_a_wrong_filter_is_named(self, client_for, personas, make_training):
        make_training(attendance={"education": 3})
        text = (
            client_for(personas["hub2.specialist"])
            .get(LIST, {"quarter": "garbage", "topic": "juggling"})
            .text
        )
        alert = re.search(r'<div class="alert alert--error" role="alert">(.*?)</div>', text, re.S)
        shown = html.unescape(re.sub(r"<[^>]+>", "", alert[1]))
        assert re.search(r"Quarter: .*is not a quarter", shown)
        assert "Topic: Select a valid choice. juggling is not one of the available" in shown
        assert ids_in(text) == []

    def test_each_reader_starts_in_their_own_region_and_state_admins_in_all(
        self, client_for, personas, make_training
    ):
        two = make_training(attendance={"education": 3})
        five = make_training(region=5, attendance={"education": 3}, counties=("Dane",))
        worker = client_for(personas["outagamie.worker"]).get(LIST).text
        assert ids_in(worker) == [two.pk]
        assert '<option value="">All regions</option>' in worker
        admin = client_for(personas["state.admin"]).get(LIST).text
        assert set(ids_in(admin)) == {two.pk, five.pk}

    def test_columns_sort_both_ways_with_aria_sort(self, client_for, personas, make_training):
        today = timezone.localdate()
        small = make_training(
            attendance={"education": 4}, title="Bravo", date=today - datetime.timedelta(days=3)
        )
        big = make_training(
            attendance={"education": 40}, title="alpha", date=today - datetime.timedelta(days=9)
        )
        planned = make_training(title="Charlie")  # ahead, no one trained yet
        client = client_for(personas["hub2.specialist"])

        assert ids_in(client.get(LIST).text) == [planned.pk, small.pk, big.pk]  # newest first
        by_title = client.get(LIST, {"sort": "title"}).text
        assert ids_in(by_title) == [big.pk, small.pk, planned.pk]  # case does not matter
        assert 'aria-sort="ascending"' in by_title
        assert 'href="?sort=-title"' in by_title
        by_people = client.get(LIST, {"sort": "-people"}).text
        assert ids_in(by_people) == [big.pk, small.pk, planned.pk]
        assert 'aria-sort="descending"' in by_people
        assert ids_in(client.get(LIST, {"sort": "date"}).text) == [big.pk, small.pk, planned.pk]
        assert ids_in(client.get(LIST, {"sort": "nonsense"}).text) == [
            planned.pk,
            small.pk,
            big.pk,
        ]

    def test_upcoming_shows_the_next_five_of_the_regions_planned_trainings(
        self, client_for, personas, make_training
    ):
        today = timezone.localdate()
        ahead = [
            make_training(title=f"Ahead {days}", date=today + datetime.timedelta(days=days))
            for days in (30, 2, 14, 0, 60, 7)
        ]
        make_training(title="Past, not recorded", date=today - datetime.timedelta(days=3))
        make_training(region=5, title="Dane ahead", counties=("Dane",))
        client = client_for(personas["hub2.specialist"])
        text = client.get(LIST).text
        upcoming = text[
            text.index('id="upcoming-title"') : text.index(
                "</section>", text.index('id="upcoming-title"')
            )
        ]
        titles = re.findall(r'<a href="/trainings/\d+/">([^<]+)</a>', upcoming)
        assert titles == ["Ahead 0", "Ahead 2", "Ahead 7", "Ahead 14", "Ahead 30"]
        assert "The next 5 of 6 planned trainings." in upcoming
        assert len(ahead) == 6

        # All regions: region 5's too.
        everywhere = client.get(LIST, {"region": ""}).text
        assert "Upcoming in all regions" in everywhere
        assert "Dane ahead" in everywhere[: everywhere.index('id="result-count"')]

    def test_the_hub_is_told_which_trainings_wait_for_attendance(
        self, client_for, personas, make_training
    ):
        past = make_training(
            title="Hotel night shift", date=timezone.localdate() - datetime.timedelta(days=3)
        )
        make_training(title="Still ahead")
        hub = client_for(personas["hub2.specialist"]).get(LIST).text
        assert "Waiting for attendance: 1 training" in hub
        assert f'href="{edit(past)}#attendance"' in hub
        worker = client_for(personas["outagamie.worker"]).get(LIST).text
        assert "Waiting for attendance" not in worker
        assert "Attendance to record" in worker  # the row says so, to everyone

    def test_empty_states_say_what_to_do(self, client_for, personas):
        hub = client_for(personas["hub2.specialist"]).get(LIST).text
        assert "No trainings logged for Region 2 yet." in hub
        assert f'href="{NEW}">Log a training</a>' in hub
        filtered = client_for(personas["outagamie.worker"]).get(LIST, {"format": "virtual"}).text
        assert "No trainings match these filters." in filtered

    def test_paging_and_a_constant_number_of_queries(self, client_for, personas, make_training):
        client = client_for(personas["hub2.specialist"])
        today = timezone.localdate()

        def add(count, start):
            for n in range(start, start + count):
                kind = n % 3
                make_training(
                    title=f"Training {n}",
                    counties=("Brown", "Outagamie", "Winnebago", "Door")[: 1 + n % 4],
                    tribes=("Oneida Nation",) if n % 2 else (),
                    attendance={"education": n + 1, "youth": 2} if kind == 0 else None,
                    date=today + datetime.timedelta(days=(-n - 1 if kind != 1 else n + 1)),
                    topics=["awareness", "prevention"],
                )

        add(3, 0)
        client.get(LIST)  # the session's first request writes the session

        def queries(**params):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(LIST, params)
            assert response.status_code == 200
            return response.text, len(captured)

        _, few = queries()
        _, few_educators = queries(sector="education")
        add(27, 3)
        text, many = queries()
        assert many == few, f"{few} queries for 3 trainings, {many} for 30"
        _, many_educators = queries(sector="education")
        assert many_educators == few_educators
        assert "Showing 1\u201325 of 30 trainings." in text
        assert len(ids_in(text)) == 25
        second = client.get(LIST, {"page": 2}).text
        assert "Showing 26\u201330 of 30 trainings." in second
        assert set(ids_in(text)) | set(ids_in(second)) == set(
            Training.objects.values_list("pk", flat=True)
        )
