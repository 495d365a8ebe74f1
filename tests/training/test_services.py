"""training.services, the one write path: logging, editing, cancelling; who may; each
validation rule with the message a person sees; the database's own checks; the
append-only change rows; and the right to manage trainings following the membership.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from regions.models import Agency, County, Hub, Membership, Region, Role, Tribe
from regions.services import membership_grant, membership_revoke
from training.models import (
    Attendance,
    ChangeKind,
    Training,
    TrainingChange,
    TrainingStatus,
)
from training.selectors import may_manage_trainings, training_regions_managed_by
from training.services import (
    TrainingInput,
    training_cancel,
    training_check,
    training_create,
    training_input_of,
    training_update,
)

pytestmark = pytest.mark.django_db

REFUSED = "Cannot update or delete rows"


def region(number: int) -> Region:
    return Region.objects.get(number=number)


def full_input(**changes) -> TrainingInput:
    """A delivered training with every field given."""
    data = TrainingInput(
        title="  Recognising trafficking in the emergency department ",
        date=timezone.localdate() - datetime.timedelta(days=3),
        start_time=datetime.time(13, 30),
        duration_hours=Decimal("1.5"),
        format="hybrid",
        topics=["indicators", "trauma_informed", "indicators"],
        delivered_by_hub=True,
        partner_agencies=[Agency.objects.get(name="Outagamie County Human Services")],
        presenters="Regional sexual assault service provider",
        venue="Appleton Medical Center",
        counties=list(County.objects.filter(name__in=["Outagamie", "Brown"])),
        tribes=[Tribe.objects.get(name="Oneida Nation")],
        attendance={"health_care": 22, "law_enforcement": 3, "education": 0},
        youth_attendees=0,
        notes="Handouts given.",
    )
    for field, value in changes.items():
        setattr(data, field, value)
    return data


def planned_input(**changes) -> TrainingInput:
    return full_input(
        **{
            "date": timezone.localdate() + datetime.timedelta(days=14),
            "attendance": {},
            "youth_attendees": None,
            **changes,
        }
    )


def as_stored(training: Training) -> TrainingInput:
    """The training as an edit form or the API reads it: from the database."""
    return training_input_of(Training.objects.get(pk=training.pk))


# --- Logging ---------------------------------------------------------------------------


def test_a_training_without_attendance_is_planned(personas):
    training = training_create(
        actor=personas["hub2.specialist"], region=region(2), data=planned_input()
    )

    assert training.status == TrainingStatus.PLANNED
    assert training.total_attendees == 0
    assert not training.attendance.exists()


def test_a_training_with_attendance_is_delivered_and_its_change_row_holds_every_field(
    personas,
):
    hub = personas["hub2.specialist"]

    training = training_create(actor=hub, region=region(2), data=full_input())

    training.refresh_from_db()
    assert training.status == TrainingStatus.DELIVERED
    assert training.total_attendees == 25
    assert training.title == "Recognising trafficking in the emergency department"
    assert training.created_by == hub
    assert {row.sector: row.count for row in training.attendance.all()} == {
        "health_care": 22,
        "law_enforcement": 3,
    }
    assert sorted(training.topic_rows.values_list("topic", flat=True)) == [
        "indicators",
        "trauma_informed",
    ]
    [change] = training.changes.all()
    assert change.kind == ChangeKind.CREATED
    assert change.actor == hub
    day = training.date.isoformat()
    assert change.changes == {
        "title": ["", "Recognising trafficking in the emergency department"],
        "date": ["", day],
        "start_time": ["", "13:30"],
        "duration_hours": ["", "1.5"],
        "format": ["", "Hybrid"],
        "topics": ["", "Recognising the indicators, Trauma-informed care"],
        "delivered_by_hub": ["", "yes"],
        "partner_agencies": ["", "Outagamie County Human Services"],
        "presenters": ["", "Regional sexual assault service provider"],
        "venue": ["", "Appleton Medical Center"],
        "counties": ["", "Brown, Outagamie"],
        "tribes": ["", "Oneida Nation"],
        "attendance": ["", "Health care: 22, Law enforcement: 3"],
        "youth_attendees": ["", "0"],
        "status": ["", "Delivered"],
        "notes": ["", "Handouts given."],
    }


# --- Editing ---------------------------------------------------------------------------


def test_an_edit_records_only_the_fields_that_changed_before_and_after(personas):
    hub = personas["hub2.specialist"]
    training = training_create(actor=hub, region=region(2), data=full_input())
    data = as_stored(training)
    data.venue = "ThedaCare Regional Medical Center"
    data.counties = [*data.counties, County.objects.get(name="Winnebago")]

    training_update(actor=hub, training_id=training.pk, data=data)

    change = training.changes.last()
    assert change.kind == ChangeKind.EDITED
    assert change.changes == {
        "venue": ["Appleton Medical Center", "ThedaCare Regional Medical Center"],
        "counties": ["Brown, Outagamie", "Brown, Outagamie, Winnebago"],
    }
    assert set(training.counties.values_list("name", flat=True)) == {
        "Brown",
        "Outagamie",
        "Winnebago",
    }


def test_saving_without_a_change_writes_no_change_row(personas):
    hub = personas["hub2.specialist"]
    training = training_create(actor=hub, region=region(2), data=full_input())

    training_update(actor=hub, training_id=training.pk, data=as_stored(training))

    assert training.changes.count() == 1


def test_the_same_length_written_differently_is_no_change(personas):
    hub = personas["hub2.specialist"]
    training = training_create(actor=hub, region=region(2), data=full_input())
    data = as_stored(training)
    data.duration_hours = Decimal("1.5")  # stored as 1.50; the API and forms send 1.5

    training_update(actor=hub, training_id=training.pk, data=data)

    assert training.changes.count() == 1


def test_recording_attendance_on_a_planned_training_marks_it_delivered(personas):
    hub = personas["hub2.specialist"]
    past = timezone.localdate() - datetime.timedelta(days=1)
    training = training_create(actor=hub, region=region(2), data=planned_input(date=past))
    assert training.status == TrainingStatus.PLANNED
    data = as_stored(training)
    data.attendance = {"education": 14, "parents": 6}

    training_update(actor=hub, training_id=training.pk, data=data)

    training.refresh_from_db()
    assert training.status == TrainingStatus.DELIVERED
    assert training.total_attendees == 20
    change = training.changes.last()
    assert change.kind == ChangeKind.ATTENDANCE
    assert change.changes == {
        "attendance": ["", "Education: 14, Parents and caregivers: 6"],
        "status": ["Planned", "Delivered"],
    }


def test_removing_all_attendance_makes_it_planned_again(personas):
    hub = personas["hub2.specialist"]
    training = training_create(actor=hub, region=region(2), data=full_input())
    data = as_stored(training)
    data.attendance = {}
    data.youth_attendees = None

    training_update(actor=hub, training_id=training.pk, data=data)

    training.refresh_from_db()
    assert training.status == TrainingStatus.PLANNED
    assert training.total_attendees == 0
    assert training.changes.last().kind == ChangeKind.EDITED


# --- Cancelling ------------------------------------------------------------------------


def test_cancelling_needs_a_reason_and_records_it(personas):
    hub = personas["hub2.specialist"]
    training = training_create(actor=hub, region=region(2), data=planned_input())

    for reason in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            training_cancel(actor=hub, training_id=training.pk, reason=reason)
        assert refused.value.message_dict == {"reason": ["Say why the training was cancelled."]}
    with pytest.raises(ValidationError) as refused:
        training_cancel(actor=hub, training_id=training.pk, reason="x" * 301)
    assert refused.value.message_dict == {"reason": ["Keep the reason to 300 characters."]}
    training.refresh_from_db()
    assert training.status == TrainingStatus.PLANNED

    training_cancel(actor=hub, training_id=training.pk, reason=" The venue closed for snow. ")

    training.refresh_from_db()
    assert training.status == TrainingStatus.CANCELLED
    assert training.cancel_reason == "The venue closed for snow."
    change = training.changes.last()
    assert change.kind == ChangeKind.CANCELLED
    assert change.reason == "The venue closed for snow."
    assert change.changes == {"status": ["Planned", "Cancelled"]}


def test_a_delivered_training_cannot_be_cancelled(personas):
    hub = personas["hub2.specialist"]
    training = training_create(actor=hub, region=region(2), data=full_input())

    with pytest.raises(ValidationError, match="Only a planned training can be cancelled"):
        training_cancel(actor=hub, training_id=training.pk, reason="Changed our minds.")

    training.refresh_from_db()
    assert training.status == TrainingStatus.DELIVERED
    assert training.changes.count() == 1


def test_a_cancelled_training_cannot_be_cancelled_again_or_edited(personas):
    hub = personas["hub2.specialist"]
    training = training_create(actor=hub, region=region(2), data=planned_input())
    training_cancel(actor=hub, training_id=training.pk, reason="Presenter ill.")

    with pytest.raises(ValidationError, match="Only a planned training"):
        training_cancel(actor=hub, training_id=training.pk, reason="Again.")
    data = as_stored(training)
    data.title = "Rescheduled"
    with pytest.raises(ValidationError, match="cancelled; it is kept as it was"):
        training_update(actor=hub, training_id=training.pk, data=data)

    training.refresh_from_db()
    assert training.title == "Recognising trafficking in the emergency department"
    assert training.changes.count() == 2


# --- Who may ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username",
    ["hub5.specialist", "outagamie.worker", "menominee.worker", "state.admin", "accounts.admin"],
)
def test_only_the_regions_hub_logs_its_trainings_and_a_refusal_writes_nothing(personas, username):
    with pytest.raises(PermissionDenied, match="Only the hub specialists of Region 2"):
        training_create(actor=personas[username], region=region(2), data=full_input())

    assert not Training.objects.exists()
    assert not TrainingChange.objects.exists()
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("username", ["hub5.specialist", "outagamie.worker", "state.admin"])
def test_others_can_neither_edit_nor_cancel_a_regions_training(personas, username):
    hub = personas["hub2.specialist"]
    training = training_create(actor=hub, region=region(2), data=planned_input())
    data = as_stored(training)
    data.title = "Taken over"

    with pytest.raises(PermissionDenied):
        training_update(actor=personas[username], training_id=training.pk, data=data)
    with pytest.raises(PermissionDenied):
        training_cancel(actor=personas[username], training_id=training.pk, reason="Mine now.")

    training.refresh_from_db()
    assert training.title != "Taken over"
    assert training.status == TrainingStatus.PLANNED
    assert training.changes.count() == 1


def test_hub_5_logs_its_own_regions_trainings_reaching_any_county(personas):
    data = full_input(
        counties=list(County.objects.filter(name__in=["Dane", "Winnebago"])),
        partner_agencies=[Agency.objects.get(name="Dane County Human Services")],
    )

    training = training_create(actor=personas["hub5.specialist"], region=region(5), data=data)

    assert training.region.number == 5


def test_partner_agencies_are_the_trainings_regions_own(personas):
    """Another region's agency is refused (whatever the screen: form, API, spreadsheet),
    naming it; nothing is written."""
    data = full_input(counties=list(County.objects.filter(name__in=["Dane"])))

    with pytest.raises(ValidationError) as refused:
        training_create(actor=personas["hub5.specialist"], region=region(5), data=data)

    assert "Outagamie County Human Services" in refused.value.message_dict["partner_agencies"][0]
    assert not Training.objects.exists()


def test_the_right_to_manage_trainings_follows_the_hub_membership(personas):
    hub = personas["hub2.specialist"]
    membership = Membership.objects.active().get(user=hub, role=Role.HUB_SPECIALIST)

    membership_revoke(membership=membership)

    hub.refresh_from_db()
    assert not may_manage_trainings(hub, region(2))
    assert training_regions_managed_by(hub) == []
    with pytest.raises(PermissionDenied):
        training_create(actor=hub, region=region(2), data=planned_input())
    assert not Training.objects.exists()

    membership_grant(user=hub, role=Role.HUB_SPECIALIST, hub=Hub.objects.get(region=region(2)))

    hub.refresh_from_db()
    assert may_manage_trainings(hub, region(2))
    assert training_regions_managed_by(hub) == [region(2)]
    assert not may_manage_trainings(hub, region(5))
    training_create(actor=hub, region=region(2), data=planned_input())
    assert Training.objects.count() == 1


def test_a_new_hub_specialist_manages_that_regions_trainings_only(personas):
    newcomer = personas["outsider"]
    assert not may_manage_trainings(newcomer, region(5))

    membership_grant(
        user=newcomer, role=Role.HUB_SPECIALIST, hub=Hub.objects.get(region=region(5))
    )

    newcomer.refresh_from_db()
    assert may_manage_trainings(newcomer, region(5))
    assert not may_manage_trainings(newcomer, region(2))
    training_create(actor=newcomer, region=region(5), data=planned_input(partner_agencies=[]))
    with pytest.raises(PermissionDenied):
        training_create(actor=newcomer, region=region(2), data=planned_input())


def test_a_deactivated_account_manages_nothing(personas):
    hub = personas["hub2.specialist"]
    hub.is_active = False
    hub.save(update_fields=["is_active"])

    assert not may_manage_trainings(hub, region(2))
    with pytest.raises(PermissionDenied):
        training_create(actor=hub, region=region(2), data=planned_input())


# --- Validation: every rule, with the message and the field it names -----------------

TODAY = datetime.date(2026, 5, 20)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "   "}, "title", "Give the training a title."),
        ({"title": "x" * 201}, "title", "Keep the title to 200 characters."),
        ({"date": None}, "date", "Give the date of the training."),
        (
            {"date": datetime.date(1999, 12, 31)},
            "date",
            "The date is before 2000; check the year.",
        ),
        (
            {"date": datetime.date(2028, 5, 22), "attendance": {}, "youth_attendees": None},
            "date",
            "The date is more than two years ahead; check the year.",
        ),
        (
            {"duration_hours": None},
            "duration_hours",
            "Give how long the training lasted, in hours.",
        ),
        (
            {"duration_hours": Decimal("0.2")},
            "duration_hours",
            "Give a length from 0.25 to 80 hours.",
        ),
        (
            {"duration_hours": Decimal("80.5")},
            "duration_hours",
            "Give a length from 0.25 to 80 hours.",
        ),
        (
            {"duration_hours": Decimal("1.333")},
            "duration_hours",
            "Give the length to at most two decimals (1.5, 0.75).",
        ),
        ({"format": "webinar"}, "format", "Choose in person, virtual or hybrid."),
        ({"format": ""}, "format", "Choose in person, virtual or hybrid."),
        ({"topics": []}, "topics", "Choose at least one topic."),
        ({"topics": ["awareness", "juggling"]}, "topics", "Unknown topic: juggling."),
        ({"counties": []}, "counties", "Choose at least one county the training reached."),
        (
            {"delivered_by_hub": False, "partner_agencies": [], "presenters": " "},
            "delivered_by_hub",
            "Say who delivered it: the hub's own people, a partner agency or other presenters.",
        ),
        ({"presenters": "x" * 301}, "presenters", "Keep the presenters to 300 characters."),
        ({"venue": "x" * 201}, "venue", "Keep the host or venue to 200 characters."),
        ({"notes": "x" * 4001}, "notes", "Keep the notes to 4000 characters."),
        ({"attendance": {"astronauts": 3}}, "attendance", "Unknown sector: astronauts."),
        (
            {"attendance": {"education": -2}},
            "attendance",
            "Give each sector's attendance as a whole number from 0 to 100,000.",
        ),
        (
            {"attendance": {"education": 100_001}},
            "attendance",
            "Give each sector's attendance as a whole number from 0 to 100,000.",
        ),
        (
            {"attendance": {"education": "12"}},
            "attendance",
            "Give each sector's attendance as a whole number from 0 to 100,000.",
        ),
        (
            {"date": datetime.date(2026, 6, 1)},
            "attendance",
            "Attendance is recorded once the training has taken place; this one is on "
            "Jun 1, 2026. Leave it empty while the training is planned.",
        ),
        ({"youth_attendees": -1}, "youth_attendees", "Give a whole number of youth attendees."),
        (
            {"youth_attendees": 26},
            "youth_attendees",
            "More youth (26) than attendees in all (25).",
        ),
    ],
)
def test_each_rule_names_its_field_with_a_message_a_person_can_act_on(
    personas, changes, field, message
):
    data = full_input(**{"date": datetime.date(2026, 5, 18), **changes})

    with pytest.raises(ValidationError) as refused:
        training_check(data, today=TODAY)

    assert refused.value.message_dict == {field: [message]}


def test_the_rules_pass_a_good_training_and_clean_it(personas):
    data = full_input(date=datetime.date(2026, 5, 18))

    training_check(data, today=TODAY)

    assert data.title == "Recognising trafficking in the emergency department"
    assert data.topics == ["indicators", "trauma_informed"]
    assert data.attendance == {"health_care": 22, "law_enforcement": 3}


def test_several_wrong_fields_are_named_together_and_nothing_is_written(personas):
    data = full_input(title="", counties=[], format="webinar")

    with pytest.raises(ValidationError) as refused:
        training_create(actor=personas["hub2.specialist"], region=region(2), data=data)

    assert set(refused.value.message_dict) == {"title", "counties", "format"}
    assert not Training.objects.exists()
    assert not TrainingChange.objects.exists()


def test_the_limits_themselves_are_allowed(personas):
    data = full_input(
        title="x" * 200,
        date=TODAY + datetime.timedelta(days=732),
        duration_hours=Decimal("0.25"),
        attendance={},
        youth_attendees=None,
        venue="v" * 200,
        presenters="p" * 300,
        notes="n" * 4000,
    )
    training_check(data, today=TODAY)

    data = full_input(date=TODAY, duration_hours=Decimal("80"), attendance={"education": 100_000})
    training_check(data, today=TODAY)


# --- The database's own checks ---------------------------------------------------------


def row(personas, **fields) -> Training:
    values = {
        "region": region(2),
        "title": "Direct",
        "date": TODAY,
        "duration_hours": Decimal("1"),
        "format": "in_person",
        "created_by": personas["hub2.specialist"],
        **fields,
    }
    return Training(**values)


@pytest.mark.parametrize(
    "fields",
    [
        {"duration_hours": Decimal("0.1")},
        {"duration_hours": Decimal("81")},
        {"status": TrainingStatus.DELIVERED, "total_attendees": 0},
        {"status": TrainingStatus.DELIVERED, "total_attendees": 3, "youth_attendees": 4},
    ],
)
def test_the_database_refuses_a_training_the_rules_would_refuse(personas, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        row(personas, **fields).save()


def test_the_database_refuses_a_zero_attendance_count_and_a_second_count_per_sector(personas):
    training = row(personas, status=TrainingStatus.DELIVERED, total_attendees=5)
    training.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(training=training, sector="education", count=0)
    Attendance.objects.create(training=training, sector="education", count=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(training=training, sector="education", count=1)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger (pgtrigger)")
def test_change_rows_are_append_only_on_postgresql(personas):
    training = training_create(
        actor=personas["hub2.specialist"], region=region(2), data=planned_input()
    )
    change = training.changes.get()

    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        TrainingChange.objects.filter(pk=change.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        TrainingChange.objects.filter(pk=change.pk).delete()
    change.at -= datetime.timedelta(days=1)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        change.save()

    change.refresh_from_db()
    assert change.reason == ""
