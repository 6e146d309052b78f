"""A big import started in the browser runs on the Celery worker while its progress bar moves,
and the same file imported again changes nothing."""

import csv
import re
import time
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PEOPLE_ROWS = 8_000
DEPARTMENTS = ["Engineering", "Sales", "Marketing", "Finance", "People", "Support", "Legal", "Design"]
SAMPLE_EVERY_MS = 100
# Generous: two imports of this size take seconds, but a loaded 2-core machine can be far slower.
IMPORT_TIMEOUT_SECONDS = 240

# What the page shows of the job, read in one go so that a sample is consistent.
READ_STATUS = """() => {
  const status = document.querySelector('#import-status');
  if (!status) return null;
  const bar = status.querySelector('[role=progressbar]');
  const created = status.querySelector('[data-count=created]');
  const failure = status.querySelector('.alert-danger');
  return {
    value: bar ? bar.getAttribute('aria-valuenow') : null,
    done: created !== null,
    failure: failure ? failure.innerText : null,
  };
}"""


def _write_people_csv(path, *, rows: int) -> str:
    """Writes the roster; returns the tag in every row's employee id, unique to this run."""
    run = uuid.uuid4().hex[:6]
    first_day = date(2019, 1, 7)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Employee ID", "Email Address", "Full Name", "Department", "Status", "Start Date", "Termination Date"]
        )
        for number in range(1, rows + 1):
            start = first_day + timedelta(days=number % 1500)
            terminated = number % 17 == 0
            writer.writerow(
                [
                    f"E{run}-{number:05d}",
                    f"person{number:05d}.{run}@example.com",
                    f"Person {number:05d} Example",
                    DEPARTMENTS[number % len(DEPARTMENTS)],
                    "terminated" if terminated else "active",
                    start.isoformat(),
                    (start + timedelta(days=400)).isoformat() if terminated else "",
                ]
            )
    return run


def _upload(page, live_app, path) -> None:
    page.goto(live_app.url("/imports/new/"))
    page.get_by_label("What the file holds").select_option(label="People: Generic CSV or XLSX")
    page.get_by_label(re.compile(r"^File\b")).set_input_files(path)
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url(re.compile(r".*/imports/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"People from {path.name}")
    expect(page.locator("dl.detail")).to_contain_text(f"{PEOPLE_ROWS:,}")


def _start_import_and_watch(page, *, on_first_intermediate=None) -> list[int | None]:
    """Clicks "Import" and samples the progress bar until the page shows the result.

    Returns every value seen, in order (None: no bar on the page at that moment). The page
    reloads itself when the job ends, so a sample may land on a page being replaced.
    """
    page.get_by_role("button", name="Import", exact=True).click()
    seen: list[int | None] = []
    deadline = time.monotonic() + IMPORT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            state = page.evaluate(READ_STATUS)
        except PlaywrightError:  # the page navigated between two samples
            state = None
        if state and state["done"]:
            return seen
        if state and state["failure"]:
            pytest.fail(f"The import failed: {state['failure']}. Progress seen: {_compact(seen)}")
        value = int(state["value"]) if state and state["value"] is not None else None
        seen.append(value)
        if on_first_intermediate and value is not None and 0 < value < 100:
            on_first_intermediate()
            on_first_intermediate = None
        page.wait_for_timeout(SAMPLE_EVERY_MS)
    pytest.fail(f"The import did not finish in {IMPORT_TIMEOUT_SECONDS}s. Progress seen: {_compact(seen)}")


def _compact(values: list[int | None]) -> str:
    """[0, 0, 0, 12, 12, 40] -> "0×3, 12×2, 40": readable in a failure message."""
    runs: list[list] = []
    for value in values:
        if runs and runs[-1][0] == value:
            runs[-1][1] += 1
        else:
            runs.append([value, 1])
    return ", ".join(f"{value}×{count}" if count > 1 else f"{value}" for value, count in runs) or "nothing"


def _assert_moved(values: list[int | None]) -> None:
    intermediate = [value for value in values if value is not None and 0 < value < 100]
    assert intermediate, f"The progress bar never showed a value between 0 and 100. Seen: {_compact(values)}"


def _assert_never_went_back(values: list[int | None]) -> None:
    numbers = [value for value in values if value is not None]
    drops = [(before, after) for before, after in zip(numbers, numbers[1:], strict=False) if after < before]
    assert not drops, f"The progress bar went back ({drops[0][0]} -> {drops[0][1]}). Seen: {_compact(values)}"


def test_big_import_runs_in_the_background_with_a_moving_progress_bar(page, live_app, log_in, screenshot, tmp_path):
    people_csv = tmp_path / "people-roster.csv"
    run = _write_people_csv(people_csv, rows=PEOPLE_ROWS)
    log_in("it")

    _upload(page, live_app, people_csv)
    expect(page.get_by_text("This file is big, so it runs in the background with a progress bar.")).to_be_visible()
    seen = _start_import_and_watch(page, on_first_intermediate=lambda: screenshot("import-progress-running"))
    print(f"Progress of the first import: {_compact(seen)}")  # shown when the test fails later on
    _assert_moved(seen)
    _assert_never_went_back(seen)

    result = page.locator("#import-status")
    expect(result.get_by_role("status")).to_contain_text(f"Imported. Created {PEOPLE_ROWS:,}, updated 0, 0 unchanged")
    expect(result.locator("[data-count=created]")).to_have_text(f"{PEOPLE_ROWS:,}")
    expect(result.locator("[data-count=bad_rows]")).to_have_text("0")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Done")
    screenshot("import-progress-done")

    # The same file again: every row matches a stored person, so nothing is created or updated.
    _upload(page, live_app, people_csv)
    seen_again = _start_import_and_watch(page)
    print(f"Progress of the second import: {_compact(seen_again)}")
    result = page.locator("#import-status")
    expect(result.get_by_role("status")).to_contain_text(f"Imported. Created 0, updated 0, {PEOPLE_ROWS:,} unchanged")
    expect(result.locator("[data-count=created]")).to_have_text("0")
    expect(result.locator("[data-count=updated]")).to_have_text("0")
    expect(result.locator("[data-count=unchanged]")).to_have_text(f"{PEOPLE_ROWS:,}")
    screenshot("import-reimport-unchanged")
    _assert_never_went_back(seen_again)

    stored = live_app.python(
        "from saasmgr.inventory.models import Person; "
        f"print(Person.objects.filter(employee_id__startswith='E{run}-').count())"
    )
    assert int(stored.strip()) == PEOPLE_ROWS
