"""Helpers shared by the three assignments of "Generate names with recurrent neural networks".

Small modules named for what they do:

- :mod:`rnncourse.data`: datasets, vocabulary, train/validation split, padded minibatches and masks;
- :mod:`rnncourse.evaluate`: held-out NLL (nats per character), perplexity, novelty of samples;
- :mod:`rnncourse.plots`: loss curves, length histograms and progress bars;
- :mod:`rnncourse.gradcheck`: relative error and a gradient-check report;
- :mod:`rnncourse.checks`: assertions whose failures say what was called, what was expected and a hint.

Graded code lives in the notebooks. Nothing here is a reference solution to an exercise.
"""

__version__ = "0.1.0"
