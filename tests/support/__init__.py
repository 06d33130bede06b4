"""Shared helpers of the test suite (import as ``support.<module>``)."""
