"""The Draw view: canvas and the live answer."""
