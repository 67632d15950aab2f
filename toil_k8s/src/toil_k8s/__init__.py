"""toil-k8s: the ``kubernetes`` batch system of toil-core (one batch/v1 Job per Toil job) and the
in-pod entry point ``_toil_contained_executor``."""
