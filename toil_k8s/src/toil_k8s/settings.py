"""Settings of the ``kubernetes`` batch system, declared once with the core's :func:`setting`.

The first four share their destinations with the core's upstream options (``--kubernetesHostPath``
and friends, which the core declares so that upstream command lines parse without toil-k8s), so
either declaration fills the same Config attribute. Three more knobs are environment variables
only, as upstream has them (read by :func:`environment_knobs`):

* ``TOIL_APPLIANCE_SELF``: the image the pods run (must contain toil-core and toil-k8s);
* ``TOIL_AWS_SECRET_NAME``: a Kubernetes secret mounted at ``/root/.aws`` in every pod;
* ``KUBE_WATCH_ENABLED``: ``False`` turns the watch off and polls instead (default: watch).

This module imports only attrs and the core's settings helpers.
"""
from __future__ import annotations

import os
from typing import Mapping, Optional

import attrs
from toil_core.plugin_api import setting

DEFAULT_POD_TIMEOUT = 120.0


@attrs.frozen
class KubernetesSettings:
    """Options of the ``kubernetes`` batch system."""

    kubernetes_host_path: Optional[str] = setting(
        None, "Path on the Kubernetes hosts to use as the shared inter-pod temporary directory; it is mounted "
        "at the same path in every pod, so a file: job store under it is shared with the leader on a "
        "single-node cluster. Without it each pod works in an emptyDir.",
        flag="--kubernetesHostPath", env="TOIL_KUBERNETES_HOST_PATH", metavar="PATH")
    kubernetes_owner: Optional[str] = setting(
        None, "User name to mark Kubernetes jobs with (part of every Job name); default: the local user name, "
        "sanitised for Kubernetes.", flag="--kubernetesOwner", env="TOIL_KUBERNETES_OWNER", metavar="NAME")
    kubernetes_service_account: Optional[str] = setting(
        None, "Service account to run the pods as (default: the namespace's default account).",
        flag="--kubernetesServiceAccount", env="TOIL_KUBERNETES_SERVICE_ACCOUNT", metavar="ACCOUNT")
    kubernetes_pod_timeout: float = setting(
        DEFAULT_POD_TIMEOUT, "Seconds a scheduled pod may stay unstarted (ContainerCreating, image pull "
        "failures) before its job fails with the reason.", flag="--kubernetesPodTimeout",
        env="TOIL_KUBERNETES_POD_TIMEOUT", type=float, metavar="SECONDS")
    kubernetes_privileged: bool = setting(
        False, "Run the pods' containers privileged (needed e.g. to run Docker or Singularity inside jobs).",
        flag="--kubernetesPrivileged", env="TOIL_KUBERNETES_PRIVILEGED", metavar="BOOL")
    kubernetes_pod_security_context: Optional[str] = setting(
        None, "YAML file with a Kubernetes PodSecurityContext (runAsUser, fsGroup, ...) for every pod.",
        flag="--kubernetesPodSecurityContext", env="TOIL_KUBERNETES_POD_SECURITY_CONTEXT", metavar="YAML")
    kubernetes_security_context: Optional[str] = setting(
        None, "YAML file with a Kubernetes SecurityContext for every job's container (merged with "
        "--kubernetesPrivileged).", flag="--kubernetesSecurityContext",
        env="TOIL_KUBERNETES_SECURITY_CONTEXT", metavar="YAML")


@attrs.frozen
class EnvironmentKnobs:
    """The settings upstream reads from the environment only."""

    appliance: Optional[str]
    aws_secret_name: Optional[str]
    watch_enabled: bool


def environment_knobs(environ: Optional[Mapping[str, str]] = None) -> EnvironmentKnobs:
    """``TOIL_APPLIANCE_SELF``, ``TOIL_AWS_SECRET_NAME`` and ``KUBE_WATCH_ENABLED`` from ``environ``."""
    env = os.environ if environ is None else environ
    watch = env.get("KUBE_WATCH_ENABLED", "True").strip().lower() not in ("false", "0", "no", "off")
    return EnvironmentKnobs(appliance=env.get("TOIL_APPLIANCE_SELF") or None,
                            aws_secret_name=env.get("TOIL_AWS_SECRET_NAME") or None, watch_enabled=watch)
