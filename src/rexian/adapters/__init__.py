"""adapters layer of Rexian."""
