"""The Qt window of the workbench: the only package that imports PySide6."""
