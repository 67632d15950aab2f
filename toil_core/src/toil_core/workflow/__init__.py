"""Running a workflow: the ``Toil`` context manager and the command-line options of workflow scripts.

This is the top of the engine's layers (see toil_core/README.md): it sets up the job store,
saves the root job and runs the leader on a batch system. Only the ``toil`` command, the
``toil.*`` facade and ``Job.Runner`` (the one permitted upward import) reach it.
"""
