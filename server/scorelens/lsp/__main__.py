from scorelens.lsp.server import main

main()
