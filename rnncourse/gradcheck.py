"""Gradient checking: relative error and a readable report.

The centred differences themselves are an exercise of the NumPy assignment
(``numerical_gradient``), so they are not here.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-12) -> float:
    """``||a - n|| / max(||a|| + ||n||, floor)``: about 1e-7 or less when a backward pass is right."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"shapes differ: analytic {analytic.shape}, numeric {numeric.shape}")
    return float(np.linalg.norm(analytic - numeric) / max(np.linalg.norm(analytic) + np.linalg.norm(numeric), floor))


def gradient_report(analytic: Mapping[str, np.ndarray], numeric: Mapping[str, np.ndarray],
                    threshold: float = 1e-6) -> dict[str, float]:
    """Print one line per gradient with its relative error and a verdict; return the errors."""
    errors = {}
    for name in analytic:
        err = relative_error(analytic[name], numeric[name])
        errors[name] = err
        verdict = "ok" if err < threshold else "CHECK YOUR BACKWARD PASS"
        print(f"{name:>6}: relative error {err:.2e}  {verdict}")
    return errors
