"""Demo inventory: a realistic company built from a seed, and its loader.

``demo_company_build`` is pure: the same seed, profile and ``today`` give the
same company, byte for byte, in any process. It draws every random choice from
one ``random.Random(seed)`` in a fixed order and never iterates a set, so hash
randomisation cannot change the result. All dates are relative to ``today``.

``demo_inventory_load`` writes that company, keyed on natural keys (department,
category, vendor and application name, person email; compared ignoring case).
It only inserts rows that are missing and never updates, re-links or deletes an
existing row, so running it twice adds nothing and a real company's edits
survive. Links of a new row (a person's manager, an alias, an application's
owners) are only written when the row itself is created.
"""

import random
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models, transaction
from simple_history.utils import bulk_create_with_history

from saasmgr.inventory.choices import (
    AliasKind,
    ApplicationStatus,
    DiscoverySource,
    EmploymentType,
    PersonStatus,
)
from saasmgr.inventory.models import (
    Application,
    Category,
    Department,
    Person,
    PersonAlias,
    Vendor,
    VendorAlias,
)

SEED_CHANGE_REASON = "Created by seed_demo"
BULK_BATCH_SIZE = 2000


@dataclass(frozen=True)
class DemoProfile:
    """The shape of a demo company."""

    name: str
    people: int
    applications: int
    departments: int
    terminated_share: float = 0.08
    on_leave_share: float = 0.02
    contractor_share: float = 0.10
    years: int = 8
    domain: str = "acme-corp.example"


@dataclass(frozen=True)
class DemoDepartment:
    name: str
    parent: str | None
    cost_centre: str


@dataclass(frozen=True)
class DemoCategory:
    name: str
    description: str


@dataclass(frozen=True)
class DemoPerson:
    employee_id: str
    email: str
    name: str
    job_title: str
    department: str
    manager_email: str | None
    status: str
    employment_type: str
    start_date: date
    termination_date: date | None
    aliases: tuple[tuple[str, str], ...]  # (AliasKind, value)


@dataclass(frozen=True)
class DemoVendor:
    name: str
    website: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class DemoApplication:
    name: str
    vendor: str
    category: str
    status: str
    discovery_source: str
    first_seen: date
    business_owner_email: str | None
    it_owner_email: str | None
    website: str


@dataclass(frozen=True)
class DemoCompany:
    """Everything the loader writes; people are listed managers first, level by level."""

    categories: tuple[DemoCategory, ...]
    departments: tuple[DemoDepartment, ...]
    people: tuple[DemoPerson, ...]
    vendors: tuple[DemoVendor, ...]
    applications: tuple[DemoApplication, ...]


# --- Catalogues -------------------------------------------------------------

CATEGORIES: tuple[DemoCategory, ...] = (
    DemoCategory("Analytics", "BI, product analytics and data warehouses"),
    DemoCategory("Collaboration", "Chat, video meetings, file sharing and whiteboards"),
    DemoCategory("CRM", "Customer relationship management and sales tooling"),
    DemoCategory("Customer Support", "Help desks, live chat and knowledge bases"),
    DemoCategory("Design", "Design, prototyping and creative tools"),
    DemoCategory("Engineering", "Source control, CI, monitoring and developer tools"),
    DemoCategory("Finance", "Accounting, spend, expenses and planning"),
    DemoCategory("HR", "HRIS, recruiting, performance and payroll"),
    DemoCategory("Marketing", "Marketing automation, email, social and surveys"),
    DemoCategory("Productivity", "Office suites, notes, tasks and project management"),
    DemoCategory("Security", "Identity, passwords, endpoint and awareness training"),
)

# (name, parent, cost centre, share of headcount). Parents come before their
# children, so every prefix is a valid tree: a profile takes the first N.
DEPARTMENT_CATALOGUE: tuple[tuple[str, str | None, str, float], ...] = (
    ("Executive Office", None, "CC-1000", 0.5),
    ("Engineering", None, "CC-1100", 3),
    ("Platform", "Engineering", "CC-1110", 12),
    ("Product Engineering", "Engineering", "CC-1120", 18),
    ("Product", None, "CC-1200", 4),
    ("Design", "Product", "CC-1210", 4),
    ("Sales", None, "CC-1300", 3),
    ("EMEA Sales", "Sales", "CC-1310", 8),
    ("North America Sales", "Sales", "CC-1320", 10),
    ("Marketing", None, "CC-1400", 7),
    ("Customer Success", None, "CC-1500", 5),
    ("Customer Support", "Customer Success", "CC-1510", 8),
    ("Finance", None, "CC-1600", 4),
    ("People", None, "CC-1700", 3),
    ("IT", None, "CC-1800", 4),
    ("Information Security", "IT", "CC-1810", 3),
    ("IT Service Desk", "IT", "CC-1820", 4),
    ("Enterprise Applications", "IT", "CC-1830", 3),
    ("Data & Analytics", "Engineering", "CC-1130", 6),
    ("Site Reliability", "Engineering", "CC-1140", 5),
    ("Mobile Engineering", "Engineering", "CC-1150", 6),
    ("Quality Engineering", "Engineering", "CC-1160", 4),
    ("Machine Learning", "Engineering", "CC-1170", 4),
    ("User Research", "Product", "CC-1220", 2),
    ("APAC Sales", "Sales", "CC-1330", 6),
    ("LATAM Sales", "Sales", "CC-1340", 4),
    ("Sales Operations", "Sales", "CC-1350", 3),
    ("Solutions Engineering", "Sales", "CC-1360", 4),
    ("Demand Generation", "Marketing", "CC-1410", 3),
    ("Product Marketing", "Marketing", "CC-1420", 2),
    ("Brand & Communications", "Marketing", "CC-1430", 2),
    ("Professional Services", "Customer Success", "CC-1520", 5),
    ("Customer Onboarding", "Customer Success", "CC-1530", 3),
    ("Accounting", "Finance", "CC-1610", 3),
    ("FP&A", "Finance", "CC-1620", 2),
    ("Procurement", "Finance", "CC-1630", 2),
    ("Talent Acquisition", "People", "CC-1710", 3),
    ("People Operations", "People", "CC-1720", 2),
    ("Legal", None, "CC-1900", 2),
    ("Compliance", "Legal", "CC-1910", 1),
    ("Workplace", None, "CC-2000", 2),
)

