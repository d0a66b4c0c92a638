"""web layer of Rexian."""
