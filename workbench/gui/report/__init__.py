"""The report dialog and the report's Qt figures."""
