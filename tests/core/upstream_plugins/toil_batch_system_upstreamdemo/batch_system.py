"""Runs jobs on this machine like single_machine, and records each issued job in --demoMarkerDir
(an option declared the upstream way: ``add_options`` and ``setOptions``)."""
import os
import uuid

from toil.batchSystems.singleMachine import SingleMachineBatchSystem


class UpstreamDemoBatchSystem(SingleMachineBatchSystem):
    @classmethod
    def add_options(cls, parser):
        parser.add_argument("--demoMarkerDir", dest="demoMarkerDir", default=None,
                            help="Directory in which a file is created for every issued job.")

    @classmethod
    def setOptions(cls, setOption):
        setOption("demoMarkerDir")

    def issueBatchJob(self, command, job_desc, job_environment=None):
        marker_dir = self.config.demoMarkerDir
        if marker_dir:
            with open(os.path.join(marker_dir, "issued-" + uuid.uuid4().hex), "w") as handle:
                handle.write(job_desc.jobName)
        return super().issueBatchJob(command, job_desc, job_environment)
