"""The homework report: its data model, figures and HTML."""
