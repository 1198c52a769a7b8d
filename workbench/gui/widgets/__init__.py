"""Shared widgets: QImage/numpy conversion, notices, image export, the model menu."""