CEO_TITLE = "Chief Executive Officer"
ROOT_HEAD_TITLES = {
    "Engineering": "Chief Technology Officer",
    "Product": "Chief Product Officer",
    "Sales": "Chief Revenue Officer",
    "Marketing": "Chief Marketing Officer",
    "Customer Success": "VP of Customer Success",
    "Finance": "Chief Financial Officer",
    "People": "Chief People Officer",
    "IT": "Chief Information Officer",
    "Legal": "General Counsel",
    "Workplace": "VP of Workplace",
}
MANAGER_TITLES = {
    "Executive Office": "Chief of Staff",
    "Engineering": "Engineering Manager",
    "Product": "Group Product Manager",
    "Sales": "Sales Manager",
    "Marketing": "Marketing Manager",
    "Customer Success": "Team Lead",
    "Finance": "Finance Manager",
    "People": "HR Manager",
    "IT": "IT Manager",
    "Legal": "Legal Manager",
    "Workplace": "Workplace Manager",
}
INDIVIDUAL_TITLES = {
    "Executive Office": ("Executive Assistant", "Strategy Analyst", "Executive Business Partner"),
    "Engineering": (
        "Software Engineer",
        "Software Engineer",
        "Senior Software Engineer",
        "Senior Software Engineer",
        "Staff Software Engineer",
        "Site Reliability Engineer",
        "Data Engineer",
        "QA Engineer",
    ),
    "Product": ("Product Manager", "Senior Product Manager", "Product Designer", "UX Researcher", "Product Analyst"),
    "Sales": (
        "Account Executive",
        "Senior Account Executive",
        "Sales Development Representative",
        "Sales Development Representative",
        "Solutions Engineer",
        "Sales Operations Analyst",
    ),
    "Marketing": (
        "Content Marketer",
        "Demand Generation Specialist",
        "Product Marketing Manager",
        "Marketing Operations Analyst",
        "Brand Designer",
    ),
    "Customer Success": (
        "Customer Success Manager",
        "Support Engineer",
        "Support Specialist",
        "Support Specialist",
        "Implementation Consultant",
        "Technical Account Manager",
    ),
    "Finance": ("Accountant", "Senior Accountant", "Financial Analyst", "Procurement Specialist", "Payroll Specialist"),
    "People": ("HR Business Partner", "Recruiter", "People Operations Specialist", "Learning & Development Partner"),
    "IT": (
        "IT Support Specialist",
        "Systems Administrator",
        "Security Engineer",
        "IT Asset Manager",
        "Identity Engineer",
    ),
    "Legal": ("Corporate Counsel", "Paralegal", "Compliance Analyst"),
    "Workplace": ("Workplace Coordinator", "Office Manager", "Facilities Technician"),
}


@dataclass(frozen=True)
class _NamePool:
    given: tuple[str, ...]
    family: tuple[str, ...]
    weight: int
    family_first: bool = False
    middle: tuple[str, ...] = ()


