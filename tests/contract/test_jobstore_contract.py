"""The built-in file job store keeps the job store contract."""
from toil_core.testing import JobStoreContract


class TestFileJobStore(JobStoreContract):
    job_store_name = "file"
