"""How the batch system reaches the cluster: the kubeconfig, else the in-cluster configuration,
and the namespace from the kubeconfig's current context or the pod's service account.

Every failure to connect becomes a :class:`KubernetesSetupError` whose message names the problem
and the cure, so the leader prints one clear line instead of a client traceback.
"""
from __future__ import annotations

import os
from typing import Any, Optional

import attrs

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class KubernetesSetupError(SystemExit):
    """The batch system cannot talk to the cluster, or its configuration is unusable.

    A SystemExit (like the core's KilledWorkflowException), so an unchanged workflow script ends
    with this one message and exit code 1 instead of a client traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@attrs.frozen
class Connection:
    """The API clients of one cluster and the namespace the jobs go to."""

    api_client: Any
    core: Any  # CoreV1Api
    batch: Any  # BatchV1Api
    namespace: str
    where: str  # "kubeconfig <path> (context <name>)" or "in-cluster configuration"


def _kubeconfig_path() -> str:
    first = (os.environ.get("KUBECONFIG") or "").split(os.pathsep)[0]
    return os.path.expanduser(first or "~/.kube/config")


def connect(timeout: float = 10.0) -> Connection:
    """Load the configuration, check that the API server answers, and return the clients."""
    try:
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException
    except ImportError as exc:  # pragma: no cover - a dependency of toil-k8s
        raise KubernetesSetupError(f"The kubernetes batch system needs the kubernetes client: "
                                   f"pip install 'toil-core[kubernetes]' ({exc})") from exc

    kubeconfig = _kubeconfig_path()
    namespace: Optional[str] = None
    configuration = client.Configuration()
    if os.path.exists(kubeconfig):
        try:
            config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
            _contexts, active = config.list_kube_config_contexts(config_file=kubeconfig)
        except (ConfigException, OSError, ValueError, TypeError) as exc:
            raise KubernetesSetupError(f"Cannot use the kubeconfig {kubeconfig}: {exc}. Fix the file or point "
                                       f"KUBECONFIG at a working one.") from None
        namespace = ((active or {}).get("context") or {}).get("namespace")
        where = f"kubeconfig {kubeconfig} (context {(active or {}).get('name', '?')})"
    else:
        try:
            config.load_incluster_config(client_configuration=configuration)
        except ConfigException:
            raise KubernetesSetupError(
                f"No Kubernetes cluster to run on: there is no kubeconfig ({kubeconfig} does not exist) and this "
                f"is not a pod inside a cluster. Set KUBECONFIG to your cluster's kubeconfig (or create "
                f"~/.kube/config), or run the leader in a pod of the cluster.") from None
        where = "in-cluster configuration"
        try:
            with open(os.path.join(SERVICE_ACCOUNT_DIR, "namespace")) as handle:
                namespace = handle.read().strip() or None
        except OSError:
            namespace = None
    api_client = client.ApiClient(configuration)
    connection = Connection(api_client, client.CoreV1Api(api_client), client.BatchV1Api(api_client),
                            namespace or "default", where)
    check_reachable(connection, timeout)
    return connection


def check_reachable(connection: Connection, timeout: float) -> None:
    """Ask the API server for the namespace's Jobs once: a clear error if it does not answer or
    refuses us the right to list them."""
    from kubernetes.client.rest import ApiException
    from urllib3.exceptions import HTTPError

    host = connection.api_client.configuration.host
    try:
        connection.batch.list_namespaced_job(connection.namespace, limit=1, _request_timeout=timeout)
    except ApiException as exc:
        if exc.status in (401, 403):
            raise KubernetesSetupError(
                f"The Kubernetes API server at {host} refuses to let this user manage Jobs in namespace "
                f"{connection.namespace!r} (HTTP {exc.status} {exc.reason}). Use a namespace you have rights in "
                f"(the context's namespace in {connection.where}) or ask for a Role that allows jobs and pods."
            ) from None
        if exc.status == 404:
            raise KubernetesSetupError(
                f"The Kubernetes namespace {connection.namespace!r} does not exist on {host}. Create it or "
                f"choose another in the context of {connection.where}.") from None
        raise KubernetesSetupError(f"The Kubernetes API server at {host} answered HTTP {exc.status} "
                                   f"{exc.reason}: {exc.body!s:.200}") from None
    except (HTTPError, OSError) as exc:
        raise KubernetesSetupError(
            f"Cannot reach the Kubernetes API server at {host} (from {connection.where}): "
            f"{type(exc).__name__}: {exc}. Check that the cluster is up and the kubeconfig's server address."
        ) from None
    try:  # listing Jobs in a namespace that does not exist just gives nothing: ask for it
        connection.core.read_namespace(connection.namespace, _request_timeout=timeout)
    except ApiException as exc:
        if exc.status == 404:
            raise KubernetesSetupError(
                f"The Kubernetes namespace {connection.namespace!r} does not exist on {host}. Create it or "
                f"choose another in the context of {connection.where}.") from None
        # 403: may not read namespaces (common with RBAC): the Jobs list above was allowed
