"""The contract every cluster provisioner keeps, as a pytest suite to subclass.

The default tests need no cloud: they check the class against
:class:`~toil_core.provisioners.abstract.AbstractProvisioner`, cluster type handling, node shapes
and the autoscaled node type bookkeeping. A live test launching and destroying a real cluster
runs only when the subclass sets ``live = True`` (and pays for it)::

    from toil_core.testing import ProvisionerContract

    class TestMyProvisioner(ProvisionerContract):
        provisioner_name = "mycloud"
        node_type = "small-2cpu"            # an instance type getNodeShape knows

Fixtures to override: ``provisioner_class`` (default: the installed plugin's class),
``provisioner`` (an instance for a cluster that need not exist; default:
``provisioner_class(cluster_name, "mesos" or the first supported type, zone, 50, None, None)``),
``cluster_name`` and ``zone``.
"""
from __future__ import annotations

import inspect
import uuid
from typing import Any, Dict, Optional, Type

import pytest

from toil_core.plugins.registry import get_provisioner_class
from toil_core.provisioners import ClusterTypeNotSupportedException
from toil_core.provisioners.abstract import AbstractProvisioner

from ._support import SubclassesAreTests

__all__ = ["ProvisionerContract"]


class ProvisionerContract(SubclassesAreTests):
    """Interface, cluster types, node shapes, autoscaled node types, retry predicate; a live
    launch/destroy cycle when ``live`` is set."""

    __test__ = False

    #: The ``--provisioner`` word; None means: override ``provisioner_class``.
    provisioner_name: Optional[str] = None
    #: An instance type the provisioner can describe with getNodeShape.
    node_type: Optional[str] = None
    #: The cluster type used for the instance under test.
    cluster_type: str = "mesos"
    #: Launch and destroy a real cluster in test_live_cluster (costs money and time).
    live: bool = False
    #: Extra keyword arguments of launchCluster for the live test (key name, tags, ...).
    launch_kwargs: Dict[str, Any] = {}

    # ------------------------------------------------------------------ fixtures
    @pytest.fixture
    def provisioner_class(self) -> type:
        if not self.provisioner_name:
            pytest.fail("Set provisioner_name or override the provisioner_class fixture.")

        return get_provisioner_class(self.provisioner_name)

    @pytest.fixture
    def cluster_name(self) -> str:
        return f"toil-contract-{uuid.uuid4().hex[:10]}"

    @pytest.fixture
    def zone(self) -> Optional[str]:
        return None

    @pytest.fixture
    def provisioner(self, provisioner_class: type, cluster_name: str, zone: Optional[str]) -> Any:
        return provisioner_class(cluster_name, self.cluster_type, zone, 50, None, None)

    def node(self) -> str:
        if not self.node_type:
            pytest.skip("set node_type to an instance type the provisioner knows")
        return self.node_type

    # ------------------------------------------------------------------ tests
    def test_is_an_abstract_provisioner(self, provisioner_class: type) -> None:
        assert issubclass(provisioner_class, AbstractProvisioner)
        missing = sorted(getattr(provisioner_class, "__abstractmethods__", ()))
        assert not inspect.isabstract(provisioner_class), f"methods not implemented: {missing}"

    def test_supported_cluster_types(self, provisioner: Any) -> None:
        types = provisioner.supportedClusterTypes()
        assert types and all(isinstance(t, str) for t in types)
        assert self.cluster_type in types

    def test_unsupported_cluster_type_is_refused(self, provisioner_class: type, cluster_name: str,
                                                 zone: Optional[str]) -> None:
        with pytest.raises(ClusterTypeNotSupportedException):
            provisioner_class(cluster_name, "toil-contract-no-such-type", zone, 50, None, None)

    def test_node_shape(self, provisioner: Any) -> None:
        shape = provisioner.getNodeShape(self.node(), preemptible=False)
        assert shape.cores > 0 and shape.memory > 0 and shape.disk > 0
        assert shape.preemptible is False
        assert provisioner.getNodeShape(self.node(), preemptible=True).preemptible is True

    def test_autoscaled_node_types(self, provisioner: Any) -> None:
        node_type = self.node()
        assert provisioner.hasAutoscaledNodeTypes() is False
        provisioner.setAutoscaledNodeTypes([({node_type}, None)])
        assert provisioner.hasAutoscaledNodeTypes() is True
        shapes = provisioner.getAutoscaledInstanceShapes()
        assert node_type in shapes.values()
        assert all(shape.cores > 0 for shape in shapes)

    def test_retry_predicate_answers_a_bool(self, provisioner_class: Type[AbstractProvisioner]) -> None:
        assert isinstance(provisioner_class.retryPredicate(RuntimeError("contract")), bool)

    def test_live_cluster(self, provisioner: Any) -> None:
        if not self.live:
            pytest.skip("launches a real cluster: set live = True to run it")
        try:
            provisioner.launchCluster(leaderNodeType=self.node(), leaderStorage=50, owner="toil-contract",
                                      **self.launch_kwargs)
            assert provisioner.getLeader() is not None
            assert provisioner.addNodes({self.node()}, 1, preemptible=False) == 1
            assert len(provisioner.getProvisionedWorkers()) >= 1
        finally:
            provisioner.destroyCluster()
