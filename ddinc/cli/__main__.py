"""``python -m ddinc.cli``: the same as the ``ddinc`` command."""

import sys

from ddinc.cli import main

sys.exit(main())
