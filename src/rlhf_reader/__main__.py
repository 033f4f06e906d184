from rlhf_reader.cli import main

raise SystemExit(main())
