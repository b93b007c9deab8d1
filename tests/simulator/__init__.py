"""Tests of the WAHA simulator against WAHA's contract."""
