"""Helpers shared by the three assignments of "Generate names with recurrent neural networks".

Small modules named for what they do (the notebooks import them):

- :mod:`rnncourse.data`: datasets (shipped in ``rnncourse/datasets/``), vocabulary, train/validation
  split, padded minibatches and masks;
- :mod:`rnncourse.evaluate`: held-out NLL (nats per character), perplexity, novelty of samples,
  the bigram baseline, the results table shared by the notebooks;
- :mod:`rnncourse.plots`: loss curves, length histograms and progress bars;
- :mod:`rnncourse.gradcheck`: relative error and a gradient-check report;
- :mod:`rnncourse.checks`: assertions whose failures say what was called, what was expected and a hint, and
  the way tests call student code;
- :mod:`rnncourse.probes`: chi-square tests of random draws and sequences, a device probe and
  train/eval modes (torch);
- :mod:`rnncourse.integrity`: the checks' tamper alarm (has a function the tests rely on been replaced?);
- :mod:`rnncourse.keras_utils`: a quiet Keras progress callback and a parameter count (assignment 2);
- :mod:`rnncourse.selfstudy`: the self-study edition's checks load their reference code, kept out of sight.

:mod:`rnncourse.grading` is the instructor's tooling behind the Makefile; no notebook imports it.
Graded code lives in the notebooks. Nothing here is a reference solution to an exercise.
"""

__version__ = "0.1.0"