# fmt: off
NAME_POOLS: tuple[_NamePool, ...] = (
    _NamePool(
        given=(
            "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "William", "Elizabeth",
            "Emily", "Daniel", "Sarah", "Matthew", "Jessica", "Andrew", "Ashley", "Joshua", "Megan", "Ryan",
            "Olivia", "Ethan", "Hannah", "Tyler", "Chloe", "Nathan", "Grace", "Zoë", "Caleb", "Madison",
        ),
        family=(
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
            "Thomas", "Moore", "Jackson", "White", "Harris", "Martin", "Thompson", "Clark", "Lewis", "Walker",
            "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Carter",
        ),
        weight=30,
    ),
    _NamePool(
        given=(
            "José", "María", "Lucía", "Andrés", "Sofía", "Javier", "Camila", "Martín", "Valentina", "Alejandro",
            "Ana", "Diego", "Isabel", "Joaquín", "Mónica", "Raúl", "Inés", "Héctor", "Paula", "Sebastián",
        ),
        family=(
            "García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez",
            "Núñez", "Peña", "Jiménez", "Ortiz", "Vázquez", "Castillo", "Ibáñez", "Muñoz", "Álvarez", "Romero",
        ),
        weight=10,
    ),
    _NamePool(
        given=("Jürgen", "Lena", "Lukas", "Anna", "Felix", "Katrin", "Jonas", "Sabine", "Maximilian", "Jörg"),
        family=("Müller", "Schäfer", "Weiß", "Groß", "Schmidt", "Schneider", "Fischer", "Köhler", "Wagner", "Krüger"),
        weight=6,
    ),
    _NamePool(
        given=("Hélène", "François", "Gaëlle", "Noël", "Camille", "Léa", "Théo", "Amélie", "Jérôme", "Océane"),
        family=("Lefèvre", "Dubois", "Moreau", "Laurent", "Girard", "Bézier", "Rousseau", "Mercier", "Fontaine"),
        weight=5,
    ),
    _NamePool(
        given=("Åsa", "Björn", "Sigríður", "Ólafur", "Ingrid", "Søren", "Freja", "Mikael", "Guðrún", "Lars"),
        family=("Ångström", "Søndergaard", "Jónsdóttir", "Lindqvist", "Halvorsen", "Nyström", "Bjørnstad", "Þórsson"),
        weight=3,
    ),
    _NamePool(
        given=("Siobhán", "Aoife", "Seán", "Niamh", "Pádraig", "Ciarán", "Saoirse", "Eoin", "Caoimhe", "Darragh"),
        family=("O'Connor", "O'Brien", "Murphy", "Kelly", "O'Sullivan", "Walsh", "McCarthy", "Ní Bhriain", "Byrne"),
        weight=4,
    ),
    _NamePool(
        given=(
            "Priya", "Arjun", "Ananya", "Rohan", "Aarav", "Diya", "Vikram", "Sneha", "Rahul", "Kavya",
            "Aditya", "Pooja", "Siddharth", "Meera", "Karthik", "Lakshmi", "Nikhil", "Shreya", "Varun", "Isha",
        ),
        family=(
            "Patel", "Sharma", "Iyer", "Reddy", "Banerjee", "Gupta", "Nair", "Singh", "Mehta", "Krishnan",
            "Chatterjee", "Rao", "Desai", "Kulkarni", "Menon", "Agarwal", "Joshi", "Pillai", "Bhat", "Kapoor",
        ),
        weight=12,
    ),
    _NamePool(
        given=("Wei", "Xiaoming", "Jing", "Hao", "Mei", "Yan", "Jun", "Lin", "Xin", "Yu", "Chen", "Hui"),
        family=("Zhang", "Wang", "Chen", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma"),
        weight=8,
    ),
    _NamePool(
        given=("Minh", "Anh", "Hương", "Thảo", "Linh", "Tuấn", "Dũng", "Hà", "Lan", "Phương", "Quang", "Trang"),
        family=("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"),
        middle=("Thị", "Văn", "Đức", "Ngọc", "Thanh", "Hữu"),
        family_first=True,
        weight=3,
    ),
    _NamePool(
        given=("Haruto", "Yui", "Sakura", "Ren", "Aoi", "Sota", "Hina", "Kenji", "Yuki", "Takumi"),
        family=("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi"),
        weight=3,
    ),
    _NamePool(
        given=("Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun", "Do-yun", "Ji-woo", "Eun-ji", "Hyun-woo"),
        family=("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"),
        weight=3,
    ),
    _NamePool(
        given=("Łukasz", "Zofia", "Wojciech", "Agnieszka", "Krzysztof", "Małgorzata", "Paweł", "Joanna"),
        family=("Wiśniewski", "Kowalczyk", "Wójcik", "Nowak", "Kamiński", "Lewandowska", "Zieliński", "Żuraw"),
        weight=3,
    ),
    _NamePool(
        given=("Çağla", "Ömer", "Şebnem", "Emre", "Elif", "Burak", "Zeynep", "Mert"),
        family=("Yılmaz", "Öztürk", "Şahin", "Kaya", "Demir", "Çelik", "Aydın", "Arslan"),
        weight=2,
    ),
    _NamePool(
        given=("Fatima", "Omar", "Layla", "Youssef", "Nour", "Karim", "Yasmin", "Tariq", "Rania", "Samir"),
        family=("Al-Sayed", "Haddad", "El-Amin", "Khoury", "Mansour", "Nasser", "Aziz", "Farouk", "Saleh"),
        weight=3,
    ),
    _NamePool(
        given=("Chidi", "Amara", "Kwame", "Nomvula", "Oluwaseun", "Ama", "Tendai", "Zanele", "Kofi", "Ngozi"),
        family=("Okafor", "Mensah", "Adeyemi", "Dlamini", "Nwosu", "Boateng", "Mokoena", "Okonkwo", "Asante"),
        weight=4,
    ),
    _NamePool(
        given=("João", "Conceição", "Thiago", "Beatriz", "Gonçalo", "Mariana", "Vinícius", "Letícia"),
        family=("Gonçalves", "Araújo", "Silva", "Ferreira", "Magalhães", "Carvalho", "Simões", "Conceição"),
        weight=3,
    ),
    _NamePool(
        given=("Sanne", "Joost", "Femke", "Daan", "Lotte", "Bram", "Ilse", "Sven"),
        family=("van der Berg", "de Vries", "Bakker", "Janssen", "van Dijk", "Visser", "de Jong", "Smit"),
        weight=2,
    ),
    _NamePool(
        given=("Giulia", "Lorenzo", "Francesca", "Matteo", "Chiara", "Niccolò", "Elena", "Andrea"),
        family=("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
        weight=3,
    ),
)
# fmt: on

# Names that exercise the UI and the matchers: accents, apostrophes, family-name
# first, letters without an ASCII decomposition, and one very long name.
FEATURED_NAMES: tuple[tuple[str, str, bool, str], ...] = (
    ("José", "Müller", False, ""),
    ("Zoë", "Ångström", False, ""),
    ("Minh", "Nguyễn", True, "Thị"),
    ("Siobhán", "O'Connor", False, ""),
    ("Renée", "D'Arcy-Lefèvre", False, ""),
    ("Łukasz", "Żółkiewski", False, ""),
    ("Guðrún", "Þórsdóttir", False, ""),
    ("Maximiliana Theodora Alexandrina", "von Hohenzollern-Sigmaringen-Wolfeschlegelsteinhausen", False, ""),
)

LEGACY_EMAIL_DOMAIN = "initech.example"  # an acquired company whose addresses still show up in usage data

# Vendors of the real SaaS catalogue: name -> (website, raw names seen in spend and contracts).
VENDOR_CATALOGUE: dict[str, tuple[str, tuple[str, ...]]] = {
    "Salesforce": ("https://www.salesforce.com", ("SFDC", "salesforce.com inc", "SALESFORCE.COM")),
    "Slack Technologies": ("https://slack.com", ("SLACK TECHNOLOGIES", "Slack Technologies LLC", "SLACK.COM")),
    "Zoom Video Communications": ("https://zoom.us", ("ZOOM.US", "ZOOM VIDEO COMM")),
    "Atlassian": ("https://www.atlassian.com", ("ATLASSIAN PTY LTD", "Atlassian US Inc")),
    "GitHub": ("https://github.com", ("GITHUB INC", "GitHub, Inc.")),
    "Figma": ("https://www.figma.com", ("FIGMA INC", "FIGMA.COM")),
    "Notion Labs": ("https://www.notion.so", ("NOTION LABS INC", "NOTION.SO")),
    "Miro": ("https://miro.com", ("REALTIMEBOARD INC", "MIRO.COM")),
    "DocuSign": ("https://www.docusign.com", ("DOCUSIGN INC", "DocuSign, Inc.")),
    "HubSpot": ("https://www.hubspot.com", ("HUBSPOT INC", "HUBSPOT.COM")),
    "Workday": ("https://www.workday.com", ("WORKDAY INC", "Workday, Inc.")),
    "Okta": ("https://www.okta.com", ("OKTA INC", "Okta, Inc.")),
    "Google": ("https://workspace.google.com", ("Google LLC", "GOOGLE *GSUITE", "GOOGLE*WORKSPACE")),
    "Microsoft": ("https://www.microsoft.com", ("MICROSOFT CORPORATION", "MSFT", "MICROSOFT*365")),
    "Asana": ("https://asana.com", ("ASANA INC", "ASANA.COM")),
    "monday.com": ("https://monday.com", ("MONDAY.COM LTD", "monday.com Ltd.")),
    "Dropbox": ("https://www.dropbox.com", ("DROPBOX INC", "DROPBOX*")),
    "Box": ("https://www.box.com", ("BOX INC", "BOX.COM")),
    "Zendesk": ("https://www.zendesk.com", ("ZENDESK INC", "Zendesk, Inc.")),
    "Intercom": ("https://www.intercom.com", ("INTERCOM INC", "INTERCOM R&D")),
    "Datadog": ("https://www.datadoghq.com", ("DATADOG INC", "DATADOG HQ")),
    "PagerDuty": ("https://www.pagerduty.com", ("PAGERDUTY INC",)),
    "Snowflake": ("https://www.snowflake.com", ("SNOWFLAKE INC", "SNOWFLAKE COMPUTING")),
    "Loom": ("https://www.loom.com", ("LOOM INC", "LOOM.COM")),
    "Calendly": ("https://calendly.com", ("CALENDLY LLC", "CALENDLY.COM")),
    "Grammarly": ("https://www.grammarly.com", ("GRAMMARLY INC", "GRAMMARLY*")),
    "1Password": ("https://1password.com", ("AgileBits Inc.", "1PASSWORD.COM")),
    "LastPass": ("https://www.lastpass.com", ("LASTPASS US LP", "LogMeIn LastPass")),
    "Canva": ("https://www.canva.com", ("CANVA PTY LTD", "CANVA*")),
    "Adobe": ("https://www.adobe.com", ("ADOBE INC", "ADOBE *CREATIVE CLOUD", "ADOBE SYSTEMS")),
    "Smartsheet": ("https://www.smartsheet.com", ("SMARTSHEET INC",)),
    "Airtable": ("https://www.airtable.com", ("FORMAGRID INC", "AIRTABLE.COM")),
    "Gong": ("https://www.gong.io", ("GONG.IO INC",)),
    "Outreach": ("https://www.outreach.io", ("OUTREACH CORP",)),
    "ZoomInfo": ("https://www.zoominfo.com", ("ZOOMINFO TECHNOLOGIES",)),
    "LinkedIn": ("https://www.linkedin.com", ("LINKEDIN CORP", "LINKEDIN*SALES NAV")),
    "Greenhouse": ("https://www.greenhouse.com", ("GREENHOUSE SOFTWARE",)),
    "BambooHR": ("https://www.bamboohr.com", ("BAMBOOHR LLC",)),
    "Lattice": ("https://lattice.com", ("DEGREE INC", "LATTICE HQ")),
    "Expensify": ("https://www.expensify.com", ("EXPENSIFY INC",)),
    "Coupa": ("https://www.coupa.com", ("COUPA SOFTWARE",)),
    "Oracle NetSuite": ("https://www.netsuite.com", ("ORACLE AMERICA INC", "NETSUITE INC")),
    "BILL": ("https://www.bill.com", ("BILL.COM LLC",)),
    "Intuit Mailchimp": ("https://mailchimp.com", ("INTUIT MAILCHIMP", "MAILCHIMP")),
    "Hootsuite": ("https://www.hootsuite.com", ("HOOTSUITE INC",)),
    "SurveyMonkey": ("https://www.surveymonkey.com", ("MOMENTIVE INC", "SVMK INC")),
    "Typeform": ("https://www.typeform.com", ("TYPEFORM SL",)),
    "Postman": ("https://www.postman.com", ("POSTMAN INC",)),
    "JetBrains": ("https://www.jetbrains.com", ("JETBRAINS S.R.O.",)),
    "Sentry": ("https://sentry.io", ("FUNCTIONAL SOFTWARE INC", "SENTRY.IO")),
    "CrowdStrike": ("https://www.crowdstrike.com", ("CROWDSTRIKE INC",)),
    "KnowBe4": ("https://www.knowbe4.com", ("KNOWBE4 INC",)),
    "OpenAI": ("https://openai.com", ("OPENAI LLC", "OPENAI *CHATGPT")),
    "Otter.ai": ("https://otter.ai", ("OTTER.AI",)),
    "Amplitude": ("https://amplitude.com", ("AMPLITUDE INC",)),
    "Mixpanel": ("https://mixpanel.com", ("MIXPANEL INC",)),
    "Freshworks": ("https://www.freshworks.com", ("FRESHWORKS INC",)),
    "Cisco": ("https://www.webex.com", ("CISCO WEBEX", "CISCO SYSTEMS")),
    "Lucid Software": ("https://lucid.co", ("LUCID SOFTWARE INC",)),
}

# (application, vendor, category, "shadow" = often bought outside IT, "core" = always in a demo).
APPLICATION_CATALOGUE: tuple[tuple[str, str, str, bool, bool], ...] = (
    ("Salesforce Sales Cloud", "Salesforce", "CRM", False, True),
    ("Slack", "Slack Technologies", "Collaboration", False, True),
    ("Zoom", "Zoom Video Communications", "Collaboration", False, True),
    ("Atlassian Jira", "Atlassian", "Engineering", False, True),
    ("Confluence", "Atlassian", "Collaboration", False, True),
    ("GitHub", "GitHub", "Engineering", False, True),
    ("Figma", "Figma", "Design", False, True),
    ("Notion", "Notion Labs", "Productivity", True, True),
    ("Miro", "Miro", "Collaboration", True, True),
    ("DocuSign eSignature", "DocuSign", "Productivity", False, True),
    ("HubSpot Marketing Hub", "HubSpot", "Marketing", False, True),
    ("Workday HCM", "Workday", "HR", False, True),
    ("Okta Workforce Identity", "Okta", "Security", False, True),
    ("Google Workspace", "Google", "Productivity", False, True),
    ("Microsoft 365", "Microsoft", "Productivity", False, True),
    ("Asana", "Asana", "Productivity", False, True),
    ("Monday.com", "monday.com", "Productivity", True, True),
    ("Dropbox", "Dropbox", "Collaboration", True, True),
    ("Box", "Box", "Collaboration", False, True),
    ("Zendesk Suite", "Zendesk", "Customer Support", False, True),
    ("Intercom", "Intercom", "Customer Support", False, True),
    ("Datadog", "Datadog", "Engineering", False, True),
    ("PagerDuty", "PagerDuty", "Engineering", False, True),
    ("Snowflake", "Snowflake", "Analytics", False, True),
    ("Tableau", "Salesforce", "Analytics", False, True),
    ("Loom", "Loom", "Collaboration", True, True),
    ("Calendly", "Calendly", "Productivity", True, True),
    ("Grammarly", "Grammarly", "Productivity", True, True),
    ("1Password", "1Password", "Security", False, True),
    ("LastPass", "LastPass", "Security", False, True),
    ("Canva", "Canva", "Design", True, True),
    ("Adobe Creative Cloud", "Adobe", "Design", False, True),
    ("Smartsheet", "Smartsheet", "Productivity", False, True),
    ("Airtable", "Airtable", "Productivity", True, True),
    ("Salesforce Service Cloud", "Salesforce", "Customer Support", False, False),
    ("Trello", "Atlassian", "Productivity", True, False),
    ("Bitbucket", "Atlassian", "Engineering", False, False),
    ("Jira Service Management", "Atlassian", "Customer Support", False, False),
    ("Looker", "Google", "Analytics", False, False),
    ("Power BI", "Microsoft", "Analytics", False, False),
    ("Adobe Acrobat Pro", "Adobe", "Productivity", False, False),
    ("Adobe Marketo Engage", "Adobe", "Marketing", False, False),
    ("Workday Adaptive Planning", "Workday", "Finance", False, False),
    ("Gong", "Gong", "CRM", False, False),
    ("Outreach", "Outreach", "CRM", False, False),
    ("ZoomInfo SalesOS", "ZoomInfo", "CRM", False, False),
    ("LinkedIn Sales Navigator", "LinkedIn", "CRM", True, False),
    ("LinkedIn Recruiter", "LinkedIn", "HR", False, False),
    ("Greenhouse Recruiting", "Greenhouse", "HR", False, False),
    ("BambooHR", "BambooHR", "HR", False, False),
    ("Lattice", "Lattice", "HR", False, False),
    ("Expensify", "Expensify", "Finance", False, False),
    ("Coupa", "Coupa", "Finance", False, False),
    ("NetSuite", "Oracle NetSuite", "Finance", False, False),
    ("BILL Accounts Payable", "BILL", "Finance", False, False),
    ("Mailchimp", "Intuit Mailchimp", "Marketing", True, False),
    ("Hootsuite", "Hootsuite", "Marketing", False, False),
    ("SurveyMonkey", "SurveyMonkey", "Marketing", True, False),
    ("Typeform", "Typeform", "Marketing", True, False),
    ("Postman", "Postman", "Engineering", True, False),
    ("JetBrains All Products Pack", "JetBrains", "Engineering", False, False),
    ("Sentry", "Sentry", "Engineering", False, False),
    ("CrowdStrike Falcon", "CrowdStrike", "Security", False, False),
    ("KnowBe4", "KnowBe4", "Security", False, False),
    ("ChatGPT Team", "OpenAI", "Productivity", True, False),
    ("Otter.ai", "Otter.ai", "Productivity", True, False),
    ("Amplitude", "Amplitude", "Analytics", False, False),
    ("Mixpanel", "Mixpanel", "Analytics", True, False),
    ("Freshdesk", "Freshworks", "Customer Support", True, False),
    ("Webex Meetings", "Cisco", "Collaboration", True, False),
    ("Lucidchart", "Lucid Software", "Design", True, False),
)
ALWAYS_RETIRED = frozenset({"LastPass"})  # replaced by 1Password: a retired app still in the books

# Long-tail products for profiles bigger than the catalogue: "<Stem> <Noun>" by "<Stem> <Legal form>".
# fmt: off
STEM_PREFIXES = (
    "Acu", "Astra", "Beacon", "Blue", "Bright", "Cedar", "Cobalt", "Cirrus", "Clear", "Core", "Delta", "Echo",
    "Ember", "Falcon", "Flux", "Granite", "Harbor", "Hyper", "Indigo", "Iron", "Jade", "Juniper", "Keystone",
    "Kite", "Lumen", "Maple", "Nimbus", "North", "Nova", "Omni", "Orbit", "Peak", "Pioneer", "Quanta", "Quill",
    "Rapid", "River", "Sky", "Summit", "Swift", "Terra", "Tidal", "Ultra", "Vector", "Vivid", "Zen", "Zephyr",
    "Opal",
)
STEM_SUFFIXES = (
    "wave", "path", "stack", "base", "grid", "flow", "point", "forge", "loop", "mint", "scale", "sight",
    "spark", "stream", "works", "hub", "line", "ware", "bit", "leaf", "nest", "pulse", "shift", "yard", "field",
)
# fmt: on
BILLING_WORDS = ("SUBSCRIPTION", "ANNUAL", "MONTHLY", "LICENSE")  # how card statements name a charge
LEGAL_FORMS = ("Inc.", "Ltd", "GmbH", "LLC", "Software", "Technologies", "Labs", "Systems", "AB", "B.V.")
PRODUCT_NOUNS = {
    "Analytics": ("Insights", "Metrics", "Dashboards", "Analytics", "Reports", "BI", "Warehouse"),
    "Collaboration": ("Chat", "Meet", "Spaces", "Whiteboard", "Share", "Connect", "Drive"),
    "CRM": ("CRM", "Pipeline", "Deals", "Prospect", "Sales", "Forecast"),
    "Customer Support": ("Desk", "Helpdesk", "Tickets", "Chatbot", "Knowledge Base", "Status Page"),
    "Design": ("Studio", "Draw", "Prototype", "Assets", "Canvas", "Fonts"),
    "Engineering": ("CI", "Deploy", "Monitor", "Logs", "Test", "Code Review", "API Gateway", "Feature Flags"),
    "Finance": ("Ledger", "Spend", "Invoice", "Expense", "Close", "Payables", "Treasury"),
    "HR": ("People", "Payroll", "Recruit", "Reviews", "Onboard", "Benefits", "Engage"),
    "Marketing": ("Campaigns", "Social", "Email", "SEO", "Events", "Forms", "Webinars"),
    "Productivity": ("Notes", "Tasks", "Docs", "Calendar", "Planner", "Wiki", "Scheduler"),
    "Security": ("Shield", "Vault", "Guard", "Identity", "Scan", "Secrets", "Endpoint"),
}
LONG_TAIL_CATEGORY_WEIGHTS = {
    "Analytics": 9,
    "Collaboration": 10,
    "CRM": 7,
    "Customer Support": 6,
    "Design": 6,
    "Engineering": 16,
    "Finance": 7,
    "HR": 7,
    "Marketing": 12,
    "Productivity": 12,
    "Security": 8,
}
# Which part of the company owns an app of a category (root departments).
CATEGORY_OWNER_ROOTS = {
    "Analytics": ("Engineering", "Finance"),
    "Collaboration": ("IT",),
    "CRM": ("Sales",),
    "Customer Support": ("Customer Success",),
    "Design": ("Product", "Marketing"),
    "Engineering": ("Engineering",),
    "Finance": ("Finance",),
    "HR": ("People",),
    "Marketing": ("Marketing",),
    "Productivity": ("IT", "Executive Office", "Product"),
    "Security": ("IT",),
}

# Status mix: (status, weight). Catalogue apps are mostly sanctioned; apps often
# bought outside IT and the long tail hold most of the shadow IT.
STATUS_WEIGHTS_CATALOGUE = (
    (ApplicationStatus.SANCTIONED, 88),
    (ApplicationStatus.UNDER_REVIEW, 5),
    (ApplicationStatus.UNSANCTIONED, 3),
    (ApplicationStatus.RETIRED, 4),
)
STATUS_WEIGHTS_SHADOW = (
    (ApplicationStatus.SANCTIONED, 35),
    (ApplicationStatus.UNDER_REVIEW, 30),
    (ApplicationStatus.UNSANCTIONED, 35),
)
STATUS_WEIGHTS_LONG_TAIL = (
    (ApplicationStatus.SANCTIONED, 50),
    (ApplicationStatus.UNDER_REVIEW, 18),
    (ApplicationStatus.UNSANCTIONED, 24),
    (ApplicationStatus.RETIRED, 8),
)
DISCOVERY_WEIGHTS = {
    ApplicationStatus.SANCTIONED: (
        (DiscoverySource.CONTRACT, 45),
        (DiscoverySource.SSO, 20),
        (DiscoverySource.IMPORT, 20),
        (DiscoverySource.MANUAL, 15),
    ),
    ApplicationStatus.UNDER_REVIEW: (
        (DiscoverySource.SSO, 40),
        (DiscoverySource.SPEND, 35),
        (DiscoverySource.EXPENSE, 25),
    ),
    ApplicationStatus.UNSANCTIONED: (
        (DiscoverySource.EXPENSE, 40),
        (DiscoverySource.SPEND, 35),
        (DiscoverySource.SSO, 25),
    ),
    ApplicationStatus.RETIRED: ((DiscoverySource.CONTRACT, 70), (DiscoverySource.MANUAL, 30)),
}

DEMO_PROFILES: dict[str, DemoProfile] = {
    "small": DemoProfile(name="small", people=300, applications=60, departments=15),
    # The scale of DESIGN.md section 8 (its contracts, licenses and usage come with those layers).
    "enterprise": DemoProfile(
        name="enterprise", people=50_000, applications=1_000, departments=len(DEPARTMENT_CATALOGUE)
    ),
}


# --- Generation (pure) ------------------------------------------------------


def demo_company_build(*, seed: int, profile: DemoProfile, today: date) -> DemoCompany:
    """The demo company for ``seed``: identical for identical arguments."""
    rng = random.Random(seed)
    departments = demo_departments(profile=profile)
    people = demo_people(rng=rng, profile=profile, departments=departments, today=today)
    vendors, applications = demo_applications(
        rng=rng, profile=profile, departments=departments, people=people, today=today
    )
    return DemoCompany(
        categories=CATEGORIES,
        departments=departments,
        people=people,
        vendors=vendors,
        applications=applications,
    )


def demo_departments(*, profile: DemoProfile) -> tuple[DemoDepartment, ...]:
    if not 1 <= profile.departments <= len(DEPARTMENT_CATALOGUE):
        raise ValueError(f"A demo profile has 1 to {len(DEPARTMENT_CATALOGUE)} departments, not {profile.departments}.")
    return tuple(
        DemoDepartment(name=name, parent=parent, cost_centre=cost_centre)
        for name, parent, cost_centre, _share in DEPARTMENT_CATALOGUE[: profile.departments]
    )


@dataclass
class _Slot:
    """A person's place in the organisation, before they get a name."""

    department: str
    root: str
    manager: int | None  # index of the manager's slot
    depth: int
    title: str
    leads: bool  # has reports: stays active and an employee, so the hierarchy holds


def demo_people(
    *, rng: random.Random, profile: DemoProfile, departments: Sequence[DemoDepartment], today: date
) -> tuple[DemoPerson, ...]:
    """People with a proper hierarchy: the CEO, heads of departments, then teams under each head."""
    slots = _organisation_slots(rng, departments, _headcounts(profile, departments))
    leaves = [index for index, slot in enumerate(slots) if not slot.leads]
    statuses = _statuses(rng, profile, slots, leaves)
    contractors = set(rng.sample(leaves, min(len(leaves), round(profile.people * profile.contractor_share))))
    names = _names(rng, len(slots), leaves)
    emails = _unique_emails(names, profile.domain)
    start_dates = _start_dates(rng, profile, slots, today)
    aliases = _person_aliases(rng, names, emails)
    employee_ids = _employee_ids(start_dates, contractors)
    people = []
    for index, slot in enumerate(slots):
        status = statuses[index]
        people.append(
            DemoPerson(
                employee_id=employee_ids[index],
                email=emails[index],
                name=names[index].display,
                job_title=slot.title,
                department=slot.department,
                manager_email=None if slot.manager is None else emails[slot.manager],
                status=status,
                employment_type=(EmploymentType.CONTRACTOR if index in contractors else EmploymentType.EMPLOYEE).value,
                start_date=start_dates[index],
                termination_date=_termination_date(rng, start_dates[index], today)
                if status == PersonStatus.TERMINATED
                else None,
                aliases=aliases[index],
            )
        )
    # Managers before their reports, so the loader can link each batch to people already written.
    order = sorted(range(len(slots)), key=lambda index: (slots[index].depth, index))
    return tuple(people[index] for index in order)


def _headcounts(profile: DemoProfile, departments: Sequence[DemoDepartment]) -> list[int]:
    """Split the headcount by each department's share (largest remainder), at least one head each."""
    if profile.people < len(departments):
        raise ValueError(f"{profile.people} people cannot fill {len(departments)} departments.")
    shares = [DEPARTMENT_CATALOGUE[index][3] for index in range(len(departments))]
    spare = profile.people - len(departments)
    exact = [spare * share / sum(shares) for share in shares]
    counts = [int(value) for value in exact]
    by_remainder = sorted(range(len(exact)), key=lambda index: (counts[index] - exact[index], index))
    for index in by_remainder[: spare - sum(counts)]:
        counts[index] += 1
    return [count + 1 for count in counts]


def _organisation_slots(
    rng: random.Random, departments: Sequence[DemoDepartment], headcounts: Sequence[int]
) -> list[_Slot]:
    """Department heads report to the head of the parent department (roots to the CEO); inside a
    department, people form a tree with a span of control of 5 to 8."""
    slots: list[_Slot] = []
    head_of: dict[str, int] = {}
    root_of = {department.name: department.parent or department.name for department in departments}
    ceo_department = departments[0].name
    for department, headcount in zip(departments, headcounts, strict=True):
        root = root_of[department.name]
        if department.parent:
            manager = head_of[department.parent]
        elif department.name == ceo_department:
            manager = None
        else:
            manager = head_of[ceo_department]
        head_index = len(slots)
        head_depth = 0 if manager is None else slots[manager].depth + 1
        head_of[department.name] = head_index
        slots.append(_Slot(department.name, root, manager, head_depth, _head_title(department), leads=True))
        span = rng.randint(5, 8)
        team_titles = INDIVIDUAL_TITLES.get(root, ("Specialist",))
        for position in range(1, headcount):
            boss_position = (position - 1) // span
            boss_index = head_index + boss_position
            leads = position * span + 1 < headcount
            title = MANAGER_TITLES.get(root, "Manager") if leads else rng.choice(team_titles)
            slots.append(_Slot(department.name, root, boss_index, slots[boss_index].depth + 1, title, leads))
    return slots


def _head_title(department: DemoDepartment) -> str:
    if department.parent:
        return f"Director of {department.name}"
    if department.name == DEPARTMENT_CATALOGUE[0][0]:
        return CEO_TITLE
    return ROOT_HEAD_TITLES.get(department.name, f"Head of {department.name}")


def _statuses(rng: random.Random, profile: DemoProfile, slots: Sequence[_Slot], leaves: list[int]) -> list[str]:
    """Exactly the profile's shares of terminated and on-leave people, drawn from those without reports."""
    terminated_count = min(len(leaves), round(profile.people * profile.terminated_share))
    on_leave_count = min(len(leaves) - terminated_count, round(profile.people * profile.on_leave_share))
    drawn = rng.sample(leaves, terminated_count + on_leave_count)
    statuses = [PersonStatus.ACTIVE.value] * len(slots)
    for position, index in enumerate(drawn):
        statuses[index] = (PersonStatus.TERMINATED if position < terminated_count else PersonStatus.ON_LEAVE).value
    return statuses


@dataclass(frozen=True)
class _Name:
    given: str
    family: str
    family_first: bool = False
    middle: str = ""

    @property
    def display(self) -> str:
        if self.family_first:
            return " ".join(part for part in (self.family, self.middle, self.given) if part)
        return " ".join(part for part in (self.given, self.middle, self.family) if part)


_ASCII_LETTERS = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}
    | {"þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i", "œ": "oe", "Œ": "OE"}
)


