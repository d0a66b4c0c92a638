"""web.pages layer of Rexian."""
