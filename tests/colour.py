"""The tests' yardstick for 'distinguishable': CIE L*a*b* of a colour, and the CIE76 distance."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_hex


def lab(colour: object) -> np.ndarray:
    """CIE L*a*b* of a matplotlib colour (sRGB, D65), computed here, not by the library."""
    hexa = to_hex(colour)  # type: ignore[arg-type]  # any matplotlib colour spec
    rgb = np.array([int(hexa[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def distance(a: object, b: object) -> float:
    """CIE76 distance between two colours (above ~20: clearly different)."""
    return float(np.linalg.norm(lab(a) - lab(b)))
