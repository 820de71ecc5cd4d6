"""Load test and benchmark scripts: `python -m roberta_demo.perf.loadtest`, `python -m roberta_demo.perf.benchmark`."""
