"""The child process of `ProcessServer` (see streamrig/server/_process.py)."""

import sys

from .server._process import child_main

if __name__ == "__main__":
    child_main(sys.argv[1:])
