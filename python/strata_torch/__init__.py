"""strata's PyTorch engine: the model built from a TensorFlow.js layers-model topology (graph.py),
trained by the runtime in __main__.py."""
