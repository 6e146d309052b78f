"""Contract and renewal pages: the pipeline, at-risk list and calendar show exactly the right renewals;
contract forms compute values and write nothing when invalid; illegal moves are refused with the reason;
the ICS feed holds every cancel-by date behind a rotatable secret; no list runs a query per row."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from renewals.choices import ContractStatus, PricingModel, RenewalDecision, RenewalStage
from renewals.models import CalendarFeed, Contract, ContractDocument, LineItem, ReminderDelivery, Renewal
from renewals.services import renewal_close, renewal_update
from saasmgr.core.choices import BillingPeriod, Role
from saasmgr.core.models import FxRate
from saasmgr.core.services import fx_rate_upsert
from tests.factories import ApplicationFactory, DepartmentFactory, UserFactory, VendorFactory
from tests.renewals.factories import CalendarFeedFactory, ContractFactory, seat_line

pytestmark = pytest.mark.django_db

NOTICE = 30


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def procurement_client(client_for) -> Client:
    return client_for(Role.PROCUREMENT)


def contract_due(
    days_to_cancel_by: int, *, number: str, seats: str = "10", price: str = "100.00", **fields
) -> Contract:
    """An active one-year contract whose cancel-by date is ``days_to_cancel_by`` days from today."""
    end = timezone.localdate() + timedelta(days=days_to_cancel_by + NOTICE)
    fields.setdefault("line_items", [seat_line(quantity=seats, unit_price=price)])
    return ContractFactory(
        number=number,
        end_date=end,
        start_date=end - relativedelta(years=1) + timedelta(days=1),
        notice_days=NOTICE,
        **fields,
    )


def renewal_of(contract: Contract) -> Renewal:
    return Renewal.objects.get(contract=contract, term_end=contract.end_date)


def moved(contract: Contract, stage: str, decision: str | None = None) -> Renewal:
    return renewal_update(renewal=renewal_of(contract), user=None, stage=stage, decision=decision)


def table_numbers(response) -> list[str]:
    """Contract numbers on the current page of a renewals or contracts table, in the order shown."""
    assert response.status_code == 200
    rows = response.context["table"].page.object_list
    return [getattr(row.record, "number", None) or row.record.contract.number for row in rows]


def board(response) -> dict[str, list[str]]:
    """Pipeline columns: stage → contract numbers of its cards, in order."""
    assert response.status_code == 200
    return {column.stage: [r.contract.number for r in column.cards] for column in response.context["columns"]}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# The pipeline


def test_pipeline_without_renewals_shows_the_empty_state(viewer_client):
    response = viewer_client.get("/renewals/")
    assert response.status_code == 200
    assert "No renewals in the pipeline yet." in response.content.decode()


def test_pipeline_puts_each_renewal_in_its_stage_column_soonest_first(viewer_client, today):
    later = contract_due(60, number="UP-LATER")
    contract_due(10, number="UP-SOON")
    moved(contract_due(20, number="REVIEW"), RenewalStage.IN_REVIEW)
    moved(contract_due(5, number="NEGO"), RenewalStage.NEGOTIATING)
    moved(contract_due(40, number="DECIDED"), RenewalStage.DECIDED, RenewalDecision.RENEW)
    closed = contract_due(50, number="CLOSED-NOW")
    moved(closed, RenewalStage.DECIDED, RenewalDecision.CANCEL)
    renewal_close(renewal=renewal_of(closed), user=None)
    old = contract_due(70, number="CLOSED-LONG-AGO")
    moved(old, RenewalStage.DECIDED, RenewalDecision.CANCEL)
    renewal_close(renewal=renewal_of(old), user=None)
    Renewal.objects.filter(contract=old).update(closed_at=timezone.now() - timedelta(days=31))
    expired = contract_due(15, number="EXPIRED-CONTRACT")
    Contract.objects.filter(pk=expired.pk).update(status=ContractStatus.EXPIRED)

    response = viewer_client.get("/renewals/")

    assert board(response) == {
        "upcoming": ["UP-SOON", "UP-LATER"],
        "in_review": ["REVIEW"],
        "negotiating": ["NEGO"],
        "decided": ["DECIDED"],
        "closed": ["CLOSED-NOW"],
    }
    html = response.content.decode()
    assert f'Cancel-by <span class="text-nowrap">{later.cancel_by.isoformat()}</span>' in html
    assert 'data-days="10">10 d left</span>' in html
    assert 'text-bg-danger deadline" data-days="10"' in html  # within 30 days: red
    assert 'text-bg-light border deadline" data-days="60"' in html  # further off: not red


def test_pipeline_card_shows_value_in_contract_and_reporting_currency_and_flags_a_missing_rate(viewer_client):
    fx_rate_upsert(currency="EUR", on_date=date(2020, 1, 1), rate=Decimal("1.10"))
    contract_due(20, number="EUR-1", currency="EUR", seats="10", price="100.00")
    contract_due(25, number="GBP-1", currency="GBP", seats="5", price="100.00", auto_renew=True)

    html = viewer_client.get("/renewals/").content.decode()

    assert "1,000.00 EUR" in html and "≈ 1,100.00 USD" in html
    assert "500.00 GBP" in html
    assert "no GBP→USD rate" in html
    assert "Auto-renews" in html


def test_a_past_cancel_by_reads_passed(viewer_client, today):
    contract_due(-3, number="LAPSED", auto_renew=True)
    html = viewer_client.get("/renewals/").content.decode()
    assert 'data-days="-3">passed 3 d ago</span>' in html


@pytest.fixture
def filterable(today):
    """Four open renewals that differ in owner, department, vendor, value and cancel-by date."""
    ada, bob = UserFactory(username="ada", first_name="Ada"), UserFactory(username="bob", first_name="Bob")
    sales, ops = DepartmentFactory(name="Sales"), DepartmentFactory(name="Operations")
    acme, globex = VendorFactory(name="Acme"), VendorFactory(name="Globex")
    contract_due(10, number="A-SMALL", owner=ada, department=sales, vendor=acme, seats="1", price="500.00")
    contract_due(20, number="A-BIG", owner=ada, department=ops, vendor=acme, seats="10", price="5000.00")
    contract_due(40, number="G-MID", owner=bob, department=sales, vendor=globex, seats="10", price="300.00")
    contract_due(90, number="G-LATE", owner=bob, department=ops, vendor=globex, seats="10", price="1000.00")
    return {"ada": ada, "bob": bob, "sales": sales, "ops": ops, "acme": acme, "globex": globex}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda f, t: {"owner": f["ada"].pk}, ["A-SMALL", "A-BIG"]),
        (lambda f, t: {"department": f["sales"].pk}, ["A-SMALL", "G-MID"]),
        (lambda f, t: {"vendor": f["globex"].pk}, ["G-MID", "G-LATE"]),
        (lambda f, t: {"value_min": "3000", "value_max": "10000"}, ["G-MID", "G-LATE"]),
        (lambda f, t: {"value_min": "50000"}, ["A-BIG"]),
        (
            lambda f, t: {"cancel_by_after": t + timedelta(days=15), "cancel_by_before": t + timedelta(days=40)},
            ["A-BIG", "G-MID"],
        ),
        (lambda f, t: {"q": "late"}, ["G-LATE"]),
        (lambda f, t: {"owner": f["bob"].pk, "department": f["ops"].pk}, ["G-LATE"]),
    ],
    ids=["owner", "department", "vendor", "value-range", "value-from", "cancel-by-range", "search", "combined"],
)
def test_pipeline_filters_return_exactly_the_matching_renewals(viewer_client, filterable, today, query, expected):
    params = query(filterable, today)

    on_board = board(viewer_client.get("/renewals/", params))
    in_table = table_numbers(viewer_client.get("/renewals/", {**params, "view": "table"}))

    assert on_board["upcoming"] == expected
    assert in_table == expected


def test_pipeline_table_can_pick_a_stage(viewer_client, filterable):
    moved(Contract.objects.get(number="G-MID"), RenewalStage.NEGOTIATING)
    response = viewer_client.get("/renewals/", {"view": "table", "stage": "negotiating"})
    assert table_numbers(response) == ["G-MID"]


def test_viewer_sees_cards_without_move_forms(viewer_client, procurement_client):
    contract = contract_due(10, number="C-1")
    move_url = f"/renewals/renewal/{renewal_of(contract).pk}/move/"
    assert move_url not in viewer_client.get("/renewals/").content.decode()
    assert move_url in procurement_client.get("/renewals/").content.decode()


# Moving a renewal


def test_a_legal_move_changes_the_stage_and_returns_to_the_page(procurement_client):
    renewal = renewal_of(contract_due(10, number="C-1"))

    response = procurement_client.post(
        f"/renewals/renewal/{renewal.pk}/move/", {"stage": "negotiating", "next": "/renewals/?owner="}
    )

    assert response.status_code == 302 and response["Location"] == "/renewals/?owner="
    renewal.refresh_from_db()
    assert renewal.stage == RenewalStage.NEGOTIATING
    assert "Moved C-1 to Negotiating." in messages_of(procurement_client.get("/renewals/"))


@pytest.mark.parametrize(
    ("start", "decision", "target", "reason"),
    [
        ("negotiating", None, "upcoming", "A renewal cannot move from Negotiating to Upcoming."),
        ("upcoming", None, "decided", "Choose a decision (renew, renegotiate, downsize or cancel) before marking"),
    ],
    ids=["not-an-allowed-move", "decided-without-decision"],
)
def test_an_illegal_move_shows_the_reason_and_changes_nothing(procurement_client, start, decision, target, reason):
    contract = contract_due(10, number="C-1")
    if start != "upcoming":
        moved(contract, start, decision)
    renewal = renewal_of(contract)
    history_before = renewal.history.count()

    response = procurement_client.post(f"/renewals/renewal/{renewal.pk}/move/", {"stage": target}, follow=True)

    renewal.refresh_from_db()
    assert renewal.stage == start
    assert renewal.history.count() == history_before
    [message] = messages_of(response)
    assert message.startswith("C-1 was not moved: ") and reason in message
    assert reason in response.content.decode()


def test_moving_a_closed_renewal_is_refused(procurement_client):
    contract = contract_due(10, number="C-1")
    moved(contract, RenewalStage.DECIDED, RenewalDecision.CANCEL)
    renewal = renewal_of(contract)
    renewal_close(renewal=renewal, user=None)

    response = procurement_client.post(f"/renewals/renewal/{renewal.pk}/move/", {"stage": "upcoming"}, follow=True)

    renewal.refresh_from_db()
    assert renewal.stage == RenewalStage.CLOSED
    assert "C-1 was not moved: This renewal is closed; it can no longer change." in messages_of(response)


def test_a_viewer_may_not_move_a_renewal(viewer_client):
    renewal = renewal_of(contract_due(10, number="C-1"))
    response = viewer_client.post(f"/renewals/renewal/{renewal.pk}/move/", {"stage": "in_review"})
    assert response.status_code == 403
    renewal.refresh_from_db()
    assert renewal.stage == RenewalStage.UPCOMING


# At risk


def test_at_risk_lists_undecided_deadlines_within_30_days_and_lapsed_auto_renewals_with_reasons(viewer_client):
    contract_due(10, number="SOON")
    contract_due(0, number="TODAY")
    contract_due(30, number="EDGE-30")
    contract_due(31, number="FAR-31")
    contract_due(-3, number="LAPSED-AUTO", auto_renew=True)
    contract_due(-3, number="LAPSED-MANUAL", auto_renew=False)
    moved(contract_due(5, number="DECIDED"), RenewalStage.DECIDED, RenewalDecision.RENEW)
    renewal_update(renewal=renewal_of(contract_due(12, number="HAS-DECISION")), user=None, decision="renegotiate")
    inactive = contract_due(8, number="INACTIVE")
    Contract.objects.filter(pk=inactive.pk).update(status=ContractStatus.EXPIRED)

    response = viewer_client.get("/renewals/at-risk/")

    assert table_numbers(response) == ["LAPSED-AUTO", "TODAY", "SOON", "EDGE-30"]
    html = response.content.decode()
    assert "Auto-renews: cancel-by passed 3 days ago, still open" in html
    assert "Cancel-by today, no decision yet" in html
    assert "Cancel-by in 10 days, no decision yet" in html
    assert "Cancel-by in 30 days, no decision yet" in html


def test_at_risk_filters_and_empty_state(viewer_client, filterable):
    assert table_numbers(viewer_client.get("/renewals/at-risk/")) == ["A-SMALL", "A-BIG"]
    assert table_numbers(viewer_client.get("/renewals/at-risk/", {"owner": filterable["bob"].pk})) == []
    assert table_numbers(viewer_client.get("/renewals/at-risk/", {"value_max": "1000"})) == ["A-SMALL"]
    Contract.objects.update(status=ContractStatus.EXPIRED)
    assert "Nothing is at risk." in viewer_client.get("/renewals/at-risk/").content.decode()


# The calendar


def test_calendar_month_shows_cancel_by_and_end_dates_linking_to_the_renewal(viewer_client):
    contract = ContractFactory(number="CAL-1", start_date=date(2025, 3, 1), end_date=date(2026, 2, 28), notice_days=14)
    renewal = renewal_of(contract)

    february = viewer_client.get("/renewals/calendar/", {"month": "2026-02"})

    events = {
        (event.day, event.kind, event.renewal.pk)
        for week in february.context["weeks"]
        for day in week
        for event in day.events
    }
    assert events == {(date(2026, 2, 14), "cancel_by", renewal.pk), (date(2026, 2, 28), "end", renewal.pk)}
    html = february.content.decode()
    assert f'href="/renewals/renewal/{renewal.pk}/"' in html
    assert 'class="cal-event cancel-by"' in html and 'class="cal-event end"' in html
    assert 'href="?month=2026-01"' in html and 'href="?month=2026-03"' in html
    assert "February 2026" in html


def test_calendar_highlights_today_and_falls_back_to_this_month(viewer_client, today):
    response = viewer_client.get("/renewals/calendar/", {"month": "not-a-month"})
    today_cells = [day.day for week in response.context["weeks"] for day in week if day.is_today]
    assert today_cells == [today]
    assert 'aria-current="date"' in response.content.decode()
    assert response.context["first"] == today.replace(day=1)


def test_calendar_of_an_empty_month_says_so(viewer_client):
    response = viewer_client.get("/renewals/calendar/", {"month": "2031-07"})
    assert "No cancel-by or end dates in July 2031." in response.content.decode()


def test_calendar_leaves_out_closed_renewals(viewer_client):
    contract = ContractFactory(number="CAL-1", start_date=date(2025, 3, 1), end_date=date(2026, 2, 28))
    moved(contract, RenewalStage.DECIDED, RenewalDecision.CANCEL)
    renewal_close(renewal=renewal_of(contract), user=None)
    response = viewer_client.get("/renewals/calendar/", {"month": "2026-02"})
    assert [e for week in response.context["weeks"] for day in week for e in day.events] == []


# Contracts: list and detail


def test_contract_list_shows_values_and_filters(viewer_client, filterable):
    response = viewer_client.get("/renewals/contracts/")
    assert table_numbers(response) == ["A-SMALL", "A-BIG", "G-MID", "G-LATE"]
    assert "50,000.00" in response.content.decode()
    assert table_numbers(viewer_client.get("/renewals/contracts/", {"vendor": filterable["acme"].pk})) == [
        "A-SMALL",
        "A-BIG",
    ]
    assert table_numbers(viewer_client.get("/renewals/contracts/", {"value_min": "5000"})) == ["A-BIG", "G-LATE"]
    Contract.objects.filter(number="G-MID").update(status=ContractStatus.DRAFT)
    assert table_numbers(viewer_client.get("/renewals/contracts/", {"status": "draft"})) == ["G-MID"]


def test_contract_list_empty_state_offers_the_add_link_to_procurement_only(procurement_client, viewer_client):
    html = procurement_client.get("/renewals/contracts/").content.decode()
    assert "No contracts yet." in html and 'href="/renewals/contracts/add/"' in html
    assert 'href="/renewals/contracts/add/"' not in viewer_client.get("/renewals/contracts/").content.decode()


def test_contract_list_paginates(viewer_client):
    for n in range(55):
        ContractFactory(number=f"P-{n:03d}", line_items=[])
    first = viewer_client.get("/renewals/contracts/", {"sort": "number"})
    second = viewer_client.get("/renewals/contracts/", {"sort": "number", "page": 2})
    assert table_numbers(first) == [f"P-{n:03d}" for n in range(50)]
    assert table_numbers(second) == [f"P-{n:03d}" for n in range(50, 55)]


def test_contract_detail_shows_values_line_items_renewals_and_history(viewer_client):
    contract = ContractFactory(
        number="DET-1",
        start_date=date(2025, 1, 1),
        end_date=date(2026, 12, 31),
        line_items=[
            seat_line("Pro seat", quantity="20", unit_price="10.00", billing_period=BillingPeriod.MONTHLY),
            {"sku": "Platform", "pricing_model": PricingModel.PLATFORM_FEE, "unit_price": Decimal("1200.00")},
        ],
    )

    response = viewer_client.get(f"/renewals/contracts/{contract.pk}/")

    html = response.content.decode()
    assert '<div class="figure" id="annual-value">3,600.00 USD</div>' in html  # 20 × 10 × 12 + 1,200
    assert '<div class="figure" id="total-value">7,200.00 USD</div>' in html  # two years
    assert "24 months" in html and contract.cancel_by.isoformat() in html
    rows = {row.item.sku: row.annual_value for row in response.context["line_rows"]}
    assert rows == {"Pro seat": Decimal("2400.00"), "Platform": Decimal("1200.00")}
    assert [r.term_end for r in response.context["renewals"]] == [date(2026, 12, 31)]
    assert [row["action"] for row in response.context["history"]] == ["Created"]
    assert "No documents." in html


def test_contract_detail_warns_of_a_missing_rate_instead_of_showing_a_number(viewer_client):
    contract = ContractFactory(number="EUR-1", currency="EUR", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))

    html = viewer_client.get(f"/renewals/contracts/{contract.pk}/").content.decode()

    assert "No EUR→USD rate on or before 2025-01-01" in html
    assert 'href="/fx-rates/add/?currency=EUR&amp;date=2025-01-01"' in html
    assert "≈" not in html
    assert "0.00 USD" not in html


def test_contract_detail_converts_at_the_rate_in_force_on_the_start_date(viewer_client):
    fx_rate_upsert(currency="EUR", on_date=date(2024, 6, 1), rate=Decimal("1.10"))
    fx_rate_upsert(currency="EUR", on_date=date(2025, 6, 1), rate=Decimal("1.50"))  # later than the start
    contract = ContractFactory(number="EUR-1", currency="EUR", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))

    html = viewer_client.get(f"/renewals/contracts/{contract.pk}/").content.decode()

    assert "No EUR→USD rate" not in html
    assert "≈ 1,100.00 USD" in html  # 1,000.00 EUR × 1.10
    assert "1 EUR = 1.1 USD, the rate in force on 2025-01-01" in html


# Contracts: the form


def contract_post(lines: list[dict], **contract_fields) -> dict:
    """The POST body of the contract form with these line items."""
    vendor = contract_fields.pop("vendor", None) or VendorFactory(name="Acme")
    data = {
        "number": "NEW-1",
        "title": "Order form 2026",
        "vendor": vendor.pk,
        "status": ContractStatus.ACTIVE,
        "start_date": "2026-01-01",
        "end_date": "2027-12-31",
        "billing_frequency": BillingPeriod.ANNUAL,
        "currency": "USD",
        "notice_days": "45",
        "renewal_term_months": "12",
        "reminder_stages": "",
        "extra_recipients": "",
        "notes": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(contract_fields)
    for index, line in enumerate(lines):
        for name, value in line.items():
            data[f"lines-{index}-{name}"] = value
    return data


def line(sku: str, **fields) -> dict:
    return {
        "sku": sku,
        "description": "",
        "pricing_model": PricingModel.PER_SEAT,
        "quantity": "1",
        "unit_price": "0",
        "billing_period": BillingPeriod.ANNUAL,
        "committed_quantity": "",
        "overage_price": "",
        "tiers": "",
        "uplift_cap_pct": "",
        **fields,
    }


TWO_LINES = [
    line("Business seat", quantity="25", unit_price="12.00", billing_period=BillingPeriod.MONTHLY),
    line("Platform", pricing_model=PricingModel.PLATFORM_FEE, unit_price="1500.00", billing_period="quarterly"),
]


def test_creating_a_contract_with_two_line_items_computes_its_annual_value(procurement_client):
    app = ApplicationFactory(name="Chatter")
    data = contract_post(TWO_LINES, applications=[app.pk], reminder_stages="60, 14", extra_recipients="cfo@example.com")

    response = procurement_client.post("/renewals/contracts/add/", data, follow=True)

    contract = Contract.objects.get(number="NEW-1")
    assert response.redirect_chain == [(f"/renewals/contracts/{contract.pk}/", 302)]
    # 25 × 12.00 × 12 months + 1,500.00 × 4 quarters
    assert contract.annual_value == Decimal("9600.00")
    assert contract.total_value == Decimal("19200.00")  # a two-year term
    assert contract.cancel_by == date(2027, 11, 16)  # 45 days before 31 Dec 2027
    assert contract.reminder_stages == [60, 14]
    assert list(contract.applications.all()) == [app]
    assert [i.sku for i in contract.line_items.order_by("position")] == ["Business seat", "Platform"]
    assert renewal_of(contract).baseline_annual == Decimal("9600.00")
    assert "Created contract NEW-1: annual value 9,600.00 USD, total contract value 19,200.00 USD." in messages_of(
        response
    )
    assert "9,600.00 USD" in response.content.decode()


def test_tiered_line_item_typed_as_band_rows(procurement_client):
    tiered = line("API calls", pricing_model=PricingModel.TIERED, quantity="150", tiers="100, 2.00\n*, 1.50")
    procurement_client.post("/renewals/contracts/add/", contract_post([tiered], end_date="2026-12-31"))
    contract = Contract.objects.get(number="NEW-1")
    assert contract.line_items.get().tiers == [
        {"up_to": "100", "unit_price": "2.00"},
        {"up_to": None, "unit_price": "1.50"},
    ]
    assert contract.annual_value == Decimal("275.00")  # 100 × 2.00 + 50 × 1.50


@pytest.mark.parametrize(
    ("lines", "fields", "error"),
    [
        ([line("Seat", quantity="-1", unit_price="5")], {}, "Ensure this value is greater than or equal to 0."),
        ([line("Seat", quantity="1", unit_price="-5")], {}, "Ensure this value is greater than or equal to 0."),
        (
            [line("Bands", pricing_model=PricingModel.TIERED, quantity="10", tiers="100, 2.00\n50, 1.00")],
            {},
            "Band 2 must end above 100.",
        ),
        (
            [line("Bands", pricing_model=PricingModel.TIERED, quantity="500", tiers="100, 2.00")],
            {},
            "The bands end at 100, below the quantity 500; leave the last band open-ended.",
        ),
        ([line("Bands", pricing_model=PricingModel.TIERED, tiers="[not json")], {}, "The bands are not valid JSON"),
        ([line("Seat", tiers="100, 2")], {}, "Price bands only apply to tiered pricing"),
        ([line("Usage", pricing_model=PricingModel.USAGE)], {}, "Usage-based pricing needs the committed quantity."),
        ([line("Seat"), line("seat")], {}, "Line 1 has this SKU already; one line per SKU."),
        (TWO_LINES, {"currency": "XYZ"}, "Select a valid choice. XYZ is not one of the available choices."),
        (TWO_LINES, {"end_date": "2025-12-31"}, "The end date is before the start date."),
        (TWO_LINES, {"extra_recipients": "cfo@, ops@example.com"}, "“cfo@” is not an email address."),
        (TWO_LINES, {"reminder_stages": "30, soon"}, "“soon” is not a whole number of days"),
    ],
    ids=[
        "negative-quantity",
        "negative-price",
        "bands-not-ascending",
        "bands-too-short",
        "bands-bad-json",
        "bands-on-per-seat",
        "usage-without-commitment",
        "duplicate-sku",
        "unknown-currency",
        "end-before-start",
        "bad-email",
        "bad-stage",
    ],
)
def test_an_invalid_contract_shows_the_error_and_writes_nothing(procurement_client, lines, fields, error):
    response = procurement_client.post("/renewals/contracts/add/", contract_post(lines, **fields))

    assert response.status_code == 200
    html = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert error in html
    assert "Nothing was saved." in html
    assert (Contract.objects.count(), LineItem.objects.count(), Renewal.objects.count()) == (0, 0, 0)


def test_add_another_line_shows_one_more_blank_line_and_saves_nothing(procurement_client):
    data = contract_post(TWO_LINES, add_line="1")

    response = procurement_client.post("/renewals/contracts/add/", data)

    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.total_form_count() == 3
    assert formset.forms[0]["sku"].value() == "Business seat"
    assert formset.forms[2]["billing_period"].value() == BillingPeriod.ANNUAL
    assert Contract.objects.count() == 0
    # Saving with the blank line left as it is adds only the two filled-in lines.
    data = formset.data.copy()
    data.pop("add_line")
    procurement_client.post("/renewals/contracts/add/", data)
    assert Contract.objects.get().line_items.count() == 2


def test_editing_a_contract_replaces_its_line_items_and_refreshes_its_value(procurement_client):
    contract = ContractFactory(number="ED-1", line_items=[seat_line("Old seat", quantity="10", unit_price="100")])
    old_item = contract.line_items.get()
    data = contract_post(
        [
            {**line("Old seat", quantity="10", unit_price="100"), "DELETE": "on"},
            line("New seat", quantity="4", unit_price="50", billing_period=BillingPeriod.MONTHLY),
        ],
        number="ED-1",
        vendor=contract.vendor,
        start_date="2025-01-01",
        end_date="2025-12-31",
    )
    data["lines-INITIAL_FORMS"] = "1"

    form_page = procurement_client.get(f"/renewals/contracts/{contract.pk}/edit/")
    response = procurement_client.post(f"/renewals/contracts/{contract.pk}/edit/", data)

    assert form_page.context["formset"].forms[0]["sku"].value() == "Old seat"
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.annual_value == Decimal("2400.00")  # 4 × 50 × 12
    assert [i.sku for i in contract.line_items.all()] == ["New seat"]
    assert not LineItem.objects.filter(pk=old_item.pk).exists()
    assert renewal_of(contract).baseline_annual == Decimal("2400.00")


def test_a_viewer_may_not_open_the_contract_form(viewer_client):
    assert viewer_client.get("/renewals/contracts/add/").status_code == 403


# Documents


def test_upload_and_download_a_document_through_the_login(procurement_client, viewer_client):
    contract = ContractFactory(number="DOC-1")
    pdf = SimpleUploadedFile("order form.pdf", b"%PDF-1.4 signed", content_type="application/pdf")

    response = procurement_client.post(f"/renewals/contracts/{contract.pk}/documents/", {"file": pdf, "name": ""})

    assert response.status_code == 302
    document = ContractDocument.objects.get()
    assert (document.contract, document.name) == (contract, "order form.pdf")
    download = viewer_client.get(f"/renewals/documents/{document.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 signed"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "order form.pdf" in download["Content-Disposition"]
    anonymous = Client().get(f"/renewals/documents/{document.pk}/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert "order form.pdf" in viewer_client.get(f"/renewals/contracts/{contract.pk}/").content.decode()


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (SimpleUploadedFile("big.pdf", b"x" * 101), "documents may be at most 100"),
        (SimpleUploadedFile("tool.exe", b"MZ"), "File extension “exe” is not allowed."),
    ],
    ids=["too-big", "wrong-kind"],
)
def test_a_refused_upload_says_why_and_stores_nothing(procurement_client, settings, upload, error):
    settings.CONTRACT_DOCUMENT_MAX_BYTES = 100
    contract = ContractFactory(number="DOC-1")

    response = procurement_client.post(f"/renewals/contracts/{contract.pk}/documents/", {"file": upload})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert ContractDocument.objects.count() == 0


# One renewal


def test_renewal_detail_shows_stage_amounts_reminders_and_history(viewer_client):
    contract = contract_due(20, number="REN-1")
    renewal = renewal_update(
        renewal=renewal_of(contract), user=None, stage="negotiating", quote_annual=Decimal("1120.00")
    )
    ReminderDelivery.objects.create(
        renewal=renewal,
        stage_days=30,
        recipient="owner@example.com",
        status="sent",
        for_date=timezone.localdate(),
        claimed_at=timezone.now(),
        sent_at=timezone.now(),
    )

    response = viewer_client.get(f"/renewals/renewal/{renewal.pk}/")

    html = response.content.decode()
    assert [(s, done, current) for s, _, done, current in response.context["steps"]] == [
        ("upcoming", True, False),
        ("in_review", True, False),
        ("negotiating", False, True),
        ("decided", False, False),
        ("closed", False, False),
    ]
    assert "1,000.00 USD" in html and "1,120.00 USD" in html
    assert "owner@example.com" in html and "30 days before" in html
    assert [row["action"] for row in response.context["history"]] == ["Changed", "Created"]
    assert "/edit/" not in html  # a viewer gets no edit link


def test_editing_a_renewal_records_the_decision(procurement_client):
    renewal = renewal_of(contract_due(20, number="REN-1"))
    data = {"stage": "decided", "decision": "downsize", "owner": "", "quote_annual": "1200", "negotiated_annual": ""}

    response = procurement_client.post(f"/renewals/renewal/{renewal.pk}/edit/", data)

    assert response.status_code == 302
    renewal.refresh_from_db()
    assert (renewal.stage, renewal.decision, renewal.quote_annual) == ("decided", "downsize", Decimal("1200.00"))
    assert renewal.decided_at is not None


def test_an_illegal_renewal_edit_shows_the_reason_and_changes_nothing(procurement_client):
    renewal = renewal_of(contract_due(20, number="REN-1"))
    data = {"stage": "decided", "decision": "", "quote_annual": "1200", "negotiated_annual": ""}

    response = procurement_client.post(f"/renewals/renewal/{renewal.pk}/edit/", data)

    assert response.status_code == 200
    assert "Choose a decision (renew, renegotiate, downsize or cancel) before marking it decided." in (
        response.content.decode()
    )
    renewal.refresh_from_db()
    assert (renewal.stage, renewal.quote_annual) == ("upcoming", None)


def test_closing_needs_a_decided_renewal(procurement_client):
    renewal = renewal_of(contract_due(20, number="REN-1"))
    response = procurement_client.get(f"/renewals/renewal/{renewal.pk}/close/", follow=True)
    assert "Only a decided renewal can be closed; record the decision first." in messages_of(response)


def test_closing_a_renewed_renewal_starts_the_next_term_at_the_new_prices(procurement_client):
    contract = ContractFactory(number="REN-1", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    item = contract.line_items.get()
    moved(contract, RenewalStage.DECIDED, RenewalDecision.RENEGOTIATE)
    renewal = renewal_of(contract)

    page = procurement_client.get(f"/renewals/renewal/{renewal.pk}/close/")
    response = procurement_client.post(
        f"/renewals/renewal/{renewal.pk}/close/",
        {"new_end_date": "", f"price_{item.pk}": "90.00", f"quantity_{item.pk}": "12"},
        follow=True,
    )

    assert page.status_code == 200 and f"price_{item.pk}" in page.content.decode()
    contract.refresh_from_db()
    assert (contract.start_date, contract.end_date) == (date(2026, 1, 1), date(2026, 12, 31))
    assert contract.annual_value == Decimal("1080.00")  # 12 × 90.00
    renewal.refresh_from_db()
    assert (renewal.stage, renewal.negotiated_annual) == ("closed", Decimal("1080.00"))
    following = Renewal.objects.get(contract=contract, term_end=date(2026, 12, 31))
    assert response.redirect_chain == [(f"/renewals/renewal/{following.pk}/", 302)]
    assert "Closed: contract REN-1 renewed until 2026-12-31, annual value 1,080.00 USD." in messages_of(response)


def test_closing_a_cancel_decision_ends_the_contract(procurement_client):
    contract = contract_due(20, number="REN-1")
    moved(contract, RenewalStage.DECIDED, RenewalDecision.CANCEL)
    renewal = renewal_of(contract)

    response = procurement_client.post(f"/renewals/renewal/{renewal.pk}/close/", {}, follow=True)

    contract.refresh_from_db()
    assert contract.status == ContractStatus.CANCELLED
    assert Renewal.objects.filter(contract=contract).count() == 1
    assert "Closed: contract REN-1 is cancelled." in messages_of(response)


def test_a_new_end_date_before_the_current_one_is_refused(procurement_client):
    contract = ContractFactory(number="REN-1", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    moved(contract, RenewalStage.DECIDED, RenewalDecision.RENEW)
    renewal = renewal_of(contract)
    item = contract.line_items.get()

    response = procurement_client.post(
        f"/renewals/renewal/{renewal.pk}/close/",
        {"new_end_date": "2025-06-30", f"price_{item.pk}": "90", f"quantity_{item.pk}": "10"},
    )

    assert "The new end date must be after the current end date, 2025-12-31." in response.content.decode()
    renewal.refresh_from_db()
    assert renewal.stage == RenewalStage.DECIDED


# The calendar feed


def test_the_feed_page_makes_one_secret_per_user_and_shows_the_address(viewer_client):
    first = viewer_client.get("/renewals/calendar/feed/")
    second = viewer_client.get("/renewals/calendar/feed/")

    feed = CalendarFeed.objects.get()
    assert len(feed.secret) >= 40
    assert first.context["feed"].secret == second.context["feed"].secret == feed.secret
    assert f"http://testserver/renewals/calendar/{feed.secret}.ics" in first.content.decode()
    assert f"webcal://testserver/renewals/calendar/{feed.secret}.ics" in first.content.decode()


def test_the_ics_feed_parses_and_holds_every_cancel_by_and_end_date(today):
    contracts = [contract_due(days, number=f"ICS-{days}") for days in (-5, 3, 45, 200)]
    closed = contract_due(10, number="ICS-CLOSED")
    moved(closed, RenewalStage.DECIDED, RenewalDecision.CANCEL)
    renewal_close(renewal=renewal_of(closed), user=None)
    feed = CalendarFeedFactory()

    response = Client().get(f"/renewals/calendar/{feed.secret}.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(response.content).walk("VEVENT")
    cancel_by = sorted(e.decoded("dtstart") for e in events if str(e["summary"]).startswith("Cancel-by"))
    ends = sorted(e.decoded("dtstart") for e in events if str(e["summary"]).startswith("Contract ends"))
    assert cancel_by == sorted(c.cancel_by for c in contracts)
    assert ends == sorted(c.end_date for c in contracts)


def test_a_wrong_or_rotated_secret_gets_404(viewer_client):
    old = viewer_client.get("/renewals/calendar/feed/").context["feed"].secret

    response = viewer_client.post("/renewals/calendar/feed/rotate/", follow=True)

    new = CalendarFeed.objects.get().secret
    assert new != old
    assert messages_of(response) == [
        "Your calendar address was changed. Calendars subscribed to the old one stop updating."
    ]
    assert Client().get(f"/renewals/calendar/{old}.ics").status_code == 404
    assert Client().get(f"/renewals/calendar/{new}.ics").status_code == 200
    assert Client().get("/renewals/calendar/not-the-secret.ics").status_code == 404


def test_the_feed_of_a_deactivated_user_gets_404():
    feed = CalendarFeedFactory(user=UserFactory(is_active=False))
    assert Client().get(f"/renewals/calendar/{feed.secret}.ics").status_code == 404


# Exchange rates


def test_fx_rate_list_filters_by_currency_and_states_the_direction(viewer_client):
    fx_rate_upsert(currency="EUR", on_date=date(2025, 1, 1), rate=Decimal("1.085"))
    fx_rate_upsert(currency="GBP", on_date=date(2025, 1, 1), rate=Decimal("1.27"))

    response = viewer_client.get("/fx-rates/", {"currency": "EUR"})

    assert [row.record.currency for row in response.context["table"].page.object_list] == ["EUR"]
    assert "1 EUR = <strong>1.085</strong> USD" in response.content.decode()


def test_adding_a_rate_refreshes_contract_values(client_for, django_capture_on_commit_callbacks):
    contract = ContractFactory(number="EUR-1", currency="EUR", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    assert contract.annual_value_reporting is None
    finance = client_for(Role.FINANCE)

    with django_capture_on_commit_callbacks(execute=True):
        response = finance.post(
            "/fx-rates/add/", {"currency": "EUR", "date": "2024-12-31", "rate": "1.2", "source": "ECB"}, follow=True
        )

    assert FxRate.objects.get().rate == Decimal("1.2")
    assert "Added: from 2024-12-31 on, 1 EUR = 1.2 USD." in messages_of(response)[0]
    contract.refresh_from_db()
    assert contract.annual_value_reporting == Decimal("1200.00")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"currency": "EUR", "date": "2025-01-01", "rate": "0"}, "A rate must be above 0."),
        ({"currency": "EUR", "date": "2025-01-01", "rate": "-1.2"}, "A rate must be above 0."),
        ({"currency": "USD", "date": "2025-01-01", "rate": "1"}, "Select a valid choice."),
        ({"currency": "EUR", "date": "someday", "rate": "1"}, "Enter a valid date."),
    ],
    ids=["zero", "negative", "reporting-currency", "bad-date"],
)
def test_an_invalid_rate_is_refused(client_for, data, error):
    response = client_for(Role.FINANCE).post("/fx-rates/add/", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert FxRate.objects.count() == 0


def test_editing_a_rate_keeps_its_currency_and_day(client_for):
    fx, _ = fx_rate_upsert(currency="EUR", on_date=date(2025, 1, 1), rate=Decimal("1.1"))
    response = client_for(Role.PROCUREMENT).post(
        f"/fx-rates/{fx.pk}/edit/", {"currency": "GBP", "date": "2030-01-01", "rate": "1.3", "source": "manual"}
    )
    assert response.status_code == 302
    fx.refresh_from_db()
    assert (fx.currency, fx.date, fx.rate, fx.source) == ("EUR", date(2025, 1, 1), Decimal("1.3"), "manual")


def test_deleting_a_rate(client_for):
    fx, _ = fx_rate_upsert(currency="EUR", on_date=date(2025, 1, 1), rate=Decimal("1.1"))
    response = client_for(Role.FINANCE).post(f"/fx-rates/{fx.pk}/delete/")
    assert response.status_code == 302
    assert FxRate.objects.count() == 0


def test_it_may_read_rates_but_not_change_them(it_client):
    assert it_client.get("/fx-rates/").status_code == 200
    assert it_client.post("/fx-rates/add/", {"currency": "EUR", "date": "2025-01-01", "rate": "1"}).status_code == 403


# Navigation and dashboard


def test_renewals_menu_and_dashboard_tiles(viewer_client, today):
    fx_rate_upsert(currency="EUR", on_date=date(2000, 1, 1), rate=Decimal("2"))
    contract_due(10, number="T-1", seats="1", price="1000")
    contract_due(50, number="T-2", seats="1", price="2000", currency="EUR")
    contract_due(-2, number="T-3", seats="1", price="500", auto_renew=True)
    draft = contract_due(5, number="T-DRAFT", seats="1", price="99999")
    Contract.objects.filter(pk=draft.pk).update(status=ContractStatus.DRAFT)

    response = viewer_client.get("/")

    tiles = {tile["title"]: tile["count"] for tile in dict(response.context["sections"])["Renewals"]}
    assert tiles == {
        "Active contracts": 3,
        "Cancel-by in 30 days": 1,
        "At risk": 2,
        "Annual contract value (USD)": 5500,  # 1,000 + 2,000 EUR × 2 + 500
    }
    html = response.content.decode()
    for label, url in [
        ("Pipeline", "/renewals/"),
        ("At risk", "/renewals/at-risk/"),
        ("Calendar", "/renewals/calendar/"),
        ("Contracts", "/renewals/contracts/"),
        ("Exchange rates", "/fx-rates/"),
        ("Calendar feed", "/renewals/calendar/feed/"),
    ]:
        assert f'<a class="dropdown-item" href="{url}">{label}</a>' in html


# No query per row


def queries_to_render(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def make_contracts(start: int, count: int) -> None:
    department = DepartmentFactory(name="Ops")
    for n in range(start, start + count):
        contract = contract_due(n % 40, number=f"Q-{n:03d}", currency="EUR" if n % 2 else "USD", department=department)
        contract.applications.add(ApplicationFactory())
        if n % 3 == 0:
            moved(contract, RenewalStage.IN_REVIEW)


@pytest.mark.parametrize(
    "url",
    [
        "/renewals/",
        "/renewals/?view=table",
        "/renewals/at-risk/",
        "/renewals/contracts/",
        "/renewals/calendar/",
        "/renewals/calendar/feed/",
    ],
)
def test_page_query_count_does_not_grow_with_contracts(viewer_client, url):
    make_contracts(0, 5)
    viewer_client.get(url)  # the feed page makes the user's feed on the first visit
    with_5 = queries_to_render(viewer_client, url)
    make_contracts(5, 45)
    with_50 = queries_to_render(viewer_client, url)
    assert with_50 == with_5, f"{url}: {with_5} queries for 5 contracts but {with_50} for 50"


def test_ics_query_count_does_not_grow_with_contracts():
    feed = CalendarFeedFactory()
    make_contracts(0, 5)
    with_5 = queries_to_render(Client(), f"/renewals/calendar/{feed.secret}.ics")
    make_contracts(5, 45)
    assert queries_to_render(Client(), f"/renewals/calendar/{feed.secret}.ics") == with_5
