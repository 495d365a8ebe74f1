"""The trainings API: /api/v1/trainings/ and /api/v1/trainings/{id}/, per persona."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from regions.models import Agency, Hub, Role, Tribe
from regions.quarters import Quarter
from regions.services import membership_grant
from training.models import ChangeKind, Training, TrainingChange

pytestmark = pytest.mark.django_db

NETWORK = ["state.admin", "hub2.specialist", "hub5.specialist", "outagamie.worker"]
OUTSIDE = ["accounts.admin", "outsider"]
OUTAGAMIE, BROWN, DANE = "55087", "55009", "55025"


@pytest.fixture
def api_for(personas):
    def login(username):
        client = APIClient()
        client.force_authenticate(personas[username])
        return client

    return login


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def payload(**overrides) -> dict:
    body = {
        "title": "Recognising trafficking at the front desk",
        "date": days_ago(7).isoformat(),
        "start_time": "09:30",
        "duration_hours": "1.5",
        "format": "in_person",
        "topics": ["awareness", "response_protocol"],
        "venue": "Fox Cities hotel association",
        "counties": [OUTAGAMIE, BROWN],
        "attendance": {"hospitality": 18, "law_enforcement": 4},
        "youth_attendees": 0,
    }
    body.update(overrides)
    return body


def listed(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["results"]]


def detail_url(training) -> str:
    return reverse("training-detail", args=[training.pk])


class TestReading:
    @pytest.mark.parametrize("username", ["state.admin", "hub5.specialist", "outagamie.worker"])
    def test_the_network_reads_region_2s_trainings(self, api_for, make_training, username):
        training = make_training(
            region=2,
            counties=("Outagamie", "Brown"),
            attendance={"education": 12, "law_enforcement": 3},
            topics=["indicators", "awareness"],
            youth_attendees=2,
        )
        client = api_for(username)

        assert listed(client.get(reverse("training-list"))) == [training.pk]
        body = client.get(detail_url(training)).json()

        assert body["id"] == training.pk
        assert body["region"] == 2
        assert body["title"] == training.title
        assert body["date"] == training.date.isoformat()
        assert body["duration_hours"] == "2.00"
        assert body["format"] == "in_person"
        assert body["topics"] == ["awareness", "indicators"]
        assert sorted(body["counties"]) == [BROWN, OUTAGAMIE]
        assert body["attendance"] == {"education": 12, "law_enforcement": 3}
        assert body["total_attendees"] == 15
        assert body["youth_attendees"] == 2
        assert body["status"] == "delivered"
        assert body["delivered_by_hub"] is True
        assert body["partner_agencies"] == []
        assert body["tribes"] == []
        assert {"created_at", "updated_at", "cancel_reason", "notes"} <= set(body)

    @pytest.mark.parametrize("username", OUTSIDE)
    def test_people_without_a_place_in_the_network_are_refused(
        self, api_for, make_training, username
    ):
        training = make_training()
        client = api_for(username)

        assert client.get(reverse("training-list")).status_code == 403
        assert client.get(detail_url(training)).status_code == 403
        assert client.post(reverse("training-list"), payload(), format="json").status_code == 403

    def test_nobody_signed_in_is_refused(self, make_training):
        training = make_training()
        client = APIClient()

        assert client.get(reverse("training-list")).status_code in (401, 403)
        assert client.get(detail_url(training)).status_code in (401, 403)

    def test_an_unknown_id_is_404(self, api_for):
        client = api_for("outagamie.worker")
        assert client.get(reverse("training-detail", args=[987654])).status_code == 404
        assert client.get(reverse("training-detail", args=[9_999_999_999])).status_code == 404

    def test_no_put_no_delete(self, api_for, make_training):
        training = make_training(attendance={"education": 5})
        client = api_for("hub2.specialist")

        assert client.put(detail_url(training), payload(), format="json").status_code == 405
        assert client.delete(detail_url(training)).status_code == 405
        assert Training.objects.filter(pk=training.pk).exists()

    def test_newest_first_and_paging_visits_each_once(self, api_for, make_training):
        made = [
            make_training(date=days_ago(days), attendance={"youth": 3}) for days in (30, 5, 90)
        ]
        made += [make_training(date=days_ago(5), attendance={"faith": 2})]
        client = api_for("brown.worker")

        ids, url, params = [], reverse("training-list"), {"limit": 2}
        while url:
            body = client.get(url, params).json()
            assert body["count"] == 4
            ids += [t["id"] for t in body["results"]]
            url, params = body["next"], None

        by_date = sorted(made, key=lambda t: (t.date, t.pk), reverse=True)
        assert ids == [t.pk for t in by_date]

    def test_list_queries_do_not_grow_with_trainings(self, api_for, make_training, personas):
        tribe = Tribe.objects.first()
        agency = Agency.objects.filter(region__number=2).first()

        def make(count):
            for _ in range(count):
                make_training(
                    counties=("Outagamie", "Brown"),
                    tribes=(tribe.name,),
                    attendance={"education": 4, "youth": 2},
                    partner_agencies=[agency],
                )

        def queries() -> int:
            client = api_for("outagamie.worker")
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(reverse("training-list"), {"limit": 200})
            assert response.status_code == 200
            assert len(response.json()["results"]) == Training.objects.count()
            return len(ctx.captured_queries)

        make(3)
        at_3 = queries()
        make(27)
        at_30 = queries()

        assert at_30 == at_3, "the trainings API's queries grew with the number of trainings"


class TestFilters:
    @pytest.fixture
    def trainings(self, make_training):
        long_ago = timezone.localdate() - datetime.timedelta(days=200)
        return {
            "old": make_training(
                date=long_ago,
                counties=("Brown",),
                attendance={"law_enforcement": 9},
                topics=["prevention"],
                format="virtual",
            ),
            "recent": make_training(
                date=days_ago(3),
                attendance={"education": 20},
                topics=["awareness"],
            ),
            "planned": make_training(topics=["awareness"], format="hybrid"),
            "region5": make_training(
                region=5, counties=("Dane",), attendance={"health_care": 7}, topics=["other"]
            ),
        }

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, ["planned", "recent", "region5", "old"]),
            ({"topic": "awareness"}, ["planned", "recent"]),
            ({"sector": "law_enforcement"}, ["old"]),
            ({"county": BROWN}, ["old"]),
            ({"county": DANE}, ["region5"]),
            ({"format": "virtual"}, ["old"]),
            ({"format": "hybrid"}, ["planned"]),
            ({"status": "planned"}, ["planned"]),
            ({"status": "delivered"}, ["recent", "region5", "old"]),
            ({"region": 5}, ["region5"]),
            ({"region": 2, "topic": "awareness", "status": "delivered"}, ["recent"]),
        ],
    )
    def test_filters_narrow_the_list(self, api_for, trainings, params, expected):
        response = api_for("hub5.specialist").get(reverse("training-list"), params)

        names = {t.pk: name for name, t in trainings.items()}
        assert sorted(names[i] for i in listed(response)) == sorted(expected)

    def test_quarter(self, api_for, trainings):
        old = trainings["old"]
        quarter = Quarter(old.date.year, (old.date.month - 1) // 3 + 1)

        response = api_for("state.admin").get(reverse("training-list"), {"quarter": str(quarter)})

        assert listed(response) == [old.pk]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"quarter": "last spring"}, "quarter"),
            ({"topic": "juggling"}, "topic"),
            ({"region": "north"}, "region"),
            ({"format": "carrier-pigeon"}, "format"),
        ],
    )
    def test_a_bad_filter_is_a_400_naming_it(self, api_for, trainings, params, field):
        response = api_for("outagamie.worker").get(reverse("training-list"), params)

        assert response.status_code == 400
        assert field in response.json()

    def test_cancelled_ones_are_listed_only_when_asked_for(self, api_for, trainings, personas):
        from training.services import training_cancel

        training_cancel(
            actor=personas["hub2.specialist"],
            training_id=trainings["planned"].pk,
            reason="The venue flooded.",
        )
        client = api_for("outagamie.worker")

        assert trainings["planned"].pk not in listed(client.get(reverse("training-list")))
        cancelled = listed(client.get(reverse("training-list"), {"status": "cancelled"}))
        assert cancelled == [trainings["planned"].pk]


class TestLogging:
    def test_a_hub_specialist_logs_a_training_for_their_region(self, api_for, personas):
        tribe = Tribe.objects.get(name="Menominee Indian Tribe of Wisconsin")
        agency = Agency.objects.filter(county__name="Outagamie").first()

        response = api_for("hub2.specialist").post(
            reverse("training-list"),
            payload(tribes=[tribe.pk], partner_agencies=[agency.pk], duration_hours=2.25),
            format="json",
        )

        assert response.status_code == 201, response.json()
        body = response.json()
        training = Training.objects.get(pk=body["id"])
        assert (training.region.number, body["region"]) == (2, 2)
        assert training.status == body["status"] == "delivered"
        assert training.total_attendees == body["total_attendees"] == 22
        assert sorted(c.fips for c in training.counties.all()) == [BROWN, OUTAGAMIE]
        assert list(training.tribes.all()) == [tribe]
        assert list(training.partner_agencies.all()) == [agency]
        assert str(training.duration_hours) == "2.25"
        assert body["start_time"] == "09:30"
        change = TrainingChange.objects.get(training=training)
        assert (change.kind, change.actor) == (ChangeKind.CREATED, personas["hub2.specialist"])

    def test_without_attendance_it_is_planned(self, api_for):
        future = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
        response = api_for("hub2.specialist").post(
            reverse("training-list"), payload(date=future, attendance={}), format="json"
        )

        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "planned"
        assert response.json()["total_attendees"] == 0

    @pytest.mark.parametrize("username", ["outagamie.worker", "state.admin"])
    def test_only_hub_specialists_log_trainings(self, api_for, username):
        response = api_for(username).post(reverse("training-list"), payload(), format="json")

        assert response.status_code == 403
        assert not Training.objects.exists()

    def test_naming_another_region_is_refused(self, api_for):
        client = api_for("hub2.specialist")

        other = client.post(reverse("training-list"), payload(region=5), format="json")
        unknown = client.post(reverse("training-list"), payload(region=9), format="json")
        own = client.post(reverse("training-list"), payload(region=2), format="json")

        assert other.status_code == 403
        assert unknown.status_code == 400
        assert "region" in unknown.json()
        assert own.status_code == 201
        assert list(Training.objects.values_list("region__number", flat=True)) == [2]

    def test_a_specialist_of_two_hubs_says_which_region(self, personas):
        specialist = personas["hub2.specialist"]
        membership_grant(
            user=specialist, role=Role.HUB_SPECIALIST, hub=Hub.objects.get(region__number=5)
        )
        client = APIClient()
        client.force_authenticate(get_user_model().objects.get(pk=specialist.pk))

        unsaid = client.post(reverse("training-list"), payload(), format="json")
        said = client.post(
            reverse("training-list"), payload(region=5, counties=[DANE]), format="json"
        )

        assert unsaid.status_code == 400
        assert "region" in unsaid.json()
        assert said.status_code == 201, said.json()
        assert said.json()["region"] == 5

    def test_a_service_refusal_names_the_field(self, api_for):
        response = api_for("hub2.specialist").post(
            reverse("training-list"), payload(counties=[]), format="json"
        )

        assert response.status_code == 400
        assert response.json() == {
            "counties": ["Choose at least one county the training reached."]
        }
        assert not Training.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"counties": ["99999"]}, "counties"),
            ({"counties": OUTAGAMIE}, "counties"),
            ({"counties": [{"fips": OUTAGAMIE}]}, "counties"),
            ({"partner_agencies": [987654]}, "partner_agencies"),
            ({"partner_agencies": [10**30]}, "partner_agencies"),
            ({"tribes": [987654]}, "tribes"),
            ({"tribes": ["Menominee"]}, "tribes"),
            ({"format": "outdoors"}, "format"),
            ({"topics": ["juggling"]}, "topics"),
            ({"topics": "awareness"}, "topics"),
            ({"topics": []}, "topics"),
            ({"attendance": ["education", 12]}, "attendance"),
            ({"attendance": "lots"}, "attendance"),
            ({"attendance": {"education": -3}}, "attendance"),
            ({"attendance": {"education": "twelve"}}, "attendance"),
            ({"attendance": {"education": 1.5}}, "attendance"),
            ({"attendance": {"education": None}}, "attendance"),
            ({"attendance": {"education": 10**40}}, "attendance"),
            ({"attendance": {"astronauts": 3}}, "attendance"),
            ({"duration_hours": "lots"}, "duration_hours"),
            ({"duration_hours": 1e308}, "duration_hours"),
            ({"duration_hours": "NaN"}, "duration_hours"),
            ({"duration_hours": 0.1}, "duration_hours"),
            ({"duration_hours": None}, "duration_hours"),
            ({"date": None}, "date"),
            ({"date": "2026-02-30"}, "date"),
            ({"date": "1850-01-01"}, "date"),
            ({"start_time": "25:99"}, "start_time"),
            ({"title": None}, "title"),
            ({"title": "   "}, "title"),
            ({"title": "x" * 201}, "title"),
            ({"youth_attendees": "many"}, "youth_attendees"),
            ({"youth_attendees": 99}, "youth_attendees"),
            ({"youth_attendees": -1}, "youth_attendees"),
            ({"delivered_by_hub": False}, "delivered_by_hub"),
            ({"delivered_by_hub": "perhaps"}, "delivered_by_hub"),
            ({"region": "north"}, "region"),
            ({"region": 10**30}, "region"),
            ({"status": "cancelled"}, "status"),
            ({"status": "postponed"}, "status"),
            ({"cancel_reason": "Snow"}, "cancel_reason"),
            ({"notes": "x" * 5000}, "notes"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field(self, api_for, overrides, field):
        response = api_for("hub2.specialist").post(
            reverse("training-list"), payload(**overrides), format="json"
        )

        assert response.status_code == 400, response.content
        assert field in response.json()
        assert not Training.objects.exists()
        assert not TrainingChange.objects.exists()

    def test_attendance_for_a_future_date_is_refused(self, api_for):
        future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
        response = api_for("hub2.specialist").post(
            reverse("training-list"), payload(date=future), format="json"
        )

        assert response.status_code == 400
        assert "attendance" in response.json()

    @pytest.mark.parametrize("body", [[1, 2], "a training", 42, None])
    def test_a_body_that_is_not_an_object_is_a_400(self, api_for, body):
        response = api_for("hub2.specialist").post(reverse("training-list"), body, format="json")

        assert response.status_code == 400
        assert not Training.objects.exists()


class TestChanging:
    def test_recording_attendance_makes_a_planned_training_delivered(
        self, api_for, make_training, personas
    ):
        training = make_training(date=days_ago(2))
        assert training.status == "planned"

        response = api_for("hub2.specialist").patch(
            detail_url(training),
            {"attendance": {"education": 14, "parents": 6}, "youth_attendees": 3},
            format="json",
        )

        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "delivered"
        assert response.json()["total_attendees"] == 20
        training.refresh_from_db()
        assert (training.status, training.total_attendees, training.youth_attendees) == (
            "delivered",
            20,
            3,
        )
        # The fields not sent stay as they were.
        assert response.json()["title"] == training.title
        assert response.json()["topics"] == ["awareness", "indicators"]
        last = training.changes.order_by("at", "id").last()
        assert (last.kind, last.actor) == (ChangeKind.ATTENDANCE, personas["hub2.specialist"])

    def test_another_regions_specialist_may_not_change_it(self, api_for, make_training):
        training = make_training(attendance={"education": 5})
        before = (training.title, training.changes.count())

        response = api_for("hub5.specialist").patch(
            detail_url(training), {"title": "Taken over"}, format="json"
        )

        assert response.status_code == 403
        training.refresh_from_db()
        assert (training.title, training.changes.count()) == before

    @pytest.mark.parametrize("username", ["outagamie.worker", "state.admin"])
    def test_readers_may_not_change_it(self, api_for, make_training, username):
        training = make_training(attendance={"education": 5})

        response = api_for(username).patch(detail_url(training), {"title": "X"}, format="json")

        assert response.status_code == 403
        assert Training.objects.get(pk=training.pk).title == training.title

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"counties": []}, "counties"),
            ({"counties": ["00000"]}, "counties"),
            ({"attendance": {"education": -1}}, "attendance"),
            ({"attendance": [3]}, "attendance"),
            ({"duration_hours": "999"}, "duration_hours"),
            ({"title": ""}, "title"),
            ({"region": 5}, "region"),
            ({"cancel_reason": "Because"}, "cancel_reason"),
        ],
    )
    def test_bad_input_changes_nothing(self, api_for, make_training, body, field):
        training = make_training(attendance={"education": 5})
        changes = training.changes.count()

        response = api_for("hub2.specialist").patch(detail_url(training), body, format="json")

        assert response.status_code == 400, response.content
        assert field in response.json()
        after = Training.objects.get(pk=training.pk)
        assert (after.title, after.total_attendees, after.duration_hours) == (
            training.title,
            5,
            training.duration_hours,
        )
        assert [c.fips for c in after.counties.all()] == [OUTAGAMIE]
        assert after.changes.count() == changes

    def test_cancelling(self, api_for, make_training, personas):
        training = make_training()
        client = api_for("hub2.specialist")

        unsaid = client.patch(detail_url(training), {"status": "cancelled"}, format="json")
        mixed = client.patch(
            detail_url(training),
            {"status": "cancelled", "cancel_reason": "Snow", "title": "New"},
            format="json",
        )
        assert unsaid.status_code == 400
        assert "cancel_reason" in unsaid.json()
        assert mixed.status_code == 400
        assert "status" in mixed.json()
        assert Training.objects.get(pk=training.pk).status == "planned"

        response = client.patch(
            detail_url(training),
            {"status": "cancelled", "cancel_reason": "The school closed for snow."},
            format="json",
        )

        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "cancelled"
        assert response.json()["cancel_reason"] == "The school closed for snow."
        last = training.changes.order_by("at", "id").last()
        assert (last.kind, last.actor) == (ChangeKind.CANCELLED, personas["hub2.specialist"])
        # Kept as it was: no more changes, no second cancel.
        edit = client.patch(detail_url(training), {"title": "Rescheduled"}, format="json")
        again = client.patch(
            detail_url(training), {"status": "cancelled", "cancel_reason": "x"}, format="json"
        )
        assert edit.status_code == 400
        assert again.status_code == 400
        assert "status" in again.json()
        assert Training.objects.get(pk=training.pk).title == training.title

    def test_a_delivered_training_is_not_cancelled(self, api_for, make_training):
        training = make_training(attendance={"education": 5})

        response = api_for("hub2.specialist").patch(
            detail_url(training), {"status": "cancelled", "cancel_reason": "Oops"}, format="json"
        )

        assert response.status_code == 400
        assert "status" in response.json()
        assert Training.objects.get(pk=training.pk).status == "delivered"

    def test_another_region_may_not_cancel_it(self, api_for, make_training):
        training = make_training()

        response = api_for("hub5.specialist").patch(
            detail_url(training),
            {"status": "cancelled", "cancel_reason": "Mine now"},
            format="json",
        )

        assert response.status_code == 403
        assert Training.objects.get(pk=training.pk).status == "planned"

    def test_what_a_get_answers_can_be_sent_back(self, api_for, make_training):
        training = make_training(attendance={"education": 5})
        client = api_for("hub2.specialist")
        body = client.get(detail_url(training)).json()

        response = client.patch(
            detail_url(training), {**body, "notes": "Good turnout."}, format="json"
        )

        assert response.status_code == 200, response.json()
        assert response.json() == {
            **body,
            "notes": "Good turnout.",
            "updated_at": response.json()["updated_at"],
        }
