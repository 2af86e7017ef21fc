"""The scoring model: which mentors may be suggested to a mentee, how well they fit, and why. No I/O.

`policy` (a programme's weights and hard rules; one pair explained in words), `working_hours` (the
overlap of two working weeks across time zones), `index` (the cohort's mentors as columns, scored for
many mentees at once) and `graph` (each mentee's best candidates, the input of the assignment).
"""
