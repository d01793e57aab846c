"""descentlab: gradient descent by hand."""

__version__ = "0.1.0"
