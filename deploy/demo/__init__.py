"""The demo: a mentoring programme across the five services, told as a story.

    python -m deploy.demo            (make demo runs it after starting the stack)

A programme team creates a programme (its default rules printed) and a cohort; a synthetic
cohort registers (acceptances, refusals by rule, one refusal with all its reasons); matching
suggests mentors with reasons and says why not another; a mentee ranks mentors, the request
reaches a mentor, the 48-hour reminder falls due, the mentor accepts, a session is booked in
New York time, seen in Nairobi and Bangkok time, completed by the worker and rated; a mentor
who leaves moves a waiting request to the mentee's next choice; the team proposes and accepts
a cohort-wide assignment; the mails arrive in each reader's language. Every event of this run
on Kafka is printed as it arrives (bulk phases as counts).
The services must run with TOGETHER_CLOCK_MODE=travel: the demo moves the pairing and
scheduling services' clocks forward, as real days would. Each run uses fresh names, and reads
each service's own clock, so it can run again on the same stack.

`__main__` tells the story as a sequence of steps (`steps/`, one function each); `calls` holds
the shared HTTP helpers, `tail` prints the run's events from Kafka, `cast` its people.
"""
