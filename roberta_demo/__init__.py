"""roberta_demo: an interactive demo of what RoBERTa does and how it does it."""

from pathlib import Path

__version__ = "0.2.0"

# The stylesheet, page script, vendored JavaScript and screenshots, at the top of the repository.
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
