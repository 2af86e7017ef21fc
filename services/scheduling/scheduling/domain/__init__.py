"""Scheduling's rules, free of I/O: plain objects and functions, time passed in.

- `times`: local bookings become instants, series expand, times as each reader sees them;
- `plans`: each programme kind's session plan and its agenda items;
- `pairing`: the pairing as scheduling knows it (the partners, whether it has ended);
- `sessions`, `series`: the aggregates; each change is checked and returns its event;
- `records`: the rules of feedback, assessments and surveys;
- `outcomes`: what a participant is asked (`OutcomeAsk`), when its reminder falls (working days), met items;
- `days_off`: a participant's duty-station holidays, besides the weekend;
- `invitations`: the current invitation (.ics) of a session or a series;
- `timetable`: a cohort's timetable (a career week), its entries and their calendar (.ics);
- `world_clock`: a start as New York, Europe, Nairobi, Bangkok and the reader see it, with day marks.
"""
