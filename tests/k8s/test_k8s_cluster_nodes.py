"""The Kubernetes set-up script of a ``-T kubernetes`` aws cluster (toil_aws.kubernetes_nodes), run
for real against the test cluster, as far as this machine allows.

On a node the script downloads kubeadm and the kubelet, then runs ``kubeadm init`` (leader) or
``kubeadm join`` (worker). Neither can run here: there is no internet to download them, this
cluster was not made by kubeadm (tests/k8s/cluster: one node, static token, no bootstrap tokens),
and a second kubelet on this machine would fight the first over containerd. So ``kubeadm``,
``systemctl``, the instance metadata and the container engine are recording stand-ins, while
everything the script does after ``kubeadm init`` runs for real: the real ``kubectl`` applies the
pod network manifest to this cluster and waits for the node to be Ready, ``openssl`` hashes the
cluster's real CA (checked against a hash computed here from the certificate's DER), and the
appliance's ``publish`` step tags the leader instance in moto's EC2.
"""
from __future__ import annotations

import base64
import hashlib
import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest
import yaml

from k8s_cluster import Cluster
from toil_aws import kubernetes_nodes

IMAGE = "registry.example.org/toil-appliance:7.8.9"


def _der_length(data: bytes, at: int) -> Tuple[int, int]:
    """(length, offset of the contents) of the DER element whose length octets start at ``at``."""
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    return int.from_bytes(data[at + 1:at + 1 + count], "big"), at + 1 + count


def _children(data: bytes, start: int, end: int) -> list:
    """The (start, end) of each DER element between ``start`` and ``end``."""
    out = []
    while start < end:
        length, body = _der_length(data, start + 1)
        out.append((start, body + length, body))
        start = body + length
    return out


def spki_sha256(pem: str) -> str:
    """kubeadm's CA hash, computed without openssl: sha256 of the certificate's DER
    SubjectPublicKeyInfo (Certificate -> TBSCertificate -> its 7th element, after the version)."""
    der = base64.b64decode("".join(line for line in pem.splitlines() if line and not line.startswith("-----")))
    [(cert_start, cert_end, cert_body)] = _children(der, 0, len(der))
    tbs_start, tbs_end, tbs_body = _children(der, cert_body, cert_end)[0]
    fields = _children(der, tbs_body, tbs_end)
    if der[fields[0][0]] == 0xA0:  # explicit version
        fields = fields[1:]
    spki_start, spki_end, _ = fields[5]  # serial, signature, issuer, validity, subject, SPKI
    return "sha256:" + hashlib.sha256(der[spki_start:spki_end]).hexdigest()


def _stand_in(path: Path, body: str) -> None:
    path.write_text("#!/bin/bash\nset -eu\n" + body + "\n")
    path.chmod(0o755)


@pytest.fixture
def node(k8s: Cluster, tmp_path: Path) -> Dict[str, str]:
    """The test cluster's node: its name and address (what the metadata stand-in answers)."""
    name = k8s.kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout.strip()
    address = k8s.kubectl("get", "node", name, "-o",
                          'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}').stdout.strip()
    return {"name": name, "ip": address}


def _prepare(tmp_path: Path, k8s: Cluster, node: Dict[str, str], values: str) -> Dict[str, str]:
    """A node's file tree under ``tmp_path/root`` with the values file, and the stand-ins."""
    root = tmp_path / "root"
    (root / "etc/toil/kubernetes").mkdir(parents=True)
    (root / "etc/toil/kubernetes/values.env").write_text(values)
    script = root / "etc/toil/kubernetes/setup"
    script.write_text(kubernetes_nodes.SETUP_SCRIPT_TEXT)
    script.chmod(0o755)
    bin_dir, cni = tmp_path / "bin", tmp_path / "cni"
    bin_dir.mkdir()
    cni.mkdir()
    calls = tmp_path / "calls"
    record = f'printf "%s\\n" "$(basename "$0") $*" >> {shlex.quote(str(calls))}'
    # kubeadm init makes the control plane: here the test cluster's kubeconfig and CA stand for it
    ca = k8s.state / "pki" / "ca.crt"
    _stand_in(bin_dir / "kubeadm", f'{record}\nif [ "$1" = init ]; then mkdir -p "$ROOT/etc/kubernetes/pki"; '
                                   f'cp {shlex.quote(str(k8s.kubeconfig))} "$ROOT/etc/kubernetes/admin.conf"; '
                                   f'cp {shlex.quote(str(ca))} "$ROOT/etc/kubernetes/pki/ca.crt"; fi')
    (bin_dir / "kubectl").symlink_to(k8s.bin / "kubectl")
    for name in ("kubelet", "crictl"):
        _stand_in(bin_dir / name, record)
    _stand_in(cni / "bridge", record)
    _stand_in(bin_dir / "systemctl", record)
    # instance metadata: curl answers for 169.254.169.254 only (nothing else is fetched: binaries are there)
    _stand_in(bin_dir / "curl", f'{record}\nurl="${{@: -1}}"\ncase "$url" in\n'
                                f'  */latest/api/token) echo token ;;\n'
                                f'  */meta-data/local-ipv4) echo {node["ip"]} ;;\n'
                                f'  */meta-data/local-hostname) echo {node["name"]} ;;\n'
                                f'  *) echo "unexpected download: $url" >&2; exit 22 ;;\nesac')
    # the container engine runs the appliance's publish step with this checkout's python
    _stand_in(bin_dir / "engine", f'{record}\nshift $(( $# - 4 ))\n'
                                  f'exec {shlex.quote(sys.executable)} "$@" "$LEADER_ID"')
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "ROOT": str(root), "BIN": str(bin_dir), "CNI_BIN": str(cni),
           "ENGINE": str(bin_dir / "engine"), "HOME": str(tmp_path),
           "AWS_DEFAULT_REGION": "us-east-1"}
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PYTHONPATH"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _run(tmp_path: Path, env: Dict[str, str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(["bash", str(tmp_path / "root/etc/toil/kubernetes/setup")], env=env, capture_output=True,
                          text=True, timeout=300)


