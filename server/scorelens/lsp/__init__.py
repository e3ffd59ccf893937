"""The ScoreLens language server: live scorer results in the editor (`python -m scorelens.lsp`)."""
