"""``python -m dicomconv`` is the ``dicomconv`` command."""
import sys

from .cli import main

sys.exit(main())
