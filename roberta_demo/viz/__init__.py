"""Pure functions from task results to plotly figures and component values. No torch, no Gradio."""
