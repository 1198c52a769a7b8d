"""MNIST and other digit data: IDX files, the MNIST folder, generated non-MNIST digits."""
