from flamkit.cli import main

raise SystemExit(main())
