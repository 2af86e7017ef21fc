"""Registration's rules, free of I/O: programmes and their rules, cohorts with their places and
waitlist, participants and their answers, coach credentials.

Aggregates (`Programme`, `Cohort` with its `Participant`s, `Credential`) check each change and
return the events it makes; the use cases load them, call them, save them and record the events.
"""
