"""The Evaluate view: confusion matrix, per-digit metrics and the gallery of mistakes."""
