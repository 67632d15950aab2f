# Section 12.2 "Job Basics": the class-based HelloWorld job, in its variant that
# logs its message with Job.log(), made runnable with the invocation boilerplate
# of section 12.3.
import os
import tempfile

from toil.common import Toil
from toil.job import Job


class HelloWorld(Job):
    def __init__(self, message):
        Job.__init__(self, memory="2G", cores=2, disk="3G")
        self.message = message

    def run(self, fileStore):
        self.log(f"Hello, world! Here's a message: {self.message}")


if __name__ == "__main__":
    jobstore: str = tempfile.mkdtemp("tutorial_jobbasics")
    os.rmdir(jobstore)
    options = Job.Runner.getDefaultOptions(jobstore)
    options.logLevel = "INFO"
    options.clean = "always"

    hello_job = HelloWorld("Woot")

    with Toil(options) as toil:
        toil.start(hello_job)
