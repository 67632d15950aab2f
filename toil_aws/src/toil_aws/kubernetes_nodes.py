"""The nodes of a ``-T kubernetes`` cluster: the leader becomes a Kubernetes control plane
(``kubeadm init``) and every worker joins it (``kubeadm join``), as upstream Toil's clusters do.

How a worker gets the join credentials (upstream's ``JOIN_ENDPOINT``, ``JOIN_TOKEN`` and
``JOIN_CERT_HASH``):

* the **token** (a kubeadm bootstrap token, ``[a-z0-9]{6}.[a-z0-9]{16}``, with no expiry) is made
  by the provisioner when it launches the cluster and handed to the leader in its user data; the
  leader's ``kubeadm init`` registers it. A provisioner that adds workers later (the Toil leader
  with ``--provisioner aws`` on the leader node, or ``toil launch-cluster`` itself) reads it back
  from the leader instance's user data (``DescribeInstanceAttribute``);
* the **CA hash** (``sha256:`` of the cluster CA's public key, what ``kubeadm join
  --discovery-token-ca-cert-hash`` pins) exists only once ``kubeadm init`` has made the CA on the
  leader. The leader publishes it as the tag :data:`CA_HASH_TAG` of its own instance (it is not a
  secret), through the appliance (``python3 -m toil_aws.kubernetes_nodes publish HASH``, which has
  boto3 and the instance profile's ``ec2:CreateTags``). The provisioner waits for the tag before
  starting workers (:data:`JOIN_WAIT_ENV`), so workers started while the leader still boots get it;
* the **endpoint** is the leader's private address, port 6443.

Each node's user data holds one script, :data:`SETUP_SCRIPT` (the same text on every node), and
its values in :data:`VALUES_FILE` (shell assignments). The script installs kubeadm, the kubelet,
kubectl, crictl and the CNI plugins of :data:`KUBERNETES_VERSION` into ``/opt/bin`` (Flatcar's
``/usr`` is read-only; Flatcar ships containerd), writes the kubelet's systemd unit, then

* on the leader: ``kubeadm init`` with the token, the pod network of the CNI (flannel), the
  kubeconfig for the Toil leader container (``/root/.kube/config``, mounted into ``toil_leader``),
  waits until the control plane node is Ready, and publishes the CA hash;
* on a worker: ``kubeadm join`` with the three values and the node labels the Kubernetes batch
  system and the cluster scaler read: ``node.kubernetes.io/instance-type`` and
  ``eks.amazonaws.com/capacityType`` = ``SPOT`` / ``ON_DEMAND`` (the label toil_k8s already uses to
  steer preemptible jobs); the node's name is the instance's private DNS name and its InternalIP its
  private address, which is what the scaler matches instances by.

Downloading the binaries needs the internet, and kubeadm needs a booted instance: neither exists in
the tests (moto boots nothing). The tests run this script with recording stand-ins for ``kubeadm``,
``systemctl`` and the container engine and the real ``kubectl`` against the test cluster.
"""
from __future__ import annotations

import re
import secrets
import shlex
import string
import sys
from typing import Dict, List, Optional

import attrs

__all__ = ["CA_HASH_TAG", "JOIN_WAIT_ENV", "JoinValues", "KUBERNETES_VERSION", "SETUP_SCRIPT", "VALUES_FILE",
           "new_token", "publish_ca_hash", "token_from_user_data", "values_file"]

#: The Kubernetes release the nodes install (kubeadm, kubelet, kubectl).
KUBERNETES_VERSION = "v1.24.17"
CNI_PLUGINS_VERSION = "v1.3.0"
CRICTL_VERSION = "v1.24.2"
#: The pod network's manifest and address range (flannel's default range).
CNI_MANIFEST = "https://github.com/flannel-io/flannel/releases/download/v0.22.3/kube-flannel.yml"
POD_SUBNET = "10.244.0.0/16"
API_PORT = 6443
#: The leader instance's tag that carries the cluster CA's public key hash.
CA_HASH_TAG = "ToilKubernetesCAHash"
#: How long the provisioner waits for the leader to publish the CA hash (seconds, default 900).
JOIN_WAIT_ENV = "TOIL_AWS_KUBERNETES_JOIN_WAIT"
SETUP_SCRIPT = "/etc/toil/kubernetes/setup"
VALUES_FILE = "/etc/toil/kubernetes/values.env"
#: The node label of a worker's capacity type (toil_k8s reads it for preemptible jobs).
CAPACITY_LABEL = "eks.amazonaws.com/capacityType"
_TOKEN = re.compile(r"[a-z0-9]{6}\.[a-z0-9]{16}")
_HASH = re.compile(r"sha256:[0-9a-f]{64}")


def new_token() -> str:
    """A fresh kubeadm bootstrap token (``ID.SECRET``)."""
    alphabet = string.ascii_lowercase + string.digits
    pick = lambda n: "".join(secrets.choice(alphabet) for _ in range(n))  # noqa: E731
    return f"{pick(6)}.{pick(16)}"


