import sys

from cycle.cli.main import run

sys.exit(run())
