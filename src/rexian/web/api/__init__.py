"""web.api layer of Rexian."""
