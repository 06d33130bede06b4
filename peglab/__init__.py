"""peglab: exact integer engine and risk lab for AI stablecoins."""

__version__ = "0.1.0"
