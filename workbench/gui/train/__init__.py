"""The Train view: run settings, live curves, the runs table and comparisons."""
