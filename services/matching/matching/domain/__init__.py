"""Matching's rules, no I/O: scoring (`scoring/`), the cohort-wide assignment (`assignment.py`,
`stable.py`), fairness figures (`fairness.py`), who takes part (`participants.py`) and the
assignment proposal's lifecycle (`proposal.py`)."""
