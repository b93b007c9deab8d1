"""Tests for the WAHA Presence integration."""
