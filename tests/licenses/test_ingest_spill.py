"""The spill of matched usage rows: kept on disk by application, read back rolled up and sorted."""

import os

import numpy as np

from licenses.ingest.spill import ActivitySpill, rolled_sorted

DAY = np.datetime64("2024-06-03", "D")


def rows_of(parts) -> list[tuple[int, int, str, int]]:
    return [
        (int(app), int(person), str(np.datetime64(int(day), "D")), int(events))
        for part in parts
        for app, person, day, events in zip(part.application_id, part.person_id, part.day, part.events, strict=True)
    ]


def test_rows_come_back_rolled_up_and_in_the_order_of_the_index():
    # Two files: application ids from 2 up to 3, and from 3 on.
    with ActivitySpill(applications=[4, 2, 3], files=2) as spill:
        spill.append(np.array([3, 2, 4]), np.array([7, 9, 1]), np.array([DAY, DAY + 1, DAY]), np.array([2, 1, 5]))
        spill.append(np.array([2, 3, 2]), np.array([9, 7, 5]), np.array([DAY + 1, DAY, DAY]), np.array([4, 3, 1]))

        parts = list(spill.parts())

    assert spill.rows == 6
    assert [len(part) for part in parts] == [2, 2]
    assert rows_of(parts) == [
        (2, 5, "2024-06-03", 1),
        (2, 9, "2024-06-04", 5),  # 1 + 4
        (3, 7, "2024-06-03", 5),  # 2 + 3, from two chunks
        (4, 1, "2024-06-03", 5),
    ]


def test_an_application_created_since_the_start_still_has_a_file():
    with ActivitySpill(applications=[5, 6], files=2) as spill:
        spill.append(np.array([9, 1, 6]), np.array([1, 1, 1]), np.array([DAY, DAY, DAY]), np.array([1, 2, 3]))

        parts = list(spill.parts())

    assert rows_of(parts) == [(1, 1, "2024-06-03", 2), (6, 1, "2024-06-03", 3), (9, 1, "2024-06-03", 1)]


def test_a_file_too_big_for_memory_is_split_again_and_still_adds_up():
    rng = np.random.default_rng(7)
    count = 5000
    apps, people = rng.integers(1, 4, count), rng.integers(1, 60, count)
    days, events = DAY + rng.integers(0, 5, count), rng.integers(1, 9, count)
    expected: dict[tuple, int] = {}
    for key in zip(apps.tolist(), people.tolist(), days.astype(np.int64).tolist(), strict=True):
        expected[key] = 0
    for key, add in zip(
        zip(apps.tolist(), people.tolist(), days.astype(np.int64).tolist(), strict=True), events.tolist(), strict=True
    ):
        expected[key] += add

    with ActivitySpill(files=1, part_rows=400) as spill:
        for start in range(0, count, 700):
            window = slice(start, start + 700)
            spill.append(apps[window], people[window], days[window], events[window])
        parts = list(spill.parts())

    assert max(len(part) for part in parts) <= 400
    got = {
        (int(a), int(p), int(d)): int(e)
        for part in parts
        for a, p, d, e in zip(part.application_id, part.person_id, part.day, part.events, strict=True)
    }
    assert got == expected
    assert sum(len(part) for part in parts) == len(expected)  # each key in one part only
    for part in parts:
        keys = list(zip(part.application_id.tolist(), part.person_id.tolist(), part.day.tolist(), strict=True))
        assert keys == sorted(keys)


def test_rolled_sorted_adds_up_equal_keys():
    rows = np.zeros(4, dtype=[("application_id", "<i8"), ("person_id", "<i8"), ("day", "<i4"), ("events", "<i8")])
    rows["application_id"] = [5, 5, 1, 5]
    rows["person_id"] = [2, 2, 8, 1]
    rows["day"] = [100, 100, 100, 101]
    rows["events"] = [3, 4, 1, 2]

    part = rolled_sorted(rows)

    assert list(zip(part.application_id, part.person_id, part.day, part.events, strict=True)) == [
        (1, 8, 100, 1),
        (5, 1, 101, 2),
        (5, 2, 100, 7),
    ]


def test_the_files_are_removed_on_the_way_out():
    with ActivitySpill(files=3) as spill:
        spill.append(np.array([1]), np.array([1]), np.array([DAY]), np.array([1]))
        directory = spill._directory.name

    assert not os.path.exists(directory)
