"""Building blocks shared by every Together service. See libs/servicekit/README.md."""
