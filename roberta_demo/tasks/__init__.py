"""What the demo computes: text in, plain typed results out. No Gradio here; models come from the backend."""
