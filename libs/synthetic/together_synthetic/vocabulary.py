"""What synthetic participants are made of: the UN Secretariat's grades, job networks, entities,
duty stations, languages and the shared skill/goal vocabulary, each with its weight.

The weights approximate the Secretariat's published staff composition (grades by category,
staff by duty station, job networks); they aim at realistic shapes, not official figures.
Order matters: every tuple here is indexed by the columnar form, so append, never reorder.
"""

from __future__ import annotations

from dataclasses import dataclass

from together_contracts.duty_stations import find_duty_station
from together_contracts.registration import GRADES, AppointmentType

# --- Grades -------------------------------------------------------------------------------
# Relative weights by grade (GRADES order), per group of people. The staff population: about
# 45% general service, 7% national officers, 11% field service, 33% professional, 2% directors.
_POPULATION = {
    "G-1": 0.2, "G-2": 1.2, "G-3": 5.0, "G-4": 11.5, "G-5": 12.5, "G-6": 9.5, "G-7": 4.6,
    "NO-A": 1.3, "NO-B": 3.2, "NO-C": 2.3, "NO-D": 0.6,
    "FS-1": 0.05, "FS-2": 0.2, "FS-3": 1.0, "FS-4": 3.6, "FS-5": 3.6, "FS-6": 2.2, "FS-7": 0.8,
    "P-1": 0.1, "P-2": 4.5, "P-3": 11.8, "P-4": 10.3, "P-5": 5.9,
    "D-1": 1.5, "D-2": 0.55, "ASG": 0.2, "USG": 0.2,
}  # fmt: skip
# Those who ask for a mentor or a coach: mostly general service and junior professionals.
_TAKERS = {
    "G-1": 0.1, "G-2": 0.6, "G-3": 4.0, "G-4": 11.0, "G-5": 13.0, "G-6": 11.0, "G-7": 5.0,
    "NO-A": 1.5, "NO-B": 3.5, "NO-C": 2.5, "NO-D": 0.5,
    "FS-1": 0.05, "FS-2": 0.2, "FS-3": 1.2, "FS-4": 3.8, "FS-5": 3.2, "FS-6": 1.6, "FS-7": 0.4,
    "P-1": 0.2, "P-2": 7.0, "P-3": 15.0, "P-4": 9.0, "P-5": 3.0,
    "D-1": 0.3, "D-2": 0.05, "ASG": 0.0, "USG": 0.0,
}  # fmt: skip
# Those who offer to mentor or coach: mostly senior professionals and directors, some senior G and FS.
_GIVERS = {
    "G-1": 0.0, "G-2": 0.0, "G-3": 0.2, "G-4": 1.0, "G-5": 2.5, "G-6": 4.5, "G-7": 5.0,
    "NO-A": 0.1, "NO-B": 0.6, "NO-C": 1.5, "NO-D": 1.2,
    "FS-1": 0.0, "FS-2": 0.0, "FS-3": 0.1, "FS-4": 0.8, "FS-5": 1.8, "FS-6": 2.5, "FS-7": 1.5,
    "P-1": 0.0, "P-2": 0.8, "P-3": 8.0, "P-4": 22.0, "P-5": 25.0,
    "D-1": 12.0, "D-2": 6.0, "ASG": 1.2, "USG": 0.8,
}  # fmt: skip
GRADE_WEIGHTS = {
    "population": tuple(_POPULATION[g] for g in GRADES),
    "takers": tuple(_TAKERS[g] for g in GRADES),
    "givers": tuple(_GIVERS[g] for g in GRADES),
}

# Mean years of service by grade (the Secretariat's average is about 9 years).
MEAN_YEARS = {
    "G-1": 3, "G-2": 5, "G-3": 7, "G-4": 10, "G-5": 12, "G-6": 15, "G-7": 19,
    "NO-A": 3, "NO-B": 6, "NO-C": 9, "NO-D": 12,
    "FS-1": 2, "FS-2": 3, "FS-3": 5, "FS-4": 8, "FS-5": 11, "FS-6": 14, "FS-7": 17,
    "P-1": 1, "P-2": 3, "P-3": 7, "P-4": 12, "P-5": 16,
    "D-1": 19, "D-2": 21, "ASG": 14, "USG": 12,
}  # fmt: skip

