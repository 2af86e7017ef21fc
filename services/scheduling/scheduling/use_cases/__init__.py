"""Scheduling's use cases (service layer): each loads the aggregate, checks who may act (ADR 0005),
calls it, saves it and records its events, in one transaction (outbox).

- `sessions`: single sessions booked, moved, cancelled and completed;
- `series`: series booked, moved and cancelled as a whole;
- `endings`: a pairing that ends, or a partner who withdraws, cancels what lies ahead;
- `records`: feedback, notes, the agreement and assessment;
- `outcomes`: the surveys and the final assessment asked, reminded and answered;
- `timetable`: a cohort's timetable (a career week), published, changed and cancelled by its team.
"""