def ascii_slug(text: str) -> str:
    """'Siobhán O'Connor' -> 'siobhanoconnor': letters an email's local part can hold."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_LETTERS))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9-]", "", plain.lower())


def _names(rng: random.Random, count: int, leaves: list[int]) -> list[_Name]:
    weights = [pool.weight for pool in NAME_POOLS]
    names = []
    for _ in range(count):
        pool = rng.choices(NAME_POOLS, weights=weights)[0]
        middle = rng.choice(pool.middle) if pool.middle else ""
        names.append(_Name(rng.choice(pool.given), rng.choice(pool.family), pool.family_first, middle))
    featured = FEATURED_NAMES[: len(leaves)]
    for index, (given, family, family_first, middle) in zip(rng.sample(leaves, len(featured)), featured, strict=True):
        names[index] = _Name(given, family, family_first, middle)
    return names


def _email_local(name: _Name) -> str:
    # Mail admins use the first given name only; 64 characters is the most a local part may have.
    return f"{ascii_slug(name.given.split()[0])}.{ascii_slug(name.family)}"[:64].rstrip(".-")


def _unique_emails(names: Sequence[_Name], domain: str) -> list[str]:
    """first.last@domain; a repeated name gets a number, as mail admins do (jane.doe2)."""
    taken: set[str] = set()
    emails = []
    for name in names:
        local = _email_local(name)
        candidate, number = local, 1
        while candidate in taken:
            number += 1
            candidate = f"{local[: 64 - len(str(number))]}{number}"
        taken.add(candidate)
        emails.append(f"{candidate}@{domain}")
    return emails


def _person_aliases(rng: random.Random, names: Sequence[_Name], emails: Sequence[str]) -> list[tuple]:
    """Some people have a username (jmuller) or an address from the acquired company."""
    taken: set[str] = set()
    aliases = []
    for name, email in zip(names, emails, strict=True):
        own = []
        if rng.random() < 0.2:
            base = (ascii_slug(name.given)[:1] + ascii_slug(name.family))[:30]
            username, number = base, 1
            while username in taken:
                number += 1
                username = f"{base}{number}"
            taken.add(username)
            own.append((AliasKind.USERNAME.value, username))
        if rng.random() < 0.04:
            own.append((AliasKind.EMAIL.value, f"{email.split('@')[0]}@{LEGACY_EMAIL_DOMAIN}"))
        aliases.append(tuple(own))
    return aliases


def _start_dates(rng: random.Random, profile: DemoProfile, slots: Sequence[_Slot], today: date) -> list[date]:
    """Leaders joined in the first years; hiring grew since, so most people joined recently."""
    founded = today - timedelta(days=profile.years * 365)
    history_days = (today - founded).days
    dates = []
    for slot in slots:
        if slot.depth == 0:
            dates.append(founded)
        elif slot.depth == 1:
            dates.append(founded + timedelta(days=rng.randint(0, 365)))
        else:
            dates.append(today - timedelta(days=int(history_days * rng.random() ** 1.5)))
    return dates


def _employee_ids(start_dates: Sequence[date], contractors: set[int]) -> list[str]:
    """Numbered in hiring order: E000001 for employees, CW00001 for contingent workers."""
    ids = [""] * len(start_dates)
    employees = contingent = 0
    for index in sorted(range(len(start_dates)), key=lambda index: (start_dates[index], index)):
        if index in contractors:
            contingent += 1
            ids[index] = f"CW{contingent:05d}"
        else:
            employees += 1
            ids[index] = f"E{employees:06d}"
    return ids


def _termination_date(rng: random.Random, start: date, today: date) -> date:
    return start + timedelta(days=rng.randint(0, (today - start).days))


def demo_applications(
    *,
    rng: random.Random,
    profile: DemoProfile,
    departments: Sequence[DemoDepartment],
    people: Sequence[DemoPerson],
    today: date,
) -> tuple[tuple[DemoVendor, ...], tuple[DemoApplication, ...]]:
    """The real catalogue first (its core apps always), then long-tail products up to the profile's count."""
    chosen = _catalogue_choice(rng, profile.applications)
    vendors = [
        DemoVendor(name=vendor, website=VENDOR_CATALOGUE[vendor][0], aliases=VENDOR_CATALOGUE[vendor][1])
        for vendor in _unique_in_order(app[1] for app in chosen)
    ]
    products = [(name, vendor, category, shadow) for name, vendor, category, shadow, _core in chosen]
    websites = {vendor.name: vendor.website for vendor in vendors}
    long_tail_vendors, long_tail_products = _long_tail(rng, profile.applications - len(chosen))
    vendors.extend(long_tail_vendors)
    websites.update({vendor.name: vendor.website for vendor in long_tail_vendors})
    owners = _OwnerPools(departments, people)
    applications = []
    for name, vendor, category, status_weights in _with_status_weights(products, long_tail_products):
        status = ApplicationStatus.RETIRED.value if name in ALWAYS_RETIRED else _weighted(rng, status_weights)
        applications.append(
            DemoApplication(
                name=name,
                vendor=vendor,
                category=category,
                status=status,
                discovery_source=_weighted(rng, DISCOVERY_WEIGHTS[status]),
                first_seen=_first_seen(rng, status, profile, today),
                business_owner_email=owners.business_owner(rng, category, status),
                it_owner_email=owners.it_owner(rng, status),
                website=websites[vendor],
            )
        )
    return tuple(vendors), tuple(applications)


