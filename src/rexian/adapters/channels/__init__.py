"""adapters.channels layer of Rexian."""
