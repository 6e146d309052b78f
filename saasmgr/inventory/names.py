"""How raw application and license names are normalised before they are compared.

"Salesforce.com, Inc." and "salesforce" compare equal; "Sales Cloud Enterprise" and
"sales-cloud  enterprise" too. The fuzzy matcher scores the normalised forms.
"""

import re
import unicodedata

# Words that say nothing about which product a name means.
_NOISE_WORDS = frozenset({"inc", "llc", "ltd", "gmbh", "corp", "corporation", "co", "the", "app", "software"})
_DOMAIN_SUFFIX = re.compile(r"\.(com|io|net|org|co|ai|app|dev)\b")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise_name(name: str) -> str:
    """``"Salesforce.com, Inc."`` -> ``"salesforce"``; ``"Zoom  Video"`` -> ``"zoom video"``."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    text = _DOMAIN_SUFFIX.sub(" ", text)
    words = [word for word in _NON_WORD.split(text) if word and word not in _NOISE_WORDS]
    return " ".join(words)
