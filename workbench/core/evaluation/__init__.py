"""Evaluation of a model on a labelled set: metrics, the evaluation, files from it."""
