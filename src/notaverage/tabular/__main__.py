"""`python -m notaverage.tabular`: the tabular benchmark without the main CLI."""

import sys

from notaverage.tabular.cli import main

sys.exit(main())