def _catalogue_choice(rng: random.Random, count: int) -> list[tuple[str, str, str, bool, bool]]:
    core = [app for app in APPLICATION_CATALOGUE if app[4]]
    optional = [app for app in APPLICATION_CATALOGUE if not app[4]]
    if count <= len(core):
        picked = rng.sample(core, count)
    else:
        picked = core + rng.sample(optional, min(len(optional), count - len(core)))
    position = {app[0]: index for index, app in enumerate(APPLICATION_CATALOGUE)}
    return sorted(picked, key=lambda app: position[app[0]])


def _unique_in_order(values) -> list:
    return list(dict.fromkeys(values))


def _long_tail(rng: random.Random, count: int) -> tuple[list[DemoVendor], list[tuple[str, str, str]]]:
    """Plausible products of plausible vendors: 'Cobaltpath Ledger' by 'Cobaltpath Labs'."""
    if count <= 0:
        return [], []
    real_names = {name.lower() for name in VENDOR_CATALOGUE} | {app[0].lower() for app in APPLICATION_CATALOGUE}
    stems = [f"{prefix}{suffix}" for prefix in STEM_PREFIXES for suffix in STEM_SUFFIXES]
    stems = [stem for stem in stems if stem.lower() not in real_names]
    rng.shuffle(stems)
    categories = list(LONG_TAIL_CATEGORY_WEIGHTS)
    weights = list(LONG_TAIL_CATEGORY_WEIGHTS.values())
    vendors: list[DemoVendor] = []
    products: list[tuple[str, str, str]] = []
    for stem in stems:
        if len(products) >= count:
            break
        legal_form = rng.choice(LEGAL_FORMS)
        vendor = f"{stem} {legal_form}"
        raw_names = (f"{stem.upper()} {legal_form.upper().rstrip('.')}", f"{stem.upper()}*{rng.choice(BILLING_WORDS)}")
        vendors.append(DemoVendor(name=vendor, website=f"https://www.{stem.lower()}.example", aliases=raw_names))
        category = rng.choices(categories, weights=weights)[0]
        product_count = min(rng.choice((1, 1, 1, 2, 2, 3)), count - len(products))
        for noun in rng.sample(PRODUCT_NOUNS[category], product_count):
            products.append((f"{stem} {noun}", vendor, category))
    if len(products) < count:
        raise ValueError(f"The long-tail generator makes at most {len(stems)} vendors; {count} products asked.")
    return vendors, products


