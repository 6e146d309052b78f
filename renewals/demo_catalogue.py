"""What the demo contracts buy: line items per product, list prices and the contract mixes. Pure data.

Prices are US list prices. A seat, platform fee or tier is priced per month and billed over the
contract's billing period; usage and tiered items carry their own billing period; a one-time fee
is the whole fee. ``renewals.demo`` applies each contract's discount and currency to them.
"""

from dataclasses import dataclass

from renewals.choices import PricingModel
from saasmgr.core.choices import BillingPeriod

PER_SEAT, USAGE, PLATFORM_FEE, TIERED, FLAT = (
    PricingModel.PER_SEAT,
    PricingModel.USAGE,
    PricingModel.PLATFORM_FEE,
    PricingModel.TIERED,
    PricingModel.FLAT,
)
MONTHLY, QUARTERLY, ANNUAL, ONE_TIME = (
    BillingPeriod.MONTHLY,
    BillingPeriod.QUARTERLY,
    BillingPeriod.ANNUAL,
    BillingPeriod.ONE_TIME,
)


@dataclass(frozen=True)
class ItemTemplate:
    """One line item of a product's contract.

    ``per_head`` is the quantity (the committed quantity for usage) per person of the company;
    ``period`` is fixed for usage, tiered and one-time items and None where the contract decides.
    """

    sku: str
    pricing_model: str
    price: str
    per_head: float = 0.0
    minimum: int = 1
    period: str | None = None
    overage_price: str = ""
    tiers: tuple[tuple[int | None, str], ...] = ()


def seat(sku: str, monthly: str, per_head: float, minimum: int = 1) -> ItemTemplate:
    return ItemTemplate(sku, PER_SEAT, monthly, per_head, minimum)


def platform(sku: str, monthly: str) -> ItemTemplate:
    return ItemTemplate(sku, PLATFORM_FEE, monthly)


def usage(sku: str, price: str, per_head: float, overage: str, period: str = MONTHLY) -> ItemTemplate:
    return ItemTemplate(sku, USAGE, price, per_head, 1, period, overage)


def tiered(sku: str, bands: tuple[tuple[int | None, str], ...], per_head: float, period: str) -> ItemTemplate:
    return ItemTemplate(sku, TIERED, bands[0][1], per_head, 1, period, tiers=bands)


def one_time(sku: str, price: str) -> ItemTemplate:
    return ItemTemplate(sku, FLAT, price, period=ONE_TIME)


