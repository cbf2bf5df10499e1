"""Operating the platform across its domains: rotating the keys of the personal data, and the
start-up check that the keys read the data (`checks.py`)."""