def _with_status_weights(catalogue_products, long_tail_products) -> Iterator[tuple[str, str, str, tuple]]:
    for name, vendor, category, shadow in catalogue_products:
        yield name, vendor, category, STATUS_WEIGHTS_SHADOW if shadow else STATUS_WEIGHTS_CATALOGUE
    for name, vendor, category in long_tail_products:
        yield name, vendor, category, STATUS_WEIGHTS_LONG_TAIL


def _weighted(rng: random.Random, weighted_choices) -> str:
    choices = [choice for choice, _weight in weighted_choices]
    weights = [weight for _choice, weight in weighted_choices]
    return str(rng.choices(choices, weights=weights)[0].value)


def _first_seen(rng: random.Random, status: str, profile: DemoProfile, today: date) -> date:
    """Shadow IT was found recently; sanctioned and retired apps have been around for years."""
    history_days = profile.years * 365
    if status in (ApplicationStatus.UNSANCTIONED, ApplicationStatus.UNDER_REVIEW):
        return today - timedelta(days=rng.randint(3, 365))
    if status == ApplicationStatus.RETIRED:
        return today - timedelta(days=rng.randint(2 * 365, history_days))
    return today - timedelta(days=rng.randint(60, history_days))


class _OwnerPools:
    """Active employees per root department, to pick plausible owners from."""

    def __init__(self, departments: Sequence[DemoDepartment], people: Sequence[DemoPerson]):
        root_of = {department.name: department.parent or department.name for department in departments}
        self.by_root: dict[str, list[str]] = {}
        self.everyone: list[str] = []
        for person in people:
            if person.status == PersonStatus.ACTIVE and person.employment_type == EmploymentType.EMPLOYEE:
                self.by_root.setdefault(root_of[person.department], []).append(person.email)
                self.everyone.append(person.email)

    def _pick(self, rng: random.Random, roots: Sequence[str]) -> str | None:
        candidates = [email for root in roots for email in self.by_root.get(root, [])] or self.everyone
        return rng.choice(candidates) if candidates else None

    def business_owner(self, rng: random.Random, category: str, status: str) -> str | None:
        # Half of the unsanctioned apps have nobody who admits to owning them.
        if status == ApplicationStatus.UNSANCTIONED and rng.random() < 0.5:
            return None
        return self._pick(rng, CATEGORY_OWNER_ROOTS[category])

    def it_owner(self, rng: random.Random, status: str) -> str | None:
        if status == ApplicationStatus.UNSANCTIONED:
            return None
        return self._pick(rng, ("IT",))


