"""pagecheck: a model checker for race conditions in guest page hinting."""

__version__ = "0.1.0"
