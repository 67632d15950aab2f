"""Imported by Toil's warm worker processes before they fork a job, so CWL jobs start with
cwltool and the job classes already imported (see ``toil_cwl.main.warm_workers``)."""
import toil_cwl.jobs  # noqa: F401
