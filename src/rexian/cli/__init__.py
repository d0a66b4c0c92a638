"""The `rexian` command line."""
