"""The `scorelens` command line."""
