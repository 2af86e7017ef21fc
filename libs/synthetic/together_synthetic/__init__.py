"""Synthetic cohorts of UN Secretariat-like participants, deterministic from a seed."""

from together_synthetic.cohort import (
    FAMILIES,
    FAMILY_NETWORK,
    QUESTIONNAIRE_KEYS,
    CohortColumns,
    Participant,
    SyntheticCohort,
    generate_coaching_cohort,
    generate_cohort,
)

__all__ = [
    "FAMILIES",
    "FAMILY_NETWORK",
    "QUESTIONNAIRE_KEYS",
    "CohortColumns",
    "Participant",
    "SyntheticCohort",
    "generate_coaching_cohort",
    "generate_cohort",
]
