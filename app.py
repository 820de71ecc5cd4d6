"""Entry point: `python app.py [--models tiny] …`; Spaces and `gradio app.py` use the module-level `demo`."""

import sys

from roberta_demo.cli import configure_logging, create_app, serve, settings_from_argv
from roberta_demo.config import ConfigError

configure_logging()
try:
    settings = settings_from_argv(sys.argv[1:] if __name__ == "__main__" else [])
    demo, backend = create_app(settings)
except ConfigError as exc:
    sys.exit(f"error: {exc}")

if __name__ == "__main__":
    serve(demo, settings)