# --- Loading ----------------------------------------------------------------


@transaction.atomic
def demo_inventory_load(*, company: DemoCompany, with_history: bool = True) -> dict[str, int]:
    """Insert the rows of ``company`` that are missing; returns how many of each were created.

    With history, every seeded row gets a "Created by seed_demo" audit entry, so a
    detail page shows where the row came from. That costs about 3 s more for the
    50,000 enterprise people, which is worth a truthful audit trail.
    """
    created: dict[str, int] = {}
    category_pks, created["categories"] = _load_categories(company.categories, with_history)
    department_pks, created["departments"] = _load_departments(company.departments, with_history)
    vendor_pks, created["vendors"], created["vendor aliases"] = _load_vendors(company.vendors, with_history)
    person_pks, created["people"], created["person aliases"] = _load_people(
        company.people, department_pks, with_history
    )
    created["applications"] = _load_applications(
        company.applications, vendor_pks, category_pks, person_pks, with_history
    )
    return created


def _keys_to_pks(model: type[models.Model], field: str) -> dict[str, int]:
    return {str(key).lower(): pk for key, pk in model.objects.values_list(field, "pk")}


def _bulk_create(model: type[models.Model], objs: list, *, with_history: bool) -> list:
    if not objs:
        return []
    if with_history and hasattr(model, "history"):
        return bulk_create_with_history(
            objs, model, batch_size=BULK_BATCH_SIZE, default_change_reason=SEED_CHANGE_REASON
        )
    return model.objects.bulk_create(objs, batch_size=BULK_BATCH_SIZE)


