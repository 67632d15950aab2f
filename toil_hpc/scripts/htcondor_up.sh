#!/usr/bin/env bash
# A personal HTCondor pool on 127.0.0.1 for toil-hpc's tests, in a Debian 13 (trixie) chroot.
#
# Debian 12 has no HTCondor package and installing trixie's on bookworm would upgrade most of the
# system, so: debootstrap a trixie chroot ($CONDOR_ROOT), install htcondor in it and run the
# daemons there (shared port 127.0.0.1:9618, host-based security limited to loopback).  Jobs run
# inside the chroot, which sees the host's /tmp at the same path (bind mount), so job stores and
# batch logs under /tmp are shared.  HTCondor refuses jobs owned by root: they belong to $CI_USER
# (created on the host and in the chroot with the same uid).
#
# With REPO=<checkout> the script also builds a Python environment inside the chroot,
# $CONDOR_VENV (trixie's python3 + toil-core + toil-hpc copied from REPO + htcondor bindings), in
# which a Toil leader and its workers run (the host's interpreter does not exist in the chroot).
# It is rebuilt only when the sources change.
#
# Clients using the htcondor pip bindings set CONDOR_CONFIG=$STATE/condor_client.config on the host
# (as root, add _CONDOR_SEC_CLAIMTOBE_USER=$CI_USER so the jobs belong to $CI_USER), or
# CONDOR_CONFIG=/etc/condor/toil-hpc-client.config inside the chroot.
#
# Usage: htcondor_up.sh [stop]      env: CONDOR_ROOT, CI_USER, REPO, DEBIAN_MIRROR
set -euo pipefail
R=${CONDOR_ROOT:-/opt/toil-hpc-condor-trixie}
CI_USER=${CI_USER:-condorci}
STATE=${CONDOR_STATE:-/var/lib/toil-hpc-condor}
VENV=${CONDOR_VENV:-/opt/toil-hpc-venv}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
REPO=${REPO:-}
DOMAIN=toil-hpc.test

mounts() { echo "$R/proc $R/dev/pts $R/dev $R/tmp"; }
stop() {
  if [[ -x $R/usr/sbin/condor_off ]] && [[ -f $STATE/master.pid ]] && kill -0 "$(cat "$STATE/master.pid")" 2>/dev/null; then
    chroot "$R" condor_off -master -fast >/dev/null 2>&1 || true
    for _ in $(seq 120); do kill -0 "$(cat "$STATE/master.pid")" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$STATE/master.pid"
  for m in $(mounts); do mountpoint -q "$m" && umount -l "$m" || true; done
}
if [[ ${1:-} == stop ]]; then stop; exit 0; fi
[[ $(id -u) == 0 ]] || { echo "htcondor_up.sh: must run as root" >&2; exit 2; }
mkdir -p "$STATE"

# ---------- the chroot ----------
export DEBIAN_FRONTEND=noninteractive
if [[ ! -x $R/usr/sbin/condor_master || ! -x $R/usr/bin/python3 ]] || ! compgen -G "$R/usr/share/python-wheels/pip-*.whl" >/dev/null; then
  if [[ ! -x $R/usr/bin/apt-get ]]; then
    command -v debootstrap >/dev/null || { apt-get -o DPkg::Lock::Timeout=600 update -qq; apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends debootstrap >/dev/null; }
    debootstrap --variant=minbase trixie "$R" "$MIRROR" >"$STATE/debootstrap.log" 2>&1 \
      || { tail -20 "$STATE/debootstrap.log" >&2; echo "htcondor_up.sh: debootstrap failed" >&2; exit 3; }
  fi
  printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod +x "$R/usr/sbin/policy-rc.d"
  chroot "$R" apt-get -o DPkg::Lock::Timeout=600 update -qq
  chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    htcondor python3 python3-venv ca-certificates >/dev/null
fi

# ---------- mounts (idempotent) ----------
mountpoint -q "$R/proc" || mount -t proc proc "$R/proc"
mountpoint -q "$R/dev" || mount --bind /dev "$R/dev"
mountpoint -q "$R/dev/pts" || mount --bind /dev/pts "$R/dev/pts"
mountpoint -q "$R/tmp" || mount --bind /tmp "$R/tmp"
cp /etc/hosts "$R/etc/hosts"          # otherwise getaddrinfo($(hostname)) stalls 5 s per lookup
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true

