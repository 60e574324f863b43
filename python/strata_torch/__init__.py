"""strata's PyTorch engine: the model built from a TensorFlow.js layers-model topology (graph.py,
its layers in layers/, one module per family), trained by the runtime in __main__.py."""
