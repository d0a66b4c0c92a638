"""domain layer of Rexian."""
