#!/usr/bin/env bash
# Bring up a one-node (Son of) Grid Engine inside a private network namespace, for toil-hpc's tests.
#
# SGE's qmaster and execd bind every interface, so they run in the network namespace $SGE_NETNS
# (only a loopback device inside): nothing is reachable from outside the machine.  Every client
# (qsub, qstat, qacct, qdel, qconf, qhost) has to run in that namespace too; this script writes
# wrappers for them into $SGE_STATE/bin, so putting that directory first on PATH is all a user of
# the cluster needs.  Jobs run as the submitting user (root allowed).
#
# Usage: sge_up.sh          install (apt, if needed), configure and start; fast when already up
#        sge_up.sh stop     stop the daemons and delete the namespace
# Prints the wrapper directory as the last line ("bin: DIR").
set -euo pipefail
export SGE_ROOT=${SGE_ROOT:-/var/lib/gridengine} SGE_CELL=${SGE_CELL:-default}
NS=${SGE_NETNS:-toil-sge}
STATE=${SGE_STATE:-/var/lib/toil-hpc-sge}
PIDS=$STATE/pids
BIN=$STATE/bin
H=$(hostname)
CLIENTS="qsub qstat qacct qdel qconf qhost qalter qhold qrls"

in_ns() { ip netns exec "$NS" "$@"; }

stop() {
  for f in execd qmaster; do
    if [[ -f $PIDS/$f.pid ]]; then
      p=$(cat "$PIDS/$f.pid"); kill "$p" 2>/dev/null || true
      for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      rm -f "$PIDS/$f.pid"
    fi
  done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "/etc/netns/$NS"
}

if [[ ${1:-} == stop ]]; then stop; exit 0; fi
[[ $(id -u) == 0 ]] || { echo "sge_up.sh: must run as root" >&2; exit 2; }

# ---------- fast path: already up ----------
if [[ -f $STATE/configured.v5 && -x $BIN/qstat ]] && "$BIN/qstat" -f 2>/dev/null | grep -q "all.q@"; then
  if ! "$BIN/qstat" -f 2>/dev/null | grep -Eq "all.q@\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+lx-amd64\s+[a-zA-Z]"; then
    echo "bin: $BIN"; exit 0
  fi
fi

# ---------- install ----------
export DEBIAN_FRONTEND=noninteractive
if [[ ! -x /usr/lib/gridengine/qsub || ! -x /usr/sbin/sge_qmaster || ! -x /usr/sbin/sge_execd ]]; then
  command -v apt-get >/dev/null || { echo "sge_up.sh: Grid Engine is not installed and apt-get is missing" >&2; exit 3; }
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends gridengine-master gridengine-exec gridengine-client >/dev/null
fi
command -v ip >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends iproute2 >/dev/null

# ---------- network namespace with loopback only ----------
if ! ip netns list | awk '{print $1}' | grep -qx "$NS"; then
  ip netns add "$NS"
fi
mkdir -p "/etc/netns/$NS"
# inside the namespace the host name must resolve to the loopback address (ip netns exec bind-mounts
# /etc/netns/$NS/hosts over /etc/hosts); listing $H first makes 127.0.0.1 reverse-resolve to it
FQDN=$(hostname -f 2>/dev/null || echo "$H")
printf '127.0.0.1 %s localhost %s\n::1 localhost ip6-localhost\n' "$H" "$([[ $FQDN != "$H" ]] && echo "$FQDN")" \
  > "/etc/netns/$NS/hosts"
in_ns ip link set lo up

# ---------- client wrappers ----------
mkdir -p "$PIDS" "$BIN" /var/run/gridengine /var/spool/gridengine/execd
chown sgeadmin:sgeadmin /var/run/gridengine /var/spool/gridengine/execd
for c in $CLIENTS; do
  cat > "$BIN/$c.tmp" <<W
#!/bin/sh
# $c of the test Grid Engine, run inside network namespace $NS (written by toil_hpc/scripts/sge_up.sh)
export SGE_ROOT=$SGE_ROOT SGE_CELL=$SGE_CELL
exec ip netns exec $NS /usr/lib/gridengine/$c "\$@"
W
  chmod 755 "$BIN/$c.tmp"; mv "$BIN/$c.tmp" "$BIN/$c"
done
export PATH=$BIN:$PATH

COMMON=$SGE_ROOT/$SGE_CELL/common
# the non-interactive package install leaves act_qmaster empty; commlib compares host names
echo "$H" > "$COMMON/act_qmaster"
echo "$H localhost $([[ $FQDN != "$H" ]] && echo "$FQDN")" > "$COMMON/host_aliases"

