"""Training: the loop and its events, config, augmentation, runs, comparisons, the job process."""
