"""The Load view: a photo, its digit boxes and the digits in reading order."""
