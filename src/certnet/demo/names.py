"""Word lists for synthetic, Pakistani-sounding organisation and people names.

The stems are ordinary Urdu words and place-name endings put together (``Roshan`` + ``abad``);
the results are made up and belong to no real company. Keep it that way when adding words:
no real brand names, no real company names.
"""

from __future__ import annotations

import random
import re

#: First halves of made-up names: everyday Urdu words (light, river, star, mountain, ...).
STEMS_A = (
    "Roshan",
    "Sitara",
    "Chinar",
    "Falak",
    "Darya",
    "Kohsar",
    "Zaitoon",
    "Shafaq",
    "Naseem",
    "Mehtab",
    "Aftab",
    "Gulzar",
    "Saahil",
    "Chandni",
    "Sehar",
    "Kainat",
    "Parvaz",
    "Barq",
    "Daman",
    "Qamar",
    "Tarang",
    "Jugnu",
    "Baadal",
    "Sabza",
    "Noor",
    "Shaheen",
    "Anmol",
    "Pehchan",
    "Rawan",
    "Sunehri",
    "Hawa",
    "Nadi",
    "Pahar",
    "Basant",
    "Sawan",
    "Mausam",
    "Khushbu",
    "Zarrin",
    "Nilam",
    "Yaqoot",
)

#: Second halves: endings of place names (-abad, -pur, -kot, ...).
STEMS_B = ("abad", "pur", "kot", "garh", "nagar", "wala", "gah", "sar", "dera", "pura", "wal")

#: Name patterns per sector of the Pakistan profile; ``{stem}`` is a made-up place name.
SECTOR_PATTERNS: dict[str, tuple[str, ...]] = {
    "telecom": (
        "{stem} Net",
        "{stem} Broadband",
        "{stem} Telecom",
        "{stem} Fibre",
        "{stem} Data Centre",
        "{stem} Cable Network",
    ),
    "banking": (
        "{stem} Bank",
        "{stem} Microfinance Bank",
        "{stem} Islamic Bank",
        "{stem} Exchange Company",
        "{stem} Leasing",
        "{stem} Modaraba",
        "{stem} Insurance",
    ),
    "power": (
        "{stem} Power Company",
        "{stem} Electric Supply Company",
        "{stem} Hydro Power",
        "{stem} Solar Park",
        "{stem} Wind Farm",
        "{stem} Grid Station",
    ),
    "oil_gas": (
        "{stem} Petroleum",
        "{stem} Gas Distribution",
        "{stem} Refinery",
        "{stem} Pipelines",
        "{stem} LPG",
    ),
    "media": (
        "{stem} TV",
        "{stem} News Network",
        "{stem} FM",
        "{stem} Media Group",
        "{stem} Broadcasting",
    ),
    "revenue": (
        "Regional Tax Office {stem}",
        "{stem} Customs Collectorate",
        "{stem} Excise and Taxation Office",
        "Large Taxpayers Office {stem}",
    ),
    "defence": (
        "{stem} Ordnance Works",
        "{stem} Cantonment Board",
        "{stem} Aeronautical Works",
        "{stem} Signals Depot",
        "{stem} Defence Stores",
    ),
    "government": (
        "{stem} District Administration",
        "{stem} Municipal Corporation",
        "{stem} Development Authority",
        "{stem} Water and Sanitation Agency",
        "{stem} Tehsil Council",
        "{stem} Land Records Office",
    ),
    "health": (
        "{stem} Teaching Hospital",
        "{stem} General Hospital",
        "{stem} Medical Complex",
        "{stem} Diagnostic Centre",
        "{stem} Institute of Cardiology",
    ),
    "education": (
        "University of {stem}",
        "{stem} Institute of Technology",
        "{stem} College",
        "{stem} Public School System",
        "{stem} Medical College",
    ),
    "transport": (
        "{stem} Logistics",
        "{stem} Airways",
        "{stem} Port Services",
        "{stem} Metro Bus",
        "{stem} Freight Lines",
        "{stem} Dry Port",
    ),
}

#: Patterns for a sector a profile adds that this list does not know.
GENERIC_PATTERNS = ("{stem} Company", "{stem} Services", "{stem} Authority")

#: Patterns that make a telecom organisation an internet service provider (big address blocks).
ISP_PATTERNS = frozenset({"{stem} Net", "{stem} Broadband", "{stem} Fibre"})

#: Patterns for the first organisation of a sector, where the demo needs a particular kind.
FLAGSHIP_PATTERNS: dict[str, tuple[str, ...]] = {
    "telecom": ("{stem} Net", "{stem} Broadband"),
    "banking": ("{stem} Bank",),
}

FIRST_NAMES = (
    "Ayesha",
    "Bilal",
    "Farah",
    "Hamza",
    "Imran",
    "Zainab",
    "Usman",
    "Sana",
    "Ali",
    "Mariam",
    "Faisal",
    "Hina",
    "Kashif",
    "Nadia",
    "Omar",
    "Rabia",
    "Saad",
    "Tahira",
    "Waqas",
    "Yasmin",
    "Adeel",
    "Fatima",
    "Junaid",
    "Mehwish",
    "Zubair",
    "Sadia",
    "Naveed",
    "Iqra",
    "Shahid",
    "Amna",
)

LAST_NAMES = (
    "Qureshi",
    "Siddiqui",
    "Malik",
    "Chaudhry",
    "Baloch",
    "Khattak",
    "Memon",
    "Abbasi",
    "Bhatti",
    "Butt",
    "Shah",
    "Mirza",
    "Awan",
    "Rana",
    "Sheikh",
    "Jatoi",
    "Marri",
    "Yousafzai",
    "Lodhi",
    "Hashmi",
)


def stem(rng: random.Random) -> str:
    """A made-up place name such as ``Roshanabad``."""
    return rng.choice(STEMS_A) + rng.choice(STEMS_B)


def person(rng: random.Random) -> str:
    """A made-up person's name."""
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def slug(text: str) -> str:
    """A DNS label from a name: ``Roshanabad Bank`` → ``roshanabad-bank``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].rstrip("-")