@attrs.frozen
class JoinValues:
    """What ``kubeadm join`` needs: the API server's address, the bootstrap token, the CA hash."""

    endpoint: str
    token: str = attrs.field(repr=False)
    ca_hash: str

    def __attrs_post_init__(self) -> None:
        if not _TOKEN.fullmatch(self.token):
            raise ValueError("a kubeadm bootstrap token looks like abcdef.0123456789abcdef")
        if not _HASH.fullmatch(self.ca_hash):
            raise ValueError(f"a CA hash looks like sha256:<64 hex digits>, not {self.ca_hash!r}")


def values_file(role: str, cluster_name: str, image: str, token: Optional[str] = None,
                join: Optional[JoinValues] = None, instance_type: str = "", preemptible: bool = False) -> str:
    """The node's :data:`VALUES_FILE`: shell assignments the setup script sources."""
    values: Dict[str, str] = {
        "ROLE": role, "CLUSTER_NAME": cluster_name, "TOIL_APPLIANCE_SELF": image,
        "KUBERNETES_VERSION": KUBERNETES_VERSION, "CNI_PLUGINS_VERSION": CNI_PLUGINS_VERSION,
        "CRICTL_VERSION": CRICTL_VERSION, "CNI_MANIFEST": CNI_MANIFEST, "POD_SUBNET": POD_SUBNET,
    }
    if role == "leader":
        if not token:
            raise ValueError("the leader needs the cluster's bootstrap token")
        values["JOIN_TOKEN"] = token
    else:
        if join is None:
            raise ValueError("a worker needs the join values")
        values.update(JOIN_ENDPOINT=join.endpoint, JOIN_TOKEN=join.token, JOIN_CERT_HASH=join.ca_hash,
                      NODE_LABELS=",".join([f"node.kubernetes.io/instance-type={instance_type}",
                                            f"{CAPACITY_LABEL}={'SPOT' if preemptible else 'ON_DEMAND'}"]))
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in values.items())


