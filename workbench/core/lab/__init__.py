"""The Lab's hand computations: convolution, pooling, conv gradients, a scalar network (numpy)."""
