"""``python -m toil_cwl`` is ``toil-cwl-runner``."""
import sys

from toil_cwl.main import main

sys.exit(main())
