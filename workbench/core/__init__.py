"""The workbench core: plain Python, numpy, torch and onnxruntime; never Qt."""
