"""Word lists the demo generator draws from (invented names; any likeness is chance)."""

from __future__ import annotations

FIRST_NAMES = (
    "Amara", "Ben", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hiroshi", "Ines", "Jonas",
    "Kemi", "Liam", "Maya", "Nikolai", "Olivia", "Pablo", "Quinn", "Rosa", "Samir", "Tess",
    "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe", "Aditi", "Bruno", "Clara", "Dario",
    "Esther", "Felix", "Greta", "Hugo", "Ada", "Jae", "Kofi", "Lena", "Mateo", "Noor",
)  # fmt: skip

LAST_NAMES = (
    "Abara", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jansen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quint",
    "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zielinski",
    "Andersen", "Bianchi", "Chen", "Delgado", "Evans", "Ferreira", "Gupta", "Horvat",
)  # fmt: skip

USER_GROUPS = ("UNDERGRAD", "UNDERGRAD", "UNDERGRAD", "GRAD", "GRAD", "FACULTY", "STAFF")

# Titles are "<opening> <subject>": 30 x 30 possible works.
TITLE_OPENINGS = (
    "A History of", "The Science of", "Introduction to", "Notes on", "The Politics of",
    "Essays on", "A Field Guide to", "Understanding", "The Economics of", "Rethinking",
    "Foundations of", "The Art of", "Readings in", "A Short Course in", "The Ethics of",
    "Perspectives on", "The Archaeology of", "Mapping", "Teaching", "The Future of",
    "Modelling", "Inside", "Letters on", "Beyond", "The Making of", "Handbook of",
    "Principles of", "Debates in", "The Geography of", "Lectures on",
)  # fmt: skip

TITLE_SUBJECTS = (
    "Northern Rivers", "Coastal Cities", "Public Libraries", "Quantum Matter",
    "Medieval Trade", "Migration", "Urban Gardens", "Climate Policy", "Modern Poetry",
    "Machine Learning", "Ancient Rome", "Soil Ecology", "Printing Presses", "Jazz",
    "Island Languages", "Glaciers", "Textile Workers", "Bridges", "Childhood",
    "Museums", "Mountain Railways", "Protein Folding", "Democracy", "Silent Film",
    "Desert Plants", "Ocean Currents", "Maps and Atlases", "The Welfare State",
    "Number Theory", "Early Photography",
)  # fmt: skip

AUTHORS = (
    "Abena Mensah", "Bernard Holt", "Chen Lihua", "Dagny Solberg", "Emeka Obi",
    "Fiona Gallagher", "Gustavo Ramos", "Helga Brandt", "Isabel Quiroga", "Jakob Lind",
    "Keiko Sato", "Luca Marino", "Miriam Katz", "Nadia Rahman", "Oskar Nyberg",
    "Priya Raman", "Rafael Ortega", "Sigrid Aune", "Tomasz Nowak", "Valentina Greco",
)  # fmt: skip

LOCATIONS = ("STACKS", "STACKS", "STACKS", "REFERENCE", "OVERSIZE", "RESERVE")
