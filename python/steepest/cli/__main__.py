"""python -m steepest.cli ... : the same as the `steepest` console script."""
import sys

from .main import main

sys.exit(main())
