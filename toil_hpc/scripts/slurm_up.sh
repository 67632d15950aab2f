#!/usr/bin/env bash
# Bring up a one-node Slurm cluster (munged + slurmctld + slurmd) bound to 127.0.0.1, for toil-hpc's tests.
# Debian 12, root, no systemd, no cgroups, no slurmdbd (finished jobs are read from squeue/scontrol,
# which keep them for MinJobAge seconds).  Memory is enforced by jobacct_gather/linux + OverMemoryKill
# (polled once a second), so a job over its --mem ends OUT_OF_MEMORY.
#
# Usage: slurm_up.sh          install (apt, if needed), configure, start; fast when already up
#        slurm_up.sh stop     stop the daemons this script started (by pid file)
set -euo pipefail
STATE=${SLURM_STATE:-/var/lib/toil-hpc-slurm}
PIDS=$STATE/pids
CONF_VERSION=toil-hpc-5

stop() {
  for f in slurmd slurmctld munged; do
    if [[ -f $PIDS/$f.pid ]]; then
      p=$(cat "$PIDS/$f.pid"); kill "$p" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      rm -f "$PIDS/$f.pid"
    fi
  done
}
if [[ ${1:-} == stop ]]; then stop; exit 0; fi
[[ $(id -u) == 0 ]] || { echo "slurm_up.sh: must run as root" >&2; exit 2; }

node_ready() {
  local st; st=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  [[ $st == idle* || $st == mix* || $st == alloc* || $st == comp* ]]
}

# ---------- fast path ----------
if grep -qs "# $CONF_VERSION" /etc/slurm/slurm.conf && munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 \
   && node_ready; then
  echo "slurm already up"; exit 0
fi

# ---------- install ----------
export DEBIAN_FRONTEND=noninteractive
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null \
   || ! command -v sbatch >/dev/null; then
  command -v apt-get >/dev/null || { echo "slurm_up.sh: Slurm is not installed and apt-get is missing" >&2; exit 3; }
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
mkdir -p "$PIDS" "$STATE/slurmctld" "$STATE/slurmd" /var/log/slurm /run/slurm /etc/slurm

# ---------- munge ----------
mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
chmod 0755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
    || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  for _ in $(seq 50); do [[ -s /run/munge/munged.pid ]] && break; sleep 0.1; done
  cp /run/munge/munged.pid "$PIDS/munged.pid"
fi
munge -n | unmunge >/dev/null

# ---------- slurm.conf ----------
MEM=$(free -m | awk '/^Mem:/{print $2}')
MEM=$(( MEM > 1024 ? MEM - 512 : MEM ))
CPUS=$(nproc)
CPUS=$(( CPUS < 4 ? 4 : CPUS ))   # at least 4 (multi-core test jobs), accepted via config_overrides
NEW=$(mktemp)
cat > "$NEW" <<X
# $CONF_VERSION (written by toil_hpc/scripts/slurm_up.sh)
ClusterName=toilci
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
ReturnToService=2
MpiDefault=none
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SwitchType=switch/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
JobCompType=jobcomp/none
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
Waittime=0
SchedulerParameters=sched_interval=1
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
X
RESTART=
if ! cmp -s "$NEW" /etc/slurm/slurm.conf; then cp "$NEW" /etc/slurm/slurm.conf; RESTART=1; fi
chmod 644 /etc/slurm/slurm.conf
rm -f "$NEW"

# ---------- daemons ----------
running() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
# A daemon that runs without a valid pid file (its file was lost or rewritten) still holds its port:
# adopt it instead of starting a second one that cannot bind.
adopt() {
  local name=$1 pid
  running /run/slurm/$name.pid && return 0
  pid=$(pgrep -o -x "$name" || true)
  [[ -n $pid ]] && echo "$pid" > /run/slurm/$name.pid
  return 0
}
adopt slurmctld; adopt slurmd
if [[ -n $RESTART ]]; then
  for f in slurmd slurmctld; do
    if running /run/slurm/$f.pid; then
      p=$(cat /run/slurm/$f.pid); kill "$p"
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    fi
  done
fi
if ! running /run/slurm/slurmctld.pid; then
  rm -f /run/slurm/slurmctld.pid
  /usr/sbin/slurmctld
  for _ in $(seq 100); do [[ -s /run/slurm/slurmctld.pid ]] && break; sleep 0.1; done
  running /run/slurm/slurmctld.pid || { tail -5 /var/log/slurm/slurmctld.log >&2; echo "slurm_up.sh: slurmctld did not start" >&2; exit 4; }
  cp /run/slurm/slurmctld.pid "$PIDS/slurmctld.pid"
fi
if ! running /run/slurm/slurmd.pid; then
  rm -f /run/slurm/slurmd.pid
  /usr/sbin/slurmd -N localhost
  for _ in $(seq 100); do [[ -s /run/slurm/slurmd.pid ]] && break; sleep 0.1; done
  running /run/slurm/slurmd.pid || { tail -5 /var/log/slurm/slurmd.log >&2; echo "slurm_up.sh: slurmd did not start" >&2; exit 4; }
  cp /run/slurm/slurmd.pid "$PIDS/slurmd.pid"
fi

for _ in $(seq 120); do node_ready && break; sleep 0.5; done
if ! node_ready; then
  scontrol update NodeName=localhost State=RESUME 2>/dev/null || true
  for _ in $(seq 20); do node_ready && break; sleep 0.5; done
fi
sinfo -N -l
node_ready || { echo "slurm_up.sh: the node did not become idle" >&2; exit 4; }
echo "slurm up"