# Staff categories, for where people serve and how many are women.
CATEGORIES: tuple[str, ...] = ("G", "NO", "FS", "P", "D")  # ASG and USG count with D


def grade_category(grade: str) -> int:
    head = grade.split("-")[0]
    return CATEGORIES.index(head if head in CATEGORIES else "D")


# Share of women by category (G, NO, FS, P, D); a few people state another gender or none.
WOMEN_SHARE = (0.55, 0.38, 0.27, 0.47, 0.44)
GENDERS: tuple[str | None, ...] = ("female", "male", "non-binary", None)
OTHER_GENDER_SHARE, GENDER_NOT_STATED_SHARE = 0.01, 0.03

# --- Appointment types ---------------------------------------------------------------------
# Mostly staff on fixed-term, continuing or permanent appointments; a few temporary staff,
# consultants, contractors, interns and volunteers, whom most programmes refuse.
APPOINTMENT_TYPES: tuple[str, ...] = tuple(t.value for t in AppointmentType)
APPOINTMENT_WEIGHTS = {
    "fixed_term": 58.0, "continuing": 22.0, "permanent": 12.0, "temporary": 3.5,
    "consultant": 1.5, "contractor": 0.5, "intern": 1.5, "unv": 1.0,
}  # fmt: skip

# --- Job networks and families -------------------------------------------------------------
JOB_NETWORKS: tuple[str, ...] = ("MAGNET", "POLNET", "DEVNET", "INFONET", "ITECNET", "LOGNET", "SAFETYNET", "LEGALNET", "SCINET")
JOB_NETWORK_NAMES = {
    "MAGNET": "Management and Administration",
    "POLNET": "Political, Peace and Humanitarian",
    "DEVNET": "Economic, Social and Development",
    "INFONET": "Public Information and Conference Management",
    "ITECNET": "Information and Telecommunication Technology",
    "LOGNET": "Logistics, Transportation and Supply Chain",
    "SAFETYNET": "Internal Security and Safety",
    "LEGALNET": "Legal",
    "SCINET": "Science",
}
JOB_FAMILIES: dict[str, tuple[str, ...]] = {
    "MAGNET": ("Administration", "Finance", "Human Resources", "Procurement", "Management and Programme Analysis", "Audit"),
    "POLNET": ("Political Affairs", "Civil Affairs", "Humanitarian Affairs", "Human Rights", "Electoral Affairs"),
    "DEVNET": ("Economic Affairs", "Social Affairs", "Sustainable Development", "Statistics", "Programme Management"),
    "INFONET": ("Public Information", "Translation", "Interpretation", "Editorial", "Meetings and Documents"),
    "ITECNET": ("Information Systems and Technology", "Telecommunications", "Information Management"),
    "LOGNET": ("Logistics", "Supply Chain", "Transportation", "Engineering", "Facilities Management"),
    "SAFETYNET": ("Security", "Fire Safety"),
    "LEGALNET": ("Legal Affairs", "Judicial Affairs"),
    "SCINET": ("Environmental Affairs", "Drug Control and Crime Prevention", "Natural Sciences"),
}
# Share of each network in the whole staff, by category (G, NO, FS, P, D), JOB_NETWORKS order.
NETWORK_WEIGHTS_BY_CATEGORY = (
    (48, 6, 6, 14, 7, 10, 8, 2, 1),  # general service
    (20, 25, 30, 6, 6, 6, 4, 2, 1),  # national officers
    (30, 6, 1, 3, 15, 33, 12, 1, 0),  # field service
    (22, 25, 20, 10, 6, 6, 2, 6, 3),  # professional
    (25, 40, 18, 4, 3, 3, 1, 4, 2),  # directors and above
)
# Within its home network, an entity's staff are this many times as common.
HOME_NETWORK_BOOST = 3.0

# --- Languages -------------------------------------------------------------------------------
LANGUAGES: tuple[str, ...] = ("English", "French", "Spanish", "Arabic", "Russian", "Chinese", "Portuguese", "Swahili")
# How often someone speaks each language besides English and the duty station's own.
SECOND_LANGUAGE_SHARE = (0.0, 0.15, 0.12, 0.04, 0.04, 0.03, 0.03, 0.0)
PREFERRED_LANGUAGES: tuple[str, ...] = ("en", "fr", "es")


