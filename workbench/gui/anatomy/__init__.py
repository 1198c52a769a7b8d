"""The Anatomy view: layer shapes, parameters, receptive fields and filters."""
