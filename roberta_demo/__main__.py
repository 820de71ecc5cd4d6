"""`python -m roberta_demo [serve] [options]` or `python -m roberta_demo download [--models …]`."""

import sys

from roberta_demo.cli import main

sys.exit(main())