# --- Entities and duty stations ------------------------------------------------------------
@dataclass(frozen=True)
class DutyStation:
    """Who works at a station of the maintained list (`together_contracts.duty_stations`), which gives its zone."""

    name: str
    staff: int  # relative weight: roughly the Secretariat's staff there
    kind: str  # headquarters | office | regional | service_centre | mission | field
    english: float  # share who speak English
    local_language: str | None  # another language many speak there
    local_share: float
    entities: tuple[tuple[str, float], ...]  # who employs the staff there, with weights

    @property
    def time_zone(self) -> str:
        """Its IANA zone, from the maintained list (every station here is on it)."""
        listed = find_duty_station(self.name)
        assert listed is not None, f"{self.name} is not a listed duty station"
        return listed.time_zone


DUTY_STATIONS: tuple[DutyStation, ...] = (
    DutyStation("New York", 6300, "headquarters", 0.98, None, 0.0, (
        ("DESA", 9), ("DPPA", 6), ("DPO", 6), ("DOS", 8), ("DMSPC", 9), ("DGACM", 10), ("OICT", 5), ("DGC", 5),
        ("OLA", 3), ("OCHA", 4), ("EOSG", 2), ("OIOS", 2), ("UNODA", 1), ("DCO", 2), ("UNDP", 6))),
    DutyStation("Geneva", 4000, "headquarters", 0.92, "French", 0.75, (
        ("UNOG", 8), ("OHCHR", 8), ("UNCTAD", 6), ("ECE", 4), ("OCHA", 3), ("ITC", 3), ("UNDRR", 1), ("UNODA", 1))),
    DutyStation("Vienna", 1300, "headquarters", 0.97, None, 0.0, (("UNODC", 6), ("UNOV", 4), ("UNOOSA", 1))),
    DutyStation("Nairobi", 1700, "headquarters", 0.97, "Swahili", 0.45, (
        ("UNEP", 6), ("UN-Habitat", 4), ("UNON", 5), ("UNSOS", 2), ("OCHA", 1))),
    DutyStation("Bangkok", 700, "regional", 0.97, None, 0.0, (("ESCAP", 8), ("OCHA", 1), ("UNODC", 1), ("DCO", 1))),
    DutyStation("Addis Ababa", 1100, "regional", 0.95, "French", 0.25, (("ECA", 8), ("UNOAU", 2), ("OCHA", 1))),
    DutyStation("Santiago", 500, "regional", 0.72, "Spanish", 0.97, (("ECLAC", 9), ("DCO", 1))),
    DutyStation("Beirut", 600, "regional", 0.92, "Arabic", 0.75, (("ESCWA", 6), ("UNSCOL", 1))),
    DutyStation("Mexico City", 90, "regional", 0.65, "Spanish", 0.97, (("ECLAC", 5), ("DCO", 1))),
    DutyStation("Port of Spain", 40, "regional", 0.99, "Spanish", 0.1, (("ECLAC", 1),)),
    DutyStation("The Hague", 250, "office", 0.98, "French", 0.3, (("IRMCT", 1),)),
    DutyStation("Arusha", 150, "office", 0.97, "Swahili", 0.3, (("IRMCT", 1),)),
    DutyStation("Kingston", 40, "office", 0.99, None, 0.0, (("ISA", 1),)),
    DutyStation("Entebbe", 400, "service_centre", 0.97, "Swahili", 0.15, (("RSCE", 1),)),
    DutyStation("Brindisi", 450, "service_centre", 0.95, None, 0.0, (("UNGSC", 1),)),
    DutyStation("Valencia", 200, "service_centre", 0.93, "Spanish", 0.4, (("UNGSC", 1),)),
    DutyStation("Juba", 2300, "mission", 0.94, "Arabic", 0.25, (("UNMISS", 1),)),
    DutyStation("Kinshasa", 1200, "mission", 0.55, "French", 0.95, (("MONUSCO", 1),)),
    DutyStation("Goma", 800, "mission", 0.55, "French", 0.95, (("MONUSCO", 1),)),
    DutyStation("Bangui", 1400, "mission", 0.55, "French", 0.95, (("MINUSCA", 1),)),
    DutyStation("Naqoura", 800, "mission", 0.9, "Arabic", 0.45, (("UNIFIL", 1),)),
    DutyStation("Kabul", 1000, "mission", 0.93, None, 0.0, (("UNAMA", 1),)),
    DutyStation("Baghdad", 650, "mission", 0.88, "Arabic", 0.75, (("UNAMI", 1),)),
    DutyStation("Mogadishu", 700, "mission", 0.95, None, 0.0, (("UNSOS", 5), ("UNSOM", 3))),
    DutyStation("Port-au-Prince", 250, "mission", 0.5, "French", 0.95, (
        ("BINUH", 6), ("OCHA", 1), ("UNDP", 2))),
    DutyStation("Pristina", 300, "mission", 0.95, None, 0.0, (("UNMIK", 1),)),
    DutyStation("Nicosia", 150, "mission", 0.97, None, 0.0, (("UNFICYP", 1),)),
    DutyStation("Jerusalem", 300, "mission", 0.95, "Arabic", 0.4, (("UNTSO", 3), ("UNSCO", 2), ("OCHA", 1))),
    DutyStation("Bamako", 500, "field", 0.5, "French", 0.97, (("OCHA", 3), ("DCO", 2), ("UNDP", 3))),
    DutyStation("Dakar", 200, "field", 0.6, "French", 0.95, (("UNOWAS", 3), ("OCHA", 2), ("UNODC", 1))),
    DutyStation("Amman", 150, "field", 0.9, "Arabic", 0.7, (("OCHA", 3), ("DCO", 1))),
    DutyStation("Panama City", 60, "field", 0.8, "Spanish", 0.9, (("OCHA", 2), ("DCO", 1))),
    DutyStation("Apia", 40, "field", 0.97, None, 0.0, (("DCO", 3), ("UNDP", 3))),
    DutyStation("Suva", 80, "field", 0.98, None, 0.0, (("ESCAP", 3), ("OHCHR", 1), ("DCO", 1))),
)  # fmt: skip