def token_from_user_data(text: str) -> Optional[str]:
    """The bootstrap token in a leader's user data (its values file), or None."""
    match = re.search(r"^\s*JOIN_TOKEN=([a-z0-9]{6}\.[a-z0-9]{16})\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def publish_ca_hash(ca_hash: str, instance_id: Optional[str] = None, region: Optional[str] = None) -> str:
    """Tag this instance (the leader) with the CA hash; returns the instance ID."""
    from toil_aws import instance_metadata, session

    if not _HASH.fullmatch(ca_hash):
        raise ValueError(f"not a CA hash (sha256:<64 hex digits>): {ca_hash!r}")
    instance_id = instance_id or instance_metadata.instance_id()
    if not instance_id:
        raise RuntimeError("not on an EC2 instance: there is no leader instance to tag")
    ec2 = session.client("ec2", region=region or session.default_region())
    ec2.create_tags(Resources=[instance_id], Tags=[{"Key": CA_HASH_TAG, "Value": ca_hash}])
    return instance_id


def main(argv: Optional[List[str]] = None) -> int:
    """``python3 -m toil_aws.kubernetes_nodes publish sha256:HASH [INSTANCE_ID]`` (run by the leader's
    setup script in the appliance)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3) or args[0] != "publish":
        sys.stderr.write("usage: python3 -m toil_aws.kubernetes_nodes publish sha256:HASH [INSTANCE_ID]\n")
        return 2
    try:
        instance = publish_ca_hash(args[1], args[2] if len(args) == 3 else None)
    except (ValueError, RuntimeError) as error:
        sys.stderr.write(f"cannot publish the CA hash: {error}\n")
        return 1
    sys.stdout.write(f"{instance} {CA_HASH_TAG}={args[1]}\n")
    return 0


# The setup script of every node (bash). ROOT prefixes the host paths it writes (empty on a node; a
# temporary directory in the tests); BIN is where the binaries go.
SETUP_SCRIPT_TEXT = r"""#!/bin/bash
# Make this node the Kubernetes control plane (ROLE=leader: kubeadm init) or join it (ROLE=worker:
# kubeadm join), from the values in values.env. Written by toil_aws.kubernetes_nodes.
set -euo pipefail
ROOT=${ROOT:-}
. "$ROOT/etc/toil/kubernetes/values.env"
BIN=${BIN:-/opt/bin}
CNI_BIN=${CNI_BIN:-/opt/cni/bin}
ARCH=${ARCH:-amd64}
export PATH="$BIN:$PATH"
ENGINE=${ENGINE:-$(command -v podman || command -v docker)}
METADATA=${METADATA:-http://169.254.169.254}

metadata() {  # IMDSv2, then v1
    local token
    token=$(curl -fsS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$METADATA/latest/api/token" || true)
    curl -fsS -m 5 ${token:+-H "X-aws-ec2-metadata-token: $token"} "$METADATA/latest/meta-data/$1"
}

fetch() {  # URL DEST: download once, atomically
    [ -s "$2" ] && return 0
    curl -fsSL --retry 5 -o "$2.part" "$1"
    mv "$2.part" "$2"
}

install_binaries() {
    mkdir -p "$BIN" "$CNI_BIN"
    local tool
    for tool in kubeadm kubelet kubectl; do
        if [ ! -x "$BIN/$tool" ]; then
            fetch "https://dl.k8s.io/release/$KUBERNETES_VERSION/bin/linux/$ARCH/$tool" "$BIN/$tool"
            chmod 0755 "$BIN/$tool"
        fi
    done
    if [ ! -x "$BIN/crictl" ]; then
        fetch "https://github.com/kubernetes-sigs/cri-tools/releases/download/$CRICTL_VERSION/crictl-$CRICTL_VERSION-linux-$ARCH.tar.gz" /tmp/crictl.tgz
        tar -xzf /tmp/crictl.tgz -C "$BIN"
    fi
    if [ ! -x "$CNI_BIN/bridge" ]; then
        fetch "https://github.com/containernetworking/plugins/releases/download/$CNI_PLUGINS_VERSION/cni-plugins-linux-$ARCH-$CNI_PLUGINS_VERSION.tgz" /tmp/cni.tgz
        tar -xzf /tmp/cni.tgz -C "$CNI_BIN"
    fi
}

write_kubelet_unit() {  # the unit kubeadm expects: its flags file and config, bootstrap kubeconfig
    mkdir -p "$ROOT/etc/systemd/system" "$ROOT/etc/kubernetes/manifests" "$ROOT/var/lib/kubelet"
    cat > "$ROOT/etc/systemd/system/kubelet.service" <<EOF
[Unit]
Description=kubelet (Toil $ROLE node of $CLUSTER_NAME)
Wants=network-online.target containerd.service
After=network-online.target containerd.service
[Service]
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
ExecStart=$BIN/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml --volume-plugin-dir=/opt/libexec/kubernetes/kubelet-plugins/volume/exec/ \$KUBELET_KUBEADM_ARGS
Restart=always
RestartSec=5
[Install]
WantedBy=multi-user.target
EOF
    systemctl daemon-reload
    systemctl enable kubelet.service
}

leader() {
    local ip name
    ip=$(metadata local-ipv4)
    name=$(metadata local-hostname)
    cat > "$ROOT/etc/kubernetes/kubeadm-init.yaml" <<EOF
apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
bootstrapTokens:
- token: "$JOIN_TOKEN"
  ttl: "0s"
  usages: [signing, authentication]
  groups: ["system:bootstrappers:kubeadm:default-node-token"]
localAPIEndpoint:
  advertiseAddress: "$ip"
  bindPort: 6443
nodeRegistration:
  name: "$name"
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    node-ip: "$ip"
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: "$KUBERNETES_VERSION"
clusterName: "$CLUSTER_NAME"
controllerManager:
  extraArgs:
    flex-volume-plugin-dir: /opt/libexec/kubernetes/kubelet-plugins/volume/exec/
networking:
  podSubnet: "$POD_SUBNET"
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
EOF
    chmod 0600 "$ROOT/etc/kubernetes/kubeadm-init.yaml"  # holds the token
    [ -s "$ROOT/etc/kubernetes/admin.conf" ] || kubeadm init --config "$ROOT/etc/kubernetes/kubeadm-init.yaml"
    export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
    mkdir -p "$ROOT/root/.kube"
    install -m 0600 "$KUBECONFIG" "$ROOT/root/.kube/config"  # what toil_leader sees
    kubectl apply -f "$CNI_MANIFEST"
    kubectl wait --for=condition=Ready "node/$name" --timeout=600s
    local hash
    hash=sha256:$(openssl x509 -pubkey -noout -in "$ROOT/etc/kubernetes/pki/ca.crt" \
                  | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
    echo "$hash" > "$ROOT/etc/kubernetes/ca-hash"
    until "$ENGINE" run --rm --net=host --entrypoint=python3 "$TOIL_APPLIANCE_SELF" \
          -m toil_aws.kubernetes_nodes publish "$hash"; do
        echo "publishing the CA hash failed; retrying" >&2
        sleep 10
    done
}

worker() {
    local ip name
    ip=$(metadata local-ipv4)
    name=$(metadata local-hostname)
    cat > "$ROOT/etc/kubernetes/kubeadm-join.yaml" <<EOF
apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "$JOIN_ENDPOINT"
    token: "$JOIN_TOKEN"
    caCertHashes: ["$JOIN_CERT_HASH"]
nodeRegistration:
  name: "$name"
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    node-ip: "$ip"
    node-labels: "$NODE_LABELS"
EOF
    chmod 0600 "$ROOT/etc/kubernetes/kubeadm-join.yaml"
    [ -s "$ROOT/etc/kubernetes/kubelet.conf" ] || kubeadm join --config "$ROOT/etc/kubernetes/kubeadm-join.yaml"
}

install_binaries
write_kubelet_unit
case "$ROLE" in
    leader) leader ;;
    worker) worker ;;
    *) echo "ROLE must be leader or worker, not '$ROLE'" >&2; exit 2 ;;
esac
echo "Kubernetes $ROLE node of $CLUSTER_NAME is set up"
"""


if __name__ == "__main__":
    sys.exit(main())
