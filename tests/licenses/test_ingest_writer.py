"""The bulk merge of usage rollups into Activity and PendingActivity."""

import datetime

import pandas as pd
import pytest

from licenses.ingest.writer import activity_rows_merge, pending_rows_merge
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