# Share of each category (G, NO, FS, P, D) among the staff of each kind of duty station:
# national officers serve outside headquarters, field service staff in missions and service centres.
CATEGORY_SHARE_BY_KIND = {
    "headquarters": (0.56, 0.0, 0.0, 0.41, 0.03),
    "office": (0.50, 0.0, 0.0, 0.45, 0.05),
    "regional": (0.58, 0.0, 0.0, 0.39, 0.03),
    "service_centre": (0.40, 0.05, 0.42, 0.12, 0.01),
    "mission": (0.42, 0.10, 0.23, 0.24, 0.01),
    "field": (0.38, 0.20, 0.0, 0.38, 0.04),
}

# Every entity, in first-seen order, and the job network its staff most often belong to.
ENTITIES: tuple[str, ...] = tuple(dict.fromkeys(name for station in DUTY_STATIONS for name, _ in station.entities))
ENTITY_HOME_NETWORK = {
    "DESA": "DEVNET", "DPPA": "POLNET", "DPO": "POLNET", "DOS": "LOGNET", "DMSPC": "MAGNET", "DGACM": "INFONET",
    "OICT": "ITECNET", "DGC": "INFONET", "OLA": "LEGALNET", "OCHA": "POLNET", "EOSG": "POLNET", "OIOS": "MAGNET",
    "UNODA": "POLNET", "DCO": "DEVNET", "UNDP": "DEVNET", "UNOG": "INFONET", "OHCHR": "POLNET", "UNCTAD": "DEVNET",
    "ECE": "DEVNET", "ITC": "DEVNET", "UNDRR": "DEVNET", "UNODC": "SCINET", "UNOV": "MAGNET", "UNOOSA": "SCINET",
    "UNEP": "SCINET", "UN-Habitat": "DEVNET", "UNON": "MAGNET", "UNSOS": "LOGNET", "ESCAP": "DEVNET", "ECA": "DEVNET",
    "UNOAU": "POLNET", "ECLAC": "DEVNET", "ESCWA": "DEVNET", "UNSCOL": "POLNET", "IRMCT": "LEGALNET", "ISA": "SCINET",
    "RSCE": "MAGNET", "UNGSC": "ITECNET", "UNMISS": "POLNET", "MONUSCO": "POLNET", "MINUSCA": "POLNET",
    "UNIFIL": "LOGNET", "UNAMA": "POLNET", "UNAMI": "POLNET", "UNSOM": "POLNET", "BINUH": "POLNET", "UNMIK": "POLNET",
    "UNFICYP": "POLNET", "UNTSO": "POLNET", "UNSCO": "POLNET", "UNOWAS": "POLNET",
}  # fmt: skip


