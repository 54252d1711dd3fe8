"""``python -m tests.support.moto_server``: moto_server, with the lookups of moto_speedups replaced."""

import sys

from moto.server import main

from . import moto_speedups

if __name__ == "__main__":
    moto_speedups.apply()
    main(sys.argv[1:])
