"""The feature-map dock: every layer's activations, tiles and the detail dialog."""