# Every product of the inventory's application catalogue, by application name.
PRODUCT_ITEMS: dict[str, tuple[ItemTemplate, ...]] = {
    "Salesforce Sales Cloud": (
        seat("Sales Cloud Enterprise seat", "165.00", 0.14, 5),
        platform("Sales Cloud full-copy sandbox", "1250.00"),
    ),
    "Slack": (seat("Slack Business+ seat", "12.50", 0.97),),
    "Zoom": (seat("Zoom Business licence", "21.99", 0.35), seat("Zoom Rooms licence", "49.00", 0.01, 2)),
    "Atlassian Jira": (seat("Jira Premium user", "16.00", 0.45),),
    "Confluence": (seat("Confluence Standard user", "6.05", 0.7),),
    "GitHub": (
        seat("GitHub Enterprise seat", "21.00", 0.35),
        usage("GitHub Actions minutes", "0.008", 400, "0.008"),
    ),
    "Figma": (seat("Figma Organization full seat", "55.00", 0.06), seat("Figma Dev Mode seat", "25.00", 0.08)),
    "Notion": (seat("Notion Business seat", "15.00", 0.6),),
    "Miro": (seat("Miro Business seat", "16.00", 0.25),),
    "DocuSign eSignature": (
        seat("DocuSign Business Pro sender", "40.00", 0.05),
        tiered("DocuSign envelopes", ((1000, "3.00"), (5000, "2.40"), (None, "1.80")), 12, ANNUAL),
    ),
    "HubSpot Marketing Hub": (
        platform("Marketing Hub Professional", "890.00"),
        tiered("HubSpot marketing contacts (per 1,000)", ((10, "50.00"), (50, "35.00"), (None, "25.00")), 0.1, MONTHLY),
        one_time("HubSpot professional onboarding", "3000.00"),
    ),
    "Workday HCM": (
        seat("Workday HCM subscription (per employee)", "8.50", 1.0, 50),
        one_time("Workday deployment services", "85000.00"),
    ),
    "Okta Workforce Identity": (
        tiered("Okta SSO + MFA users", ((500, "6.00"), (2000, "4.80"), (None, "3.60")), 1.0, MONTHLY),
    ),
    "Google Workspace": (seat("Google Workspace Business Standard", "14.00", 0.98),),
    "Microsoft 365": (seat("Microsoft 365 E3", "36.00", 0.5), seat("Microsoft 365 E5", "57.00", 0.04)),
    "Asana": (seat("Asana Business seat", "24.99", 0.3),),
    "Monday.com": (seat("monday.com Pro seat", "19.00", 0.15),),
    "Dropbox": (seat("Dropbox Business Plus seat", "26.00", 0.2),),
    "Box": (seat("Box Business Plus seat", "25.00", 0.5),),
    "Zendesk Suite": (seat("Zendesk Suite Professional agent", "115.00", 0.06),),
    "Intercom": (
        seat("Intercom Advanced seat", "85.00", 0.04),
        usage("Intercom Fin AI resolutions", "0.99", 3, "0.99"),
    ),
    "Datadog": (
        usage("Datadog Infrastructure Pro hosts", "15.00", 0.25, "18.00"),
        usage("Datadog APM hosts", "31.00", 0.1, "36.00"),
    ),
    "PagerDuty": (seat("PagerDuty Business user", "41.00", 0.08),),
    "Snowflake": (
        usage("Snowflake capacity credits", "3.00", 5, "4.00", QUARTERLY),
        platform("Snowflake premier support", "500.00"),
    ),
    "Tableau": (seat("Tableau Creator", "75.00", 0.02, 2), seat("Tableau Viewer", "15.00", 0.15)),
    "Loom": (seat("Loom Business seat", "15.00", 0.2),),
    "Calendly": (seat("Calendly Teams seat", "16.00", 0.12),),
    "Grammarly": (seat("Grammarly Business seat", "15.00", 0.15),),
    "1Password": (seat("1Password Business seat", "7.99", 0.97),),
    "LastPass": (seat("LastPass Business seat", "7.00", 0.97),),
    "Canva": (seat("Canva Teams seat", "10.00", 0.08),),
    "Adobe Creative Cloud": (seat("Creative Cloud All Apps seat", "89.99", 0.04),),
    "Smartsheet": (seat("Smartsheet Business seat", "24.00", 0.1),),
    "Airtable": (seat("Airtable Business seat", "45.00", 0.05),),
    "Salesforce Service Cloud": (seat("Service Cloud Enterprise seat", "165.00", 0.05),),
    "Trello": (seat("Trello Premium seat", "10.00", 0.2),),
    "Bitbucket": (seat("Bitbucket Premium user", "6.60", 0.3),),
    "Jira Service Management": (seat("Jira Service Management agent", "49.35", 0.04),),
    "Looker": (
        platform("Looker platform (Standard)", "5000.00"),
        seat("Looker developer user", "125.00", 0.01),
        seat("Looker viewer user", "30.00", 0.1),
    ),
    "Power BI": (seat("Power BI Pro", "14.00", 0.1),),
    "Adobe Acrobat Pro": (seat("Acrobat Pro seat", "19.99", 0.15),),
    "Adobe Marketo Engage": (
        platform("Marketo Engage Select", "4000.00"),
        tiered("Marketo database contacts (per 1,000)", ((50, "30.00"), (250, "20.00"), (None, "12.00")), 0.3, MONTHLY),
    ),
    "Workday Adaptive Planning": (
        platform("Adaptive Planning platform", "3500.00"),
        seat("Adaptive Planning user", "100.00", 0.02),
    ),
    "Gong": (platform("Gong platform fee", "420.00"), seat("Gong Foundation seat", "135.00", 0.12)),
    "Outreach": (seat("Outreach Standard seat", "100.00", 0.1),),
    "ZoomInfo SalesOS": (
        platform("ZoomInfo SalesOS Professional", "1250.00"),
        seat("ZoomInfo additional user", "125.00", 0.05),
    ),
    "LinkedIn Sales Navigator": (seat("Sales Navigator Advanced Plus seat", "135.00", 0.08),),
    "LinkedIn Recruiter": (seat("LinkedIn Recruiter Corporate seat", "900.00", 0.01, 2),),
    "Greenhouse Recruiting": (seat("Greenhouse Expert (per employee)", "5.00", 1.0, 50),),
    "BambooHR": (seat("BambooHR Pro (per employee)", "12.00", 1.0, 25),),
    "Lattice": (seat("Lattice Performance + Engagement (per person)", "11.00", 1.0, 25),),
    "Expensify": (seat("Expensify Control seat", "9.00", 0.6),),
    "Coupa": (
        platform("Coupa Source-to-Pay platform", "5000.00"),
        one_time("Coupa implementation services", "45000.00"),
    ),
    "NetSuite": (platform("NetSuite base licence", "999.00"), seat("NetSuite full user", "129.00", 0.04, 3)),
    "BILL Accounts Payable": (seat("BILL Corporate seat", "79.00", 0.02, 3),),
    "Mailchimp": (
        tiered("Mailchimp Standard contacts (per 1,000)", ((50, "9.00"), (100, "6.00"), (None, "4.00")), 0.2, MONTHLY),
    ),
    "Hootsuite": (seat("Hootsuite Team seat", "83.00", 0.02, 3),),
    "SurveyMonkey": (seat("SurveyMonkey Team Premier seat", "75.00", 0.02, 3),),
    "Typeform": (platform("Typeform Business plan", "83.00"),),
    "Postman": (seat("Postman Enterprise seat", "49.00", 0.15),),
    "JetBrains All Products Pack": (seat("JetBrains All Products Pack", "64.92", 0.2),),
    "Sentry": (
        platform("Sentry Business plan", "80.00"),
        usage("Sentry errors (per 1,000)", "0.29", 2, "0.36"),
    ),
    "CrowdStrike Falcon": (seat("Falcon Pro endpoint", "8.33", 1.1, 25),),
    "KnowBe4": (
        tiered("KnowBe4 Gold training (per user)", ((500, "30.00"), (2000, "24.00"), (None, "19.20")), 1.0, ANNUAL),
    ),
    "ChatGPT Team": (seat("ChatGPT Team seat", "25.00", 0.25),),
    "Otter.ai": (seat("Otter Business seat", "20.00", 0.05),),
    "Amplitude": (
        platform("Amplitude Growth plan", "2500.00"),
        usage("Amplitude monthly tracked users (per 1,000)", "2.50", 0.3, "3.00"),
    ),
    "Mixpanel": (usage("Mixpanel events (per 1,000)", "0.28", 30, "0.35"),),
    "Freshdesk": (seat("Freshdesk Pro agent", "49.00", 0.04),),
    "Webex Meetings": (seat("Webex Business seat", "25.00", 0.05),),
    "Lucidchart": (seat("Lucid Team seat", "9.00", 0.15),),
}