def _batches_after_parents(items: Sequence, key, parent) -> Iterator[list]:
    """Batches in which nobody's parent is in the same batch, for items listed parents first."""
    batch: list = []
    keys_in_batch: set[str] = set()
    for item in items:
        if len(batch) >= BULK_BATCH_SIZE or parent(item) in keys_in_batch:
            yield batch
            batch, keys_in_batch = [], set()
        batch.append(item)
        keys_in_batch.add(key(item))
    if batch:
        yield batch


def _load_categories(categories: Sequence[DemoCategory], with_history: bool) -> tuple[dict[str, int], int]:
    pks = _keys_to_pks(Category, "name")
    new = [Category(name=c.name, description=c.description) for c in categories if c.name.lower() not in pks]
    for category in _bulk_create(Category, new, with_history=with_history):
        pks[category.name.lower()] = category.pk
    return pks, len(new)


def _load_departments(departments: Sequence[DemoDepartment], with_history: bool) -> tuple[dict[str, int], int]:
    pks = _keys_to_pks(Department, "name")
    missing = [department for department in departments if department.name.lower() not in pks]
    batches = _batches_after_parents(
        missing, key=lambda d: d.name.lower(), parent=lambda d: d.parent.lower() if d.parent else None
    )
    for batch in batches:
        objs = [
            Department(
                name=d.name,
                cost_centre=d.cost_centre,
                parent_id=pks.get(d.parent.lower()) if d.parent else None,
            )
            for d in batch
        ]
        for department in _bulk_create(Department, objs, with_history=with_history):
            pks[department.name.lower()] = department.pk
    return pks, len(missing)


def _load_vendors(vendors: Sequence[DemoVendor], with_history: bool) -> tuple[dict[str, int], int, int]:
    pks = _keys_to_pks(Vendor, "name")
    missing = [vendor for vendor in vendors if vendor.name.lower() not in pks]
    objs = [Vendor(name=vendor.name, website=vendor.website) for vendor in missing]
    for vendor in _bulk_create(Vendor, objs, with_history=with_history):
        pks[vendor.name.lower()] = vendor.pk
    taken_aliases = set(_keys_to_pks(VendorAlias, "alias"))
    aliases = []
    for vendor in missing:
        for alias in vendor.aliases:
            if alias.lower() not in taken_aliases:
                taken_aliases.add(alias.lower())
                aliases.append(VendorAlias(vendor_id=pks[vendor.name.lower()], alias=alias))
    _bulk_create(VendorAlias, aliases, with_history=with_history)
    return pks, len(missing), len(aliases)


def _load_people(
    people: Sequence[DemoPerson], department_pks: dict[str, int], with_history: bool
) -> tuple[dict[str, int], int, int]:
    pks = _keys_to_pks(Person, "email")
    # A real person may already hold one of the generated employee ids: the new person goes without.
    taken_ids = set(Person.objects.exclude(employee_id=None).values_list("employee_id", flat=True))
    missing = [person for person in people if person.email.lower() not in pks]
    batches = _batches_after_parents(
        missing,
        key=lambda p: p.email.lower(),
        parent=lambda p: p.manager_email.lower() if p.manager_email else None,
    )
    for batch in batches:
        objs = [_person_row(person, department_pks, pks, taken_ids) for person in batch]
        for person in _bulk_create(Person, objs, with_history=with_history):
            pks[person.email.lower()] = person.pk
    return pks, len(missing), _load_person_aliases(missing, pks)


def _person_row(person: DemoPerson, department_pks: dict[str, int], person_pks: dict[str, int], taken_ids) -> Person:
    return Person(
        employee_id=None if person.employee_id in taken_ids else person.employee_id,
        email=person.email,
        name=person.name,
        job_title=person.job_title,
        department_id=department_pks.get(person.department.lower()),
        manager_id=person_pks[person.manager_email.lower()] if person.manager_email else None,
        status=person.status,
        employment_type=person.employment_type,
        start_date=person.start_date,
        termination_date=person.termination_date,
    )


def _load_person_aliases(new_people: Sequence[DemoPerson], person_pks: dict[str, int]) -> int:
    taken = {(kind, value.lower()) for kind, value in PersonAlias.objects.values_list("kind", "value")}
    rows = []
    for person in new_people:
        for kind, value in person.aliases:
            if (kind, value.lower()) not in taken:
                taken.add((kind, value.lower()))
                rows.append(PersonAlias(person_id=person_pks[person.email.lower()], kind=kind, value=value))
    PersonAlias.objects.bulk_create(rows, batch_size=BULK_BATCH_SIZE)
    return len(rows)


def _load_applications(
    applications: Sequence[DemoApplication],
    vendor_pks: dict[str, int],
    category_pks: dict[str, int],
    person_pks: dict[str, int],
    with_history: bool,
) -> int:
    existing = _keys_to_pks(Application, "name")

    def person_pk(email: str | None) -> int | None:
        return person_pks.get(email.lower()) if email else None

    objs = [
        Application(
            name=app.name,
            vendor_id=vendor_pks.get(app.vendor.lower()),
            category_id=category_pks.get(app.category.lower()),
            business_owner_id=person_pk(app.business_owner_email),
            it_owner_id=person_pk(app.it_owner_email),
            status=app.status,
            discovery_source=app.discovery_source,
            first_seen=app.first_seen,
            website=app.website,
        )
        for app in applications
        if app.name.lower() not in existing
    ]
    _bulk_create(Application, objs, with_history=with_history)
    return len(objs)