# --- Skills and goals: one vocabulary, so a mentee's goal can be a mentor's skill -------------
@dataclass(frozen=True)
class Topic:
    name: str
    as_goal: float  # how often people want to work on it
    as_skill: float  # how often people offer it
    networks: tuple[str, ...] = ()  # job networks whose staff offer it more often


# Popular goals (moving up, managing others, interviews) are offered as skills by fewer people:
# the contention a matching engine meets in real cohorts, and the reason some mentors are in demand.
TOPICS: tuple[Topic, ...] = (
    Topic("Moving up or laterally", 14, 2),
    Topic("Managing others", 12, 3),
    Topic("Team leadership", 10, 4),
    Topic("Competency-based interviews", 10, 3),
    Topic("Navigating the UN culture", 9, 6),
    Topic("Managing up", 6, 2),
    Topic("Experience across duty stations", 6, 4),
    Topic("Public speaking", 5, 3, ("INFONET",)),
    Topic("Negotiation", 5, 4, ("POLNET", "LEGALNET")),
    Topic("Project management", 5, 8, ("DEVNET", "ITECNET", "LOGNET", "MAGNET")),
    Topic("Work-life balance", 5, 2),
    Topic("Dealing with challenging work environments", 5, 3, ("SAFETYNET",)),
    Topic("Experience across job networks", 4, 3),
    Topic("Experience across types of UN entities", 3, 3),
    Topic("Improving performance reviews", 3, 2),
    Topic("Learning new skills", 3, 2),
    Topic("Strategic planning", 3, 4),
    Topic("Data analysis", 3, 5, ("DEVNET", "SCINET", "ITECNET")),
    Topic("Presentation skills", 3, 4, ("INFONET",)),
    Topic("Digital skills", 3, 3, ("ITECNET",)),
    Topic("Conflict resolution", 3, 3, ("POLNET", "SAFETYNET")),
    Topic("Drafting", 2, 9, ("POLNET", "LEGALNET", "INFONET", "DEVNET")),
    Topic("Change management", 2, 3, ("MAGNET",)),
    Topic("Coaching others", 2, 3),
    Topic("Emotional intelligence", 2, 3),
    Topic("Time management", 2, 3),
    Topic("Resilience", 2, 2, ("SAFETYNET",)),
    Topic("Job satisfaction", 2, 1),
    Topic("Settling into a new duty station", 2, 2),
    Topic("Stakeholder engagement", 2, 6, ("POLNET", "DEVNET")),
    Topic("Policy analysis", 2, 5, ("DEVNET", "POLNET")),
    Topic("Report writing", 2, 6),
    Topic("Budgeting", 1.5, 5, ("MAGNET",)),
    Topic("Results-based management", 1.5, 4, ("MAGNET", "DEVNET")),
    Topic("Intercultural communication", 1.5, 4),
    Topic("Monitoring and evaluation", 1.5, 4, ("DEVNET",)),
    Topic("Partnerships and fundraising", 1.5, 2, ("DEVNET",)),
    Topic("Crisis management", 1.5, 3, ("SAFETYNET", "POLNET")),
    Topic("Mediation", 1.5, 2, ("POLNET", "LEGALNET")),
    Topic("Financial management", 1.5, 3, ("MAGNET",)),
    Topic("Human resources management", 1.5, 3, ("MAGNET",)),
    Topic("Data visualisation", 1.5, 2, ("ITECNET", "SCINET")),
    Topic("Disability-inclusive workplace", 1, 1),
    Topic("Gender mainstreaming", 1, 2, ("DEVNET", "POLNET")),
    Topic("Humanitarian coordination", 1, 3, ("POLNET",)),
    Topic("Procurement", 1, 3, ("MAGNET", "LOGNET")),
    Topic("Legal drafting", 1, 2, ("LEGALNET",)),
    Topic("Software development", 1, 2, ("ITECNET",)),
    Topic("Information security", 1, 2, ("ITECNET", "SAFETYNET")),
    Topic("Supply chain management", 1, 3, ("LOGNET",)),
    Topic("Security risk management", 1, 2, ("SAFETYNET",)),
    Topic("Environmental policy", 1, 2, ("SCINET",)),
    Topic("Translation and editing", 1, 2, ("INFONET",)),
)
# A skill is this many times as likely among staff of a network it belongs to.
NETWORK_SKILL_BOOST = 5.0

