import sys

from cycle.cli.main import main

sys.exit(main())
