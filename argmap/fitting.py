"""Beta distributions from the ways people state beliefs: moments, pseudo-counts, ranges, quantiles.

Pure functions on floats; scipy is imported inside the functions that need it. Raises ``ValueError``
with a reason a user can act on; callers add the file and key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def beta_from_mean_n(mean: float, n: float) -> tuple[float, float]:
    """The Beta with this mean and pseudo-count a + b = n."""
    if not 0 < mean < 1:
        raise ValueError(f"mean {mean} must lie strictly between 0 and 1")
    if not n > 0 or not math.isfinite(n):
        raise ValueError(f"n {n} must be a positive number (the pseudo-count a + b)")
    return mean * n, (1 - mean) * n


def beta_from_mean_sd(mean: float, sd: float) -> tuple[float, float]:
    """The Beta with this mean and standard deviation (method of moments)."""
    if not 0 < mean < 1:
        raise ValueError(f"mean {mean} must lie strictly between 0 and 1")
    limit = math.sqrt(mean * (1 - mean))
    if not 0 < sd < limit:
        raise ValueError(f"sd {sd} is impossible for mean {mean}: a Beta with that mean has "
                         f"0 < sd < {limit:.4g}; use a smaller sd")
    n = mean * (1 - mean) / sd**2 - 1
    return mean * n, (1 - mean) * n


def beta_from_range(lo: float, hi: float) -> tuple[float, float]:
    """The Beta with the mean and variance of a uniform distribution on [lo, hi]."""
    if not 0 <= lo < hi <= 1:
        raise ValueError(f"range [{lo}, {hi}] must satisfy 0 <= lo < hi <= 1")
    return beta_from_mean_sd((lo + hi) / 2, (hi - lo) / math.sqrt(12))


def fit_beta_quantiles(probs: Sequence[float], values: Sequence[float]) -> tuple[float, float]:
    """The Beta whose quantiles at ``probs`` are (closest to) ``values``, by least squares.

    With two quantiles the fit is exact (two equations, two unknowns); it is solved in log(a), log(b)
    so both stay positive.
    """
    import numpy as np
    from scipy import optimize, stats

    p = np.asarray(probs, float)
    x = np.asarray(values, float)
    if np.any(x <= 0) or np.any(x >= 1):
        raise ValueError(f"quantiles {list(values)} must lie strictly between 0 and 1")
    if np.any(np.diff(x) < 0) or x[-1] <= x[0]:
        raise ValueError(f"quantiles {list(values)} must increase (lo < hi)")
    # start from the Beta with the median as mean and a spread read from the outer quantiles
    m = float(np.interp(0.5, p, x))
    spread = (x[-1] - x[0]) / max(stats.norm.ppf(p[-1]) - stats.norm.ppf(p[0]), 1e-6)
    sd = min(spread, 0.9 * math.sqrt(m * (1 - m)))
    a0, b0 = beta_from_mean_sd(m, sd)

    def residuals(logab: np.ndarray) -> np.ndarray:
        a, b = np.exp(logab)
        return (stats.beta.ppf(p, a, b) - x) / (x[-1] - x[0])

    best = None
    lo_b, hi_b = -9.0, 18.0  # a and b between about 1e-4 and 6.6e7
    starts = ([math.log(a0), math.log(b0)], [0.0, 0.0], [math.log(a0) + 2, math.log(b0) + 2])
    for start in starts:
        start = [min(max(v, lo_b + 1e-9), hi_b - 1e-9) for v in start]  # inside the bounds, always
        sol = optimize.least_squares(residuals, start, bounds=([lo_b, lo_b], [hi_b, hi_b]),
                                     xtol=1e-14, ftol=1e-14, gtol=1e-14)
        if best is None or sol.cost < best.cost:
            best = sol
    a, b = (float(v) for v in np.exp(best.x))
    # each quantile must be met to 1% of its own distance from 0 and 1 (so that a tail as extreme as
    # 1e-9 is not silently fitted at 1e-7) and to 1% of the interval's width
    tolerance = 0.01 * np.minimum(np.minimum(x, 1 - x), x[-1] - x[0])
    if len(p) == 2 and np.any(np.abs(stats.beta.ppf(p, a, b) - x) > tolerance):
        width = "narrow" if x[-1] - x[0] < 1e-3 else "extreme"
        raise ValueError(f"no Beta argmap can fit has quantiles {list(values)} at {list(probs)}: the "
                         f"interval is too {width}; widen it, or write mean with n (or a fixed value)")
    return a, b
