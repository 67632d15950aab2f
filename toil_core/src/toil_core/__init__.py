"""toil-core: a Toil-compatible workflow engine built as a small core with plugin backends."""
__version__ = "1.0.0"
