"""The Lab tab: convolution, pooling, conv gradients and a scalar network, step by step."""
