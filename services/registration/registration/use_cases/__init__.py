"""Registration's use cases: each loads an aggregate, calls it, saves it and records its events,
in one transaction. Who may do what (ADR 0005) is checked here, before the rules are asked.

- `programmes`: programmes and their rules, cohorts opened and closed;
- `participants`: registering, changing answers, role grants, withdrawal (the waitlist moves);
- `erasure`: a withdrawn participant's answers erased later;
- `credentials`: coach credentials submitted and decided.
"""