if ! qstat >/dev/null 2>&1; then
  if [[ -f $PIDS/qmaster.pid ]]; then kill "$(cat "$PIDS/qmaster.pid")" 2>/dev/null || true; fi
  rm -f /var/spool/gridengine/qmaster/qmaster.pid
  in_ns /usr/sbin/sge_qmaster
  for _ in $(seq 300); do qconf -sh >/dev/null 2>&1 && break; sleep 0.2; done
  cp /var/spool/gridengine/qmaster/qmaster.pid "$PIDS/qmaster.pid"
fi

qconf -sh | grep -qx "$H" || qconf -ah "$H" >/dev/null
qconf -ss 2>/dev/null | grep -qx "$H" || qconf -as "$H" >/dev/null

ED=$(mktemp); chmod +x "$ED"; trap 'rm -f "$ED"' EXIT
SLOTS=$(nproc); SLOTS=$(( SLOTS < 4 ? 4 : SLOTS ))   # at least 4 (multi-core test jobs)
if ! qconf -sel 2>/dev/null | grep -qx "$H"; then
  cat > "$STATE/exechost" <<X
hostname              $H
load_scaling          NONE
complex_values        NONE
user_lists            NONE
xuser_lists           NONE
projects              NONE
xprojects             NONE
usage_scaling         NONE
report_variables      NONE
X
  qconf -Ae "$STATE/exechost" >/dev/null
fi
# parallel environments for multi-core jobs (TOIL_GRIDENGINE_PE, default smp)
for pe in smp shm; do
  if ! qconf -spl 2>/dev/null | grep -qx $pe; then
    cat > "$STATE/pe_$pe" <<X
pe_name            $pe
slots              999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    \$pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
X
    qconf -Ap "$STATE/pe_$pe" >/dev/null
  fi
done
# queue all.q on this host with both parallel environments
if ! qconf -sql 2>/dev/null | grep -qx all.q; then
  cat > "$ED" <<X
#!/bin/sh
sed -i -e 's/^qname .*/qname all.q/' -e 's/^hostlist .*/hostlist $H/' \
       -e 's/^slots .*/slots $SLOTS/' -e 's/^pe_list .*/pe_list smp shm/' "\$1"
X
  EDITOR=$ED qconf -aq >/dev/null 2>&1
fi
# no load alarm: on a busy machine the default np_load_avg=1.75 threshold stops all dispatching
if ! qconf -sq all.q | grep -Eq '^load_thresholds\s+NONE' || ! qconf -sq all.q | grep -Eq "^slots\s+$SLOTS\$"; then
  cat > "$ED" <<X
#!/bin/sh
sed -i -e 's/^load_thresholds .*/load_thresholds NONE/' -e 's/^slots .*/slots $SLOTS/' "\$1"
X
  EDITOR=$ED qconf -mq all.q >/dev/null 2>&1
fi
# scheduler: react within a second (default 15 s)
cat > "$ED" <<'X'
#!/bin/sh
sed -i -e 's/^schedule_interval .*/schedule_interval 0:0:1/' -e 's/^flush_submit_sec .*/flush_submit_sec 1/' \
       -e 's/^flush_finish_sec .*/flush_finish_sec 1/' "$1"
X
EDITOR=$ED qconf -msconf >/dev/null 2>&1
# allow jobs from root (the CI runs as root); the default min_uid/min_gid is 1000
cat > "$ED" <<'X'
#!/bin/sh
sed -i -e 's/^min_uid .*/min_uid 0/' -e 's/^min_gid .*/min_gid 0/' "$1"
# write accounting records (read by qacct) at once instead of every 15 s
grep -q accounting_flush_time "$1" || sed -i -e 's/\bflush_time=[0-9:]*/flush_time=00:00:01 accounting_flush_time=00:00:00/' "$1"
X
EDITOR=$ED qconf -mconf global >/dev/null 2>&1

if ! [[ -f $PIDS/execd.pid ]] || ! kill -0 "$(cat "$PIDS/execd.pid")" 2>/dev/null; then
  in_ns /usr/sbin/sge_execd
  p=
  for _ in $(seq 100); do
    p=$(pgrep -u sgeadmin -x sge_execd | head -1 || true); [[ -n $p ]] && break; sleep 0.1; done
  echo "$p" > "$PIDS/execd.pid"
fi
up=
for _ in $(seq 200); do
  if qstat -f 2>/dev/null | grep -q "all.q@$H.*lx-amd64" && ! qstat -f | grep -Eq "all.q@$H\S*\s.*lx-amd64\s+[a-zA-Z]"; then
    up=1; break
  fi
  sleep 0.3
done
qstat -f
[[ -n $up ]] || { echo "sge_up.sh: the execution host did not come up" >&2; exit 4; }
touch "$STATE/configured.v5"
echo "bin: $BIN"
