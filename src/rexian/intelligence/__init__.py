"""intelligence layer of Rexian."""
