"""adapters.db layer of Rexian."""
