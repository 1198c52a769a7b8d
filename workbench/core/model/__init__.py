"""The network: its spec and anatomy, the torch module, checkpoints, ONNX export, model files."""
