"""``python -m ddinc.datadog.emulator``: serve the emulator until interrupted.

Importing this module runs nothing; ``main`` is re-exported for ``ddinc emulator``.
"""

import sys

from ddinc.datadog.emulator.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
