from scorelens.cli.main import main

raise SystemExit(main())