# Products that are bought for several years, paid up front, when a demo company has them (first wins).
PREPAID_TERM_PRODUCTS = ("Workday HCM", "Microsoft 365", "Salesforce Sales Cloud", "Okta Workforce Identity")
PREPAID_TERM_MONTHS = 36
PREPAID_DISCOUNT = "0.90"  # what paying the whole term up front saves

# Long-tail products: a seat of one plan at a price per month in the range of its category, for a share
# of the company in the range given: (low price, high price, low share, high share).
LONG_TAIL_SEAT_PRICES: dict[str, tuple[int, int, float, float]] = {
    "Analytics": (20, 80, 0.02, 0.15),
    "Collaboration": (5, 15, 0.1, 0.6),
    "CRM": (40, 120, 0.03, 0.15),
    "Customer Support": (30, 90, 0.02, 0.08),
    "Design": (10, 45, 0.02, 0.1),
    "Engineering": (10, 40, 0.05, 0.4),
    "Finance": (8, 60, 0.01, 0.05),
    "HR": (4, 12, 1.0, 1.0),
    "Marketing": (20, 80, 0.02, 0.1),
    "Productivity": (6, 20, 0.05, 0.5),
    "Security": (3, 10, 1.0, 1.0),
}
LONG_TAIL_PLANS = ("Business", "Pro", "Team", "Enterprise", "Growth")
LONG_TAIL_PLATFORM_SHARE = 0.3
LONG_TAIL_PLATFORM_FEES = ("250.00", "500.00", "1000.00", "2000.00")
# Categories whose long-tail products may also meter use, and how many of them do.
LONG_TAIL_USAGE_SHARE = 0.4
LONG_TAIL_USAGE = {
    "Engineering": ("API calls (per 10,000)", "0.50", 40, "0.60"),
    "Analytics": ("Events (per 1,000)", "0.30", 20, "0.36"),
}

# The contracts' own mixes: (value, weight).
CURRENCY_WEIGHTS = (("USD", 78), ("EUR", 9), ("GBP", 6), ("CAD", 4), ("AUD", 3))
# Local list prices: how many units of a currency a vendor asks for one US dollar of list price.
CURRENCY_PRICE_FACTORS = {"USD": "1", "EUR": "0.93", "GBP": "0.80", "CAD": "1.36", "AUD": "1.52", "JPY": "150"}
OWNER_WEIGHTS = (("procurement", 76), ("it", 8), ("finance", 6), (None, 10))
NOTICE_DAYS_WEIGHTS = ((30, 35), (60, 25), (90, 12), (45, 10), (0, 18))
TERM_MONTHS_WEIGHTS = ((12, 78), (24, 14), (36, 8))
BILLING_WEIGHTS = ((ANNUAL, 64), (MONTHLY, 20), (QUARTERLY, 11), (BillingPeriod.SEMIANNUAL, 5))
AUTO_RENEW_SHARE = 0.6
UPLIFT_CAP_SHARE = 0.4
UPLIFT_CAPS = ("3", "4", "5", "6", "7")
DISCOUNT_RANGE = (0.75, 1.0)  # the negotiated price as a share of the list price
