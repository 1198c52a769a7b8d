"""LeNet digit workbench: train, inspect, export and run digit classifiers."""

__version__ = "0.1.0"
