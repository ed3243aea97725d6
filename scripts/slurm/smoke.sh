#!/usr/bin/env bash
# End-to-end check of the Slurm route on one Debian machine (as root):
# installs slurm-wlm and munge if missing, starts munge and a single-node
# Slurm cluster on this host, submits a real scenario as a job array of
# shards plus a dependent merge job, waits, compares the merged result with a
# single-process run, stops the daemons it started, and exits 0 only if the
# two are identical (every count and float; the timing fields excepted).
#
#   scripts/slurm/smoke.sh [SCENARIO] [SHARDS] [REPLICATES]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scenario=${1:-$root/scenarios/jia_mtx_withdrawal.toml}
shards=${2:-4}
replicates=${3:-4000}
work=$(mktemp -d /tmp/trialsim-slurm.XXXXXX)
# "NAME PID" of each daemon this script started; the EXIT trap stops exactly
# these (a daemon that was already running is never touched).
started=()

# Records the daemon NAME whose pid file is PIDFILE (waiting for the file).
remember() {
  local name=$1 pidfile=$2 pid=""
  for _ in $(seq 50); do
    [ -s "$pidfile" ] && pid=$(cat "$pidfile") && break
    sleep 0.1
  done
  [ -n "$pid" ] || { echo "smoke: $name wrote no pid file $pidfile"; return 1; }
  started+=("$name $pid")
}

stop() {
  local i name pid
  # Newest first: the Slurm daemons before the munged they authenticate with.
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    read -r name pid <<<"${started[i]}"
    # Only if that pid is still the daemon we started (not a reused pid).
    [ "$(ps -p "$pid" -o comm= 2>/dev/null)" = "$name" ] || continue
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "smoke: installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
(cd "$root" && cargo build --release --quiet)
export TRIALSIM=$root/target/release/trialsim

# munge: a key, and the daemon unless one already answers.
if ! munge -n </dev/null >/dev/null 2>&1; then
  [ -s /etc/munge/munge.key ] || { mkdir -p /etc/munge; dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
  chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge
  # munged runs as munge, so its pid file must be in a folder munge can
  # reach and write: $work is root's (mode 700), /run/munge is munge's.
  munge_pid=/run/munge/trialsim-smoke-$$.pid
  runuser -u munge -- munged --pid-file="$munge_pid"
  remember munged "$munge_pid"
  for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
fi

host=$(hostname -s)
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF=$work/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=trialsim-smoke
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=smoke Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
# No CgroupPlugin line: slurmd picks cgroup v1 or v2 to match the host.
echo "# CgroupPlugin autodetected" >"$work/cgroup.conf"
fail() { echo "smoke: $1"; tail -n 20 "$work"/slurm*.log 2>/dev/null; exit 1; }
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
remember slurmctld "$work/slurmctld.pid" || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
remember slurmd "$work/slurmd.pid" || fail "slurmd did not start"
for _ in $(seq 100); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.2; done
sinfo -h -o "%P %D %T" | grep -q idle || fail "the node did not become idle"

out=$work/cluster
cd "$work"
merge=$("$root/scripts/slurm/submit.sh" "$scenario" "$shards" "$out" -- --replicates "$replicates")
echo "smoke: submitted $shards shards and merge job $merge"
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "$merge" 2>/dev/null)" ] && break
  sleep 0.5
done
name=$("$TRIALSIM" check "$scenario" | sed -n 's/^.*: ok (\([^,]*\),.*$/\1/p')
[ -f "$out/$name/summary.json" ] || { cat "$work"/trialsim-*.log 2>/dev/null; fail "no merged summary"; }

"$TRIALSIM" run "$scenario" --quiet --replicates "$replicates" --out "$work/single"
strip() { grep -v -e '"elapsed_s"' -e '"seconds"' -e '"threads"' "$1"; }
if diff <(strip "$work/single/$name/summary.json") <(strip "$out/$name/summary.json") >/dev/null \
  && diff <(sed 's/,[^,]*$//' "$work/single/$name/summary.csv") <(sed 's/,[^,]*$//' "$out/$name/summary.csv") >/dev/null; then
  echo "smoke: the $shards-shard Slurm run equals the single run"
  exit 0
fi
echo "smoke: the merged run differs from the single run"
diff <(strip "$work/single/$name/summary.json") <(strip "$out/$name/summary.json") | head -20
exit 1
