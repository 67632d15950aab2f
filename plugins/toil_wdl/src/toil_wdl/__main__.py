"""``python -m toil_wdl`` is ``toil-wdl-runner``."""
import sys

from toil_wdl.main import main

sys.exit(main())
