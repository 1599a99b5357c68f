"""certnet: the platform a national network of CERTs runs on."""

__version__ = "0.1.0"
