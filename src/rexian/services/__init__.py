"""services layer of Rexian."""