# ---------- the unprivileged job owner, same uid on both sides ----------
id "$CI_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$CI_USER"
uid=$(id -u "$CI_USER"); gid=$(id -g "$CI_USER")
chroot "$R" getent group "$gid" >/dev/null || chroot "$R" groupadd -g "$gid" "$CI_USER"
chroot "$R" getent passwd "$CI_USER" >/dev/null || chroot "$R" useradd -m -u "$uid" -g "$gid" -s /bin/sh "$CI_USER"

# ---------- pool configuration ----------
CONF=$R/etc/condor/config.d/99-toil-hpc.config
NEW=$(mktemp)
cat > "$NEW" <<X
# written by toil_hpc/scripts/htcondor_up.sh: a one-machine pool, loopback only
CONDOR_HOST = 127.0.0.1
NETWORK_INTERFACE = 127.0.0.1
BIND_ALL_INTERFACES = False
ENABLE_IPV6 = False
UID_DOMAIN = $DOMAIN
FILESYSTEM_DOMAIN = $DOMAIN
use ROLE : CentralManager
use ROLE : Submit
use ROLE : Execute
use SECURITY : HOST_BASED
ALLOW_READ = 127.0.0.1, \$(FULL_HOSTNAME), localhost
ALLOW_WRITE = 127.0.0.1, \$(FULL_HOSTNAME), localhost
ALLOW_ADMINISTRATOR = 127.0.0.1, \$(FULL_HOSTNAME), localhost
ALLOW_DAEMON = 127.0.0.1, \$(FULL_HOSTNAME), localhost
ALLOW_NEGOTIATOR = 127.0.0.1, \$(FULL_HOSTNAME), localhost
SEC_DEFAULT_AUTHENTICATION = OPTIONAL
SEC_DEFAULT_AUTHENTICATION_METHODS = FS, CLAIMTOBE
NEGOTIATOR_INTERVAL = 2
NEGOTIATOR_CYCLE_DELAY = 1
SCHEDD_INTERVAL = 2
STARTER_UPDATE_INTERVAL = 2
# the procd measures job memory every 15 s by default: a short memory hog could go unseen
PID_SNAPSHOT_INTERVAL = 2
UPDATE_INTERVAL = 5
PERIODIC_EXPR_INTERVAL = 5
NUM_CPUS = $(( $(nproc) < 4 ? 4 : $(nproc) ))
NUM_SLOTS = 1
NUM_SLOTS_TYPE_1 = 1
SLOT_TYPE_1 = 100%
SLOT_TYPE_1_PARTITIONABLE = True
START = True
SUSPEND = False
PREEMPT = False
KILL = False
BASE_CGROUP =
CGROUP_MEMORY_LIMIT_POLICY = none
USE_PID_NAMESPACES = False
# the starter cannot unshare a mount namespace inside a chroot (EINVAL) -> no private /tmp
MOUNT_UNDER_SCRATCH =
# no cgroups here: enforce request_memory from the measured resident set size instead
use POLICY : HOLD_IF_MEMORY_EXCEEDED
X
RESTART=
if ! cmp -s "$NEW" "$CONF"; then cp "$NEW" "$CONF"; RESTART=1; fi
chmod 644 "$CONF"
rm -f "$NEW"
cat > "$STATE/condor_client.config" <<X
CONDOR_HOST = 127.0.0.1
COLLECTOR_HOST = 127.0.0.1:9618
NETWORK_INTERFACE = 127.0.0.1
ENABLE_IPV6 = False
SEC_CLIENT_AUTHENTICATION_METHODS = CLAIMTOBE
SEC_DEFAULT_AUTHENTICATION_METHODS = CLAIMTOBE
UID_DOMAIN = $DOMAIN
FILESYSTEM_DOMAIN = $DOMAIN
X
# the same client configuration for Python bindings run inside the chroot (the pip bindings do
# not manage FS authentication against these daemons)
cp "$STATE/condor_client.config" "$R/etc/condor/toil-hpc-client.config"