def _calls(tmp_path: Path) -> list:
    return (tmp_path / "calls").read_text().splitlines()


def test_leader_setup_publishes_the_hash_of_the_clusters_ca(k8s: Cluster, node: Dict[str, str], tmp_path: Path,
                                                             moto_server: Any) -> None:
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")
    leader = ec2.run_instances(ImageId=ec2.describe_images()["Images"][0]["ImageId"], MinCount=1, MaxCount=1,
                               InstanceType="t2.medium")["Instances"][0]["InstanceId"]
    try:
        token = kubernetes_nodes.new_token()
        # the pod network manifest, applied by the real kubectl (a ConfigMap here: no flannel offline)
        marker = f"toil-cni-{uuid.uuid4().hex[:8]}"
        manifest = tmp_path / "cni.yaml"
        manifest.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                            "metadata": {"name": marker, "namespace": "default"},
                                            "data": {"net": "stand-in"}}))
        values = kubernetes_nodes.values_file("leader", "kcluster", IMAGE, token=token)
        values = values.replace(f"CNI_MANIFEST={shlex.quote(kubernetes_nodes.CNI_MANIFEST)}",
                                f"CNI_MANIFEST={shlex.quote(str(manifest))}")
        env = _prepare(tmp_path, k8s, node, values)
        env["LEADER_ID"] = leader
        proc = _run(tmp_path, env)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        try:
            assert k8s.kubectl("get", "configmap", marker, "-o", "jsonpath={.data.net}").stdout == "stand-in"
        finally:
            k8s.kubectl("delete", "configmap", marker, "--wait=false", check=False)
        expected = spki_sha256((k8s.state / "pki" / "ca.crt").read_text())
        root = tmp_path / "root"
        assert (root / "etc/kubernetes/ca-hash").read_text().strip() == expected
        tags = {t["Key"]: t["Value"] for r in ec2.describe_instances(InstanceIds=[leader])["Reservations"]
                for i in r["Instances"] for t in i.get("Tags", [])}
        assert tags[kubernetes_nodes.CA_HASH_TAG] == expected
        init = list(yaml.safe_load_all((root / "etc/kubernetes/kubeadm-init.yaml").read_text()))
        assert init[0]["bootstrapTokens"][0]["token"] == token and init[0]["bootstrapTokens"][0]["ttl"] == "0s"
        assert init[0]["localAPIEndpoint"]["advertiseAddress"] == node["ip"]
        assert init[0]["nodeRegistration"]["name"] == node["name"]
        assert init[1]["networking"]["podSubnet"] == kubernetes_nodes.POD_SUBNET
        assert oct((root / "etc/kubernetes/kubeadm-init.yaml").stat().st_mode & 0o777) == "0o600"
        assert (root / "root/.kube/config").read_text() == k8s.kubeconfig.read_text()
        calls = _calls(tmp_path)
        assert f"kubeadm init --config {root}/etc/kubernetes/kubeadm-init.yaml" in calls
        assert ["systemctl daemon-reload", "systemctl enable kubelet.service"] == [c for c in calls
                                                                                  if c.startswith("systemctl")]
        unit = (root / "etc/systemd/system/kubelet.service").read_text()
        assert f"ExecStart={env['BIN']}/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf" in unit
    finally:
        ec2.terminate_instances(InstanceIds=[leader])


def test_worker_setup_joins_with_the_published_values(k8s: Cluster, node: Dict[str, str], tmp_path: Path) -> None:
    join = kubernetes_nodes.JoinValues(f"{node['ip']}:6443", kubernetes_nodes.new_token(),
                                       spki_sha256((k8s.state / "pki" / "ca.crt").read_text()))
    values = kubernetes_nodes.values_file("worker", "kcluster", IMAGE, join=join, instance_type="t2.micro",
                                          preemptible=True)
    env = _prepare(tmp_path, k8s, node, values)
    proc = _run(tmp_path, env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    root = tmp_path / "root"
    config = yaml.safe_load((root / "etc/kubernetes/kubeadm-join.yaml").read_text())
    assert config["discovery"]["bootstrapToken"] == {"apiServerEndpoint": join.endpoint, "token": join.token,
                                                     "caCertHashes": [join.ca_hash]}
    extra = config["nodeRegistration"]["kubeletExtraArgs"]
    assert extra["node-ip"] == node["ip"] and config["nodeRegistration"]["name"] == node["name"]
    assert extra["node-labels"] == "node.kubernetes.io/instance-type=t2.micro,eks.amazonaws.com/capacityType=SPOT"
    calls = _calls(tmp_path)
    assert f"kubeadm join --config {root}/etc/kubernetes/kubeadm-join.yaml" in calls
    assert not any(c.startswith(("engine", "kubeadm init")) for c in calls)  # no control plane, no publishing
    # a second run (the unit restarted after a reboot) does not join again once the kubelet has its kubeconfig
    (root / "etc/kubernetes/kubelet.conf").write_text("joined")
    assert _run(tmp_path, env).returncode == 0
    assert sum(c.startswith("kubeadm join") for c in _calls(tmp_path)) == 1
