"""roberta_demo: an interactive demo of what RoBERTa does and how it does it."""

__version__ = "0.1.0"
