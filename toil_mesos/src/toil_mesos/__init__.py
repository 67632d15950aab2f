"""toil-mesos: the ``mesos`` batch system (a Mesos framework speaking the v1 HTTP scheduler API),
its executor ``_toil_mesos_executor`` and the scalable-cluster interface for the cluster scaler."""

__version__ = "1.0.0"
