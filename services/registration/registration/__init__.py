"""Registration: programmes, cohorts and the participants who register for them."""
