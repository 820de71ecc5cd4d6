"""How the demo looks: one module per tab plus the Blocks assembly. No torch or transformers here."""
