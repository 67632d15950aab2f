"""Version information (upstream ``toil.version``)."""
from toil_core import __version__

baseVersion = __version__
version = __version__
distVersion = __version__
dockerRegistry = "quay.io/ucsc_cgl"
dockerName = "toil"
dockerTag = __version__
cwltool_version = ""
