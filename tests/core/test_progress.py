import time

from django.core.cache import cache

from saasmgr.core.progress import progress_clear, progress_read, progress_report


def test_a_report_is_read_back_with_its_time():
    before = time.time()

    progress_report("job:1", stage="writing", processed=400, total=1000, percent=70)

    snapshot = progress_read("job:1")
    assert (snapshot.stage, snapshot.processed, snapshot.total, snapshot.percent) == ("writing", 400, 1000, 70)
    assert before <= snapshot.reported_at <= time.time()
    assert snapshot.age_seconds >= 0


def test_percent_is_kept_between_0_and_100():
    progress_report("job:2", stage="writing", processed=5, total=4, percent=130)

    assert progress_read("job:2").percent == 100


def test_nothing_reported_reads_as_none_and_clear_forgets():
    assert progress_read("job:3") is None
    progress_report("job:3", stage="reading", processed=1, total=2, percent=20)

    progress_clear("job:3")

    assert progress_read("job:3") is None


def test_an_entry_of_another_shape_reads_as_none():
    cache.set("job:4", {"stage": "writing", "done": 3})

    assert progress_read("job:4") is None