# ---------- daemons ----------
master_alive() { [[ -f $STATE/master.pid ]] && kill -0 "$(cat "$STATE/master.pid")" 2>/dev/null; }
if master_alive && [[ -n $RESTART ]]; then  # new configuration: start afresh
  chroot "$R" condor_off -master -fast >/dev/null 2>&1 || true
  for _ in $(seq 120); do master_alive || break; sleep 0.5; done
  rm -f "$STATE/master.pid"
fi
if ! master_alive; then
  # a master of this chroot started by an earlier run (pid file lost)?
  existing=$( (pgrep -x condor_master || true) | while read -r p; do
                [[ $(readlink "/proc/$p/root" 2>/dev/null) == "$R" ]] && echo "$p"; done | head -1)
  if [[ -n $existing ]]; then echo "$existing" > "$STATE/master.pid"; else
    chroot "$R" /usr/sbin/condor_master -pidfile /tmp/.toil-hpc-condor-master.pid
    for _ in $(seq 50); do [[ -s /tmp/.toil-hpc-condor-master.pid ]] && break; sleep 0.1; done
    mv /tmp/.toil-hpc-condor-master.pid "$STATE/master.pid"
  fi
fi
ok=
for _ in $(seq 240); do
  if chroot "$R" condor_status -af Name 2>/dev/null | grep -q . && chroot "$R" condor_q >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.5
done
if [[ -z $ok ]]; then
  { chroot "$R" condor_status 2>&1 | tail -5; chroot "$R" condor_q 2>&1 | tail -3
    tail -15 "$R/var/log/condor/MasterLog"; } >&2 || true
  echo "htcondor_up.sh: the pool did not come up" >&2; exit 4
fi

# ---------- a Toil environment inside the chroot ----------
if [[ -n $REPO ]]; then
  SRC=$R/opt/toil-hpc-src
  STAMP=$(cd "$REPO" && find toil_core toil_hpc \( -name '*.egg-info' -o -name build -o -name __pycache__ \) -prune \
            -o -type f \( -name '*.py' -o -name '*.toml' -o -name '*.typed' -o -name '*.md' \) -print0 \
          | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-32)
  if [[ ! -x $R$VENV/bin/python || $(cat "$R$VENV/.toil-hpc-stamp" 2>/dev/null) != "$STAMP" ]]; then
    rm -rf "$SRC"; mkdir -p "$SRC"
    for d in toil_core toil_hpc; do
      (cd "$REPO" && tar --exclude='*.egg-info' --exclude=build --exclude=__pycache__ -cf - "$d") | tar -xf - -C "$SRC"
    done
    [[ -x $R$VENV/bin/python ]] || chroot "$R" python3 -m venv "$VENV"
    # trust what the host trusts (e.g. a TLS-intercepting proxy's CA in the host's bundle)
    CERT=()
    if [[ -s /etc/ssl/certs/ca-certificates.crt ]]; then
      cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/toil-hpc-host-ca.crt"
      H=/etc/ssl/certs/toil-hpc-host-ca.crt; CERT=(PIP_CERT=$H SSL_CERT_FILE=$H REQUESTS_CA_BUNDLE=$H)
    fi
    PIP=(chroot "$R" env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL PIP_NO_CACHE_DIR=1 "${CERT[@]}" "$VENV/bin/python" -m pip install
         -q --disable-pip-version-check)
    # dependencies first (a no-op when satisfied), then this checkout's code over whatever is there
    "${PIP[@]}" /opt/toil-hpc-src/toil_core /opt/toil-hpc-src/toil_hpc 'htcondor>=24,<25' >"$STATE/pip.log" 2>&1 \
      && "${PIP[@]}" --no-deps --force-reinstall /opt/toil-hpc-src/toil_core /opt/toil-hpc-src/toil_hpc \
           >>"$STATE/pip.log" 2>&1 \
      || { tail -20 "$STATE/pip.log" >&2; echo "htcondor_up.sh: installing Toil in the chroot failed" >&2; exit 5; }
    echo "$STAMP" > "$R$VENV/.toil-hpc-stamp"
  fi
fi
echo "htcondor up: chroot $R, user $CI_USER, client config $STATE/condor_client.config${REPO:+, venv $VENV}"
