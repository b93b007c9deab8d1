"""Browser end-to-end tests: a person sets up WAHA Presence in the real UI."""
