"""Background work: runners that iterate core generators off the UI thread."""
