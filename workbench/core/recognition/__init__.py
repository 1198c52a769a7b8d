"""Recognition: images in, digits out: loading, preprocessing, segmentation, prediction."""