FAVOURITE_ACTIVITIES: tuple[tuple[str, float], ...] = (
    ("Career conversations", 9),
    ("Informal coffee chats", 8),
    ("CV and cover letter review", 7),
    ("Mock interviews", 6),
    ("Networking introductions", 6),
    ("Goal-setting exercises", 5),
    ("Job shadowing", 4),
    ("Case discussions", 4),
    ("Reading and sharing articles", 3),
    ("Feedback on presentations", 3),
    ("Walk-and-talk meetings", 2),
    ("Role play", 2),
)

# The coaching programme's areas of expertise.
EXPERTISE_AREAS: tuple[tuple[str, float], ...] = (
    ("Career coaching", 9),
    ("Leadership coaching", 8),
    ("Skills coaching", 5),
    ("Team/relationship coaching", 4),
    ("Conflict coaching", 3),
    ("Pre-retirement coaching", 2),
)

# --- Names ----------------------------------------------------------------------------------
WOMEN_NAMES: tuple[str, ...] = (
    "Amina", "Fatima", "Maria", "Sofia", "Aisha", "Mei", "Priya", "Olga", "Ana", "Leila", "Grace", "Chloé",
    "Nadia", "Yuki", "Carmen", "Ngozi", "Elena", "Hana", "Lucía", "Zainab", "Ingrid", "Wanjiru", "Isabel",
    "Mariam", "Anjali", "Camille", "Thandiwe", "Svetlana", "Rosa", "Noura", "Linh", "Ama", "Marta", "Farah",
)  # fmt: skip
MEN_NAMES: tuple[str, ...] = (
    "Jean", "Ravi", "Ahmed", "Carlos", "Wei", "Ivan", "Kwame", "Luis", "Omar", "Hiroshi", "Pedro", "Tariq",
    "Samuel", "Andrés", "Mohamed", "Pierre", "Dmitri", "Juan", "Chinedu", "Arjun", "Lars", "Kofi", "Rafael",
    "Youssef", "Thomas", "Minh", "Diego", "Ali", "Joseph", "Mateo", "Emeka", "Karim", "Nikolai", "Daniel",
)  # fmt: skip
FIRST_NAMES: tuple[str, ...] = WOMEN_NAMES + MEN_NAMES
LAST_NAMES: tuple[str, ...] = (
    "Njoroge", "Dupont", "Sharma", "García", "Chen", "Ivanova", "Mensah", "Haddad", "Silva", "Tanaka", "Okafor",
    "Martínez", "Nguyen", "Petrov", "Diallo", "Rossi", "Kim", "Hassan", "Kowalski", "Mwangi", "Fernández",
    "Abdullah", "Müller", "Santos", "Ali", "Osei", "Novak", "Rahman", "López", "Dubois", "Wang", "Kariuki",
    "Traoré", "Smith", "Johansson", "Gonzalez", "Yilmaz", "Banda", "Moreau", "Singh", "Akhtar", "Ortiz",
    "Mahmoud", "Popescu", "Eze", "Costa", "Park", "Bianchi", "Kamau", "Jensen", "Sato", "Cissé", "Romero",
    "Ahmadi", "Boateng", "Lindqvist", "Zhang", "Herrera", "Nasser", "Olsen",
)  # fmt: skip

LINKEDIN_SHARE = 0.35
BIO_SHARE = 0.9
