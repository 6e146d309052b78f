"""The bulk merge of usage rollups into Activity and PendingActivity."""

import datetime

import numpy as np
import pandas as pd
import pytest
from django.db import IntegrityError, connection, transaction

from licenses.ingest import writer
from licenses.ingest.spill import ActivityPart
from licenses.ingest.writer import MAX_EVENTS, activity_parts_write, activity_rows_merge, pending_rows_merge
from licenses.models import Activity, PendingActivity
from tests.factories import ApplicationFactory, PersonFactory
from tests.licenses.factories import ActivityFactory

pytestmark = pytest.mark.django_db

D1, D2 = datetime.date(2024, 6, 1), datetime.date(2024, 6, 2)


def stored_activity() -> set[tuple]:
    return set(Activity.objects.values_list("person_id", "application_id", "day", "events"))


def test_new_rows_are_created_and_same_key_rows_add_up():
    ann, app = PersonFactory(), ApplicationFactory()
    frame = pd.DataFrame(
        {
            "person_id": [ann.pk, ann.pk, ann.pk],
            "application_id": [app.pk] * 3,
            "day": [D1, D1, D2],
            "events": [2, 3, 1],
        }
    )

    assert activity_rows_merge(frame) == (2, 0, 0)

    assert stored_activity() == {(ann.pk, app.pk, D1, 5), (ann.pk, app.pk, D2, 1)}


def test_a_stored_day_keeps_the_larger_count():
    ann, bob, app = PersonFactory(), PersonFactory(), ApplicationFactory()
    ActivityFactory(person=ann, application=app, day=D1, events=4)
    ActivityFactory(person=bob, application=app, day=D1, events=9)
    frame = pd.DataFrame(
        {
            "person_id": [ann.pk, bob.pk, bob.pk],
            "application_id": [app.pk] * 3,
            # datetime64 days, as the ingest engine stages them
            "day": pd.to_datetime(["2024-06-01", "2024-06-01", "2024-06-02"]),
            "events": [7, 3, 1],
        }
    )

    assert activity_rows_merge(frame) == (1, 1, 1)

    assert stored_activity() == {(ann.pk, app.pk, D1, 7), (bob.pk, app.pk, D1, 9), (bob.pk, app.pk, D2, 1)}
    # The same rows again change nothing.
    assert activity_rows_merge(frame) == (0, 0, 3)


def test_an_empty_frame_writes_nothing():
    frame = pd.DataFrame(columns=["person_id", "application_id", "day", "events"])
    assert activity_rows_merge(frame) == (0, 0, 0)
    assert not Activity.objects.exists()


def test_a_frame_without_the_columns_is_refused():
    with pytest.raises(ValueError, match="events"):
        activity_rows_merge(pd.DataFrame({"person_id": [1], "application_id": [1], "day": [D1]}))


def test_pending_rows_merge_by_identity_name_and_day():
    PendingActivity.objects.create(identity="ann@example.com", app_name="figma", day=D1, events=2, source="okta-syslog")
    frame = pd.DataFrame(
        {
            "identity": ["ann@example.com", "ann@example.com", "o'hara, k@example.com"],
            "app_name": ["figma", "figma", "miro"],
            "day": [D1, D2, D1],
            "events": [1, 1, 3],
            "source": ["generic"] * 3,
        }
    )

    assert pending_rows_merge(frame) == (2, 0, 1)

    assert set(PendingActivity.objects.values_list("identity", "app_name", "day", "events", "source")) == {
        ("ann@example.com", "figma", D1, 2, "okta-syslog"),
        ("ann@example.com", "figma", D2, 1, "generic"),
        ("o'hara, k@example.com", "miro", D1, 3, "generic"),
    }


# Parts of an ingest: copied straight in when they cannot meet a stored day, merged otherwise


def part_of(rows: list[tuple]) -> ActivityPart:
    """(application, person, day, events) rows, in the order of Activity's index."""
    rows = sorted(rows)
    epoch = datetime.date(1970, 1, 1)
    return ActivityPart(
        np.array([row[0] for row in rows], dtype=np.int64),
        np.array([row[1] for row in rows], dtype=np.int64),
        np.array([(row[2] - epoch).days for row in rows], dtype=np.int64),
        np.array([row[3] for row in rows], dtype=np.int64),
    )


D3, D5 = datetime.date(2024, 6, 3), datetime.date(2024, 6, 5)


def test_parts_are_created_outside_the_stored_days_and_merged_inside():
    ann, bob = PersonFactory(), PersonFactory()
    figma, miro = ApplicationFactory(), ApplicationFactory()
    # Figma has days stored from 1 to 3 June; Miro none.
    ActivityFactory(person=ann, application=figma, day=D1, events=4)
    ActivityFactory(person=bob, application=figma, day=D3, events=6)
    parts = [
        part_of(
            [
                (figma.pk, ann.pk, D1, 7),  # stored with 4: raised to 7
                (figma.pk, bob.pk, D3, 2),  # stored with 6: kept
                (figma.pk, bob.pk, D2, 1),  # within the stored days, not stored: created by the merge
                (figma.pk, ann.pk, D5, 3),  # after the stored days: copied in
            ]
        ),
        part_of([(miro.pk, ann.pk, D1, 2), (miro.pk, bob.pk, D1, 5)]),  # nothing stored for Miro: copied in
    ]

    assert activity_parts_write(parts, applications=[figma.pk, miro.pk]) == (4, 1, 1)

    assert stored_activity() == {
        (ann.pk, figma.pk, D1, 7),
        (bob.pk, figma.pk, D3, 6),
        (bob.pk, figma.pk, D2, 1),
        (ann.pk, figma.pk, D5, 3),
        (ann.pk, miro.pk, D1, 2),
        (bob.pk, miro.pk, D1, 5),
    }
    # The same parts again: every day is stored now, so everything is merged and nothing changes.
    assert activity_parts_write(parts, applications=[figma.pk, miro.pk]) == (0, 0, 6)
    assert Activity.objects.count() == 6


def test_a_count_too_large_for_the_column_is_stored_as_the_largest_it_holds():
    ann, app = PersonFactory(), ApplicationFactory()

    assert activity_parts_write([part_of([(app.pk, ann.pk, D1, 2**40)])], applications=[app.pk]) == (1, 0, 0)

    assert stored_activity() == {(ann.pk, app.pk, D1, MAX_EVENTS)}


def test_no_parts_write_nothing():
    assert activity_parts_write([], applications=[]) == (0, 0, 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the straight copy is PostgreSQL's")
def test_a_copy_the_database_refuses_raises_in_the_caller_and_writes_nothing(monkeypatch):
    ann, app = PersonFactory(), ApplicationFactory()
    ActivityFactory(person=ann, application=app, day=D1, events=4)
    # As if nothing were stored: the day is copied straight in, and meets the stored row.
    monkeypatch.setattr(writer, "_stored_spans", lambda applications: writer._Spans([]))

    with pytest.raises(IntegrityError), transaction.atomic():
        activity_parts_write([part_of([(app.pk, ann.pk, D1, 9), (app.pk, ann.pk, D2, 1)])], applications=[app.pk])

    assert stored_activity() == {(ann.pk, app.pk, D1, 4)}
