"""The fault-injection suite: a synthetic workload through the five services while their
infrastructure fails, then checks of what must hold whatever failed.

    .venv/bin/python -m tests.chaos [--short]        (make chaos, make chaos SHORT=1)

It runs on a stack of its own (`.run/chaos/`: Kafka on 29092, PostgreSQL on 25432, two
instances of each service on 8101-8105 and 8201-8205, the mail sink on 8125), never on the
one `make demo` or the tests use, and stops everything it started, even on failure. Modules:
`stack.py` (that stack), `workload.py` (the participants' story over HTTP), `faults.py` (what
is broken and how long recovery takes), `poison.py` (records no consumer may stall on),
`history.py` (the topics as they are), `checks.py`, `consumers.py` and `mails.py` (the
verdicts), `run.py` (the order and the printed tables).
"""
