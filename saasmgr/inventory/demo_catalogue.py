"""The demo company's catalogues: pure data, no logic.

Departments, job titles, name pools, the real SaaS vendors and products, the
long-tail name parts and the mixes of statuses and discovery sources that
``saasmgr.inventory.demo`` draws from. Changing anything here changes every
generated company, so the demo determinism tests pin it.
"""

from dataclasses import dataclass

from saasmgr.inventory.choices import ApplicationStatus, DiscoverySource


@dataclass(frozen=True)
class NamePool:
    """Given and family names of one naming culture, with its share of the people."""

    given: tuple[str, ...]
    family: tuple[str, ...]
    weight: int
    family_first: bool = False
    middle: tuple[str, ...] = ()


# (name, description)
CATEGORY_CATALOGUE: tuple[tuple[str, str], ...] = (
    ("Analytics", "BI, product analytics and data warehouses"),
    ("Collaboration", "Chat, video meetings, file sharing and whiteboards"),
    ("CRM", "Customer relationship management and sales tooling"),
    ("Customer Support", "Help desks, live chat and knowledge bases"),
    ("Design", "Design, prototyping and creative tools"),
    ("Engineering", "Source control, CI, monitoring and developer tools"),
    ("Finance", "Accounting, spend, expenses and planning"),
    ("HR", "HRIS, recruiting, performance and payroll"),
    ("Marketing", "Marketing automation, email, social and surveys"),
    ("Productivity", "Office suites, notes, tasks and project management"),
    ("Security", "Identity, passwords, endpoint and awareness training"),
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


# fmt: off
NAME_POOLS: tuple[NamePool, ...] = (
    NamePool(
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
    NamePool(
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
    NamePool(
        given=("Jürgen", "Lena", "Lukas", "Anna", "Felix", "Katrin", "Jonas", "Sabine", "Maximilian", "Jörg"),
        family=("Müller", "Schäfer", "Weiß", "Groß", "Schmidt", "Schneider", "Fischer", "Köhler", "Wagner", "Krüger"),
        weight=6,
    ),
    NamePool(
        given=("Hélène", "François", "Gaëlle", "Noël", "Camille", "Léa", "Théo", "Amélie", "Jérôme", "Océane"),
        family=("Lefèvre", "Dubois", "Moreau", "Laurent", "Girard", "Bézier", "Rousseau", "Mercier", "Fontaine"),
        weight=5,
    ),
    NamePool(
        given=("Åsa", "Björn", "Sigríður", "Ólafur", "Ingrid", "Søren", "Freja", "Mikael", "Guðrún", "Lars"),
        family=("Ångström", "Søndergaard", "Jónsdóttir", "Lindqvist", "Halvorsen", "Nyström", "Bjørnstad", "Þórsson"),
        weight=3,
    ),
    NamePool(
        given=("Siobhán", "Aoife", "Seán", "Niamh", "Pádraig", "Ciarán", "Saoirse", "Eoin", "Caoimhe", "Darragh"),
        family=("O'Connor", "O'Brien", "Murphy", "Kelly", "O'Sullivan", "Walsh", "McCarthy", "Ní Bhriain", "Byrne"),
        weight=4,
    ),
    NamePool(
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
    NamePool(
        given=("Wei", "Xiaoming", "Jing", "Hao", "Mei", "Yan", "Jun", "Lin", "Xin", "Yu", "Chen", "Hui"),
        family=("Zhang", "Wang", "Chen", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma"),
        weight=8,
    ),
    NamePool(
        given=("Minh", "Anh", "Hương", "Thảo", "Linh", "Tuấn", "Dũng", "Hà", "Lan", "Phương", "Quang", "Trang"),
        family=("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"),
        middle=("Thị", "Văn", "Đức", "Ngọc", "Thanh", "Hữu"),
        family_first=True,
        weight=3,
    ),
    NamePool(
        given=("Haruto", "Yui", "Sakura", "Ren", "Aoi", "Sota", "Hina", "Kenji", "Yuki", "Takumi"),
        family=("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi"),
        weight=3,
    ),
    NamePool(
        given=("Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun", "Do-yun", "Ji-woo", "Eun-ji", "Hyun-woo"),
        family=("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"),
        weight=3,
    ),
    NamePool(
        given=("Łukasz", "Zofia", "Wojciech", "Agnieszka", "Krzysztof", "Małgorzata", "Paweł", "Joanna"),
        family=("Wiśniewski", "Kowalczyk", "Wójcik", "Nowak", "Kamiński", "Lewandowska", "Zieliński", "Żuraw"),
        weight=3,
    ),
    NamePool(
        given=("Çağla", "Ömer", "Şebnem", "Emre", "Elif", "Burak", "Zeynep", "Mert"),
        family=("Yılmaz", "Öztürk", "Şahin", "Kaya", "Demir", "Çelik", "Aydın", "Arslan"),
        weight=2,
    ),
    NamePool(
        given=("Fatima", "Omar", "Layla", "Youssef", "Nour", "Karim", "Yasmin", "Tariq", "Rania", "Samir"),
        family=("Al-Sayed", "Haddad", "El-Amin", "Khoury", "Mansour", "Nasser", "Aziz", "Farouk", "Saleh"),
        weight=3,
    ),
    NamePool(
        given=("Chidi", "Amara", "Kwame", "Nomvula", "Oluwaseun", "Ama", "Tendai", "Zanele", "Kofi", "Ngozi"),
        family=("Okafor", "Mensah", "Adeyemi", "Dlamini", "Nwosu", "Boateng", "Mokoena", "Okonkwo", "Asante"),
        weight=4,
    ),
    NamePool(
        given=("João", "Conceição", "Thiago", "Beatriz", "Gonçalo", "Mariana", "Vinícius", "Letícia"),
        family=("Gonçalves", "Araújo", "Silva", "Ferreira", "Magalhães", "Carvalho", "Simões", "Conceição"),
        weight=3,
    ),
    NamePool(
        given=("Sanne", "Joost", "Femke", "Daan", "Lotte", "Bram", "Ilse", "Sven"),
        family=("van der Berg", "de Vries", "Bakker", "Janssen", "van Dijk", "Visser", "de Jong", "Smit"),
        weight=2,
    ),
    NamePool(
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
