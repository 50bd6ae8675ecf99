#!/usr/bin/env bash
# Single-node Slurm cluster on localhost, for CI (Debian 12 "bookworm", root,
# no systemd as PID 1). Daemons are started directly, never via systemctl.
#
#   local-cluster.sh install   apt-get install slurm-wlm + munge (idempotent)
#   local-cluster.sh start     write slurm.conf, start munged/slurmctld/slurmd,
#                              wait until the node is idle
#   local-cluster.sh stop      stop the daemons (no error if already stopped)
#   local-cluster.sh status    sinfo + squeue
#   local-cluster.sh logs      print the daemon logs
#
# Everything this script writes, apart from the Slurm config files and munge's
# own default paths, lives in $DCPLAN_SLURM_DIR (default /tmp/dcplan-slurm):
#   log/slurmctld.log log/slurmd.log log/jobcomp.log   daemon logs
#   state/ spool/ run/                                 Slurm state, pid files
# munged logs to its default /var/log/munge/munged.log.
#
# Notes for job scripts:
# - no accounting database: `sacct` does not work. Read a finished job's state
#   with `scontrol show job <id>` (kept MinJobAge=3600 s after it ends) or
#   in log/jobcomp.log (one line per finished job, JobState=... ExitCode=...).
# - DependencyParameters=kill_invalid_depend: a job whose afterok dependency can
#   never be satisfied is cancelled instead of staying PENDING forever.
set -euo pipefail

DIR="${DCPLAN_SLURM_DIR:-/tmp/dcplan-slurm}"
LOG="$DIR/log"
CONF_DIR="${DCPLAN_SLURM_CONF_DIR:-/etc/slurm}"
CONF="$CONF_DIR/slurm.conf"
START_TIMEOUT="${DCPLAN_SLURM_START_TIMEOUT:-60}"
MUNGE_PID=/run/munge/munged.pid
CTLD_PID="$DIR/run/slurmctld.pid"
SLURMD_PID="$DIR/run/slurmd.pid"

say() { echo "[local-cluster] $*"; }
die() { echo "[local-cluster] ERROR: $*" >&2; exit 1; }
run() { say "+ $*"; "$@"; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# Short host name: the NodeName slurmd looks for.
short_host() { local h; h="$(hostname -s 2>/dev/null || uname -n)"; echo "${h%%.*}"; }

# ---------------------------------------------------------------- install
cmd_install() {
    need_root
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
       command -v sinfo >/dev/null && command -v munged >/dev/null; then
        say "slurm and munge already installed: $(slurmd -V)"
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    # The packages' postinst scripts try to start their services. Stop them
    # (Docker images already ship a policy-rc.d that does this).
    local policy=/usr/sbin/policy-rc.d own_policy=0
    if [ ! -e "$policy" ]; then
        say "installing a temporary $policy so apt does not start services"
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        own_policy=1
    fi
    local rc=0
    run apt-get update -q || rc=$?
    if [ "$rc" = 0 ]; then
        run apt-get install -y -q --no-install-recommends \
            slurm-wlm munge || rc=$?
    fi
    [ "$own_policy" = 1 ] && rm -f "$policy"
    [ "$rc" = 0 ] || die "apt-get failed (rc=$rc)"
    say "installed: $(slurmd -V)"
}

# ---------------------------------------------------------------- helpers
pid_alive() {  # pid_alive PIDFILE -> prints pid, true if that process runs
    local f="$1" pid
    [ -s "$f" ] || return 1
    pid="$(cat "$f" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

stop_pidfile() {  # stop_pidfile NAME PIDFILE
    local name="$1" f="$2" pid
    if ! pid="$(pid_alive "$f")"; then
        say "$name: not running"
        rm -f "$f"
        return 0
    fi
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do          # up to 20 s
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name did not stop after 20 s, sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$f"
}

show_logs() {
    local f
    for f in "$LOG/slurmctld.log" "$LOG/slurmd.log" /var/log/munge/munged.log; do
        echo "===== $f (last 60 lines)"
        tail -n 60 "$f" 2>/dev/null || echo "(missing)"
    done
}

fail_start() {
    echo "[local-cluster] ERROR: $*" >&2
    show_logs >&2
    echo "===== sinfo" >&2
    sinfo -N -l >&2 2>&1 || true
    echo "===== scontrol show node" >&2
    scontrol show node >&2 2>&1 || true
    exit 1
}

# ---------------------------------------------------------------- start
write_config() {
    local host cpus mem_kb mem_mb
    host="$(short_host)"
    cpus="$(nproc)"
    mem_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
    # Advertise a bit less than MemTotal so slurmd's own measurement never
    # comes out lower than the configured value (which would drain the node).
    mem_mb=$(( mem_kb * 95 / 100 / 1024 ))
    [ "$mem_mb" -ge 1 ] || mem_mb=1

    mkdir -p "$CONF_DIR"
    say "writing $CONF (node $host: CPUs=$cpus RealMemory=${mem_mb}M)"
    cat >"$CONF" <<EOF
# Written by deploy/slurm/local-cluster.sh: single-node test cluster.
ClusterName=dcplan
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: track processes through /proc, no task containment.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd: sacct does not work. Finished jobs go to jobcomp.log and stay
# visible to scontrol/squeue for MinJobAge seconds.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.log
MinJobAge=3600
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
ReturnToService=2
# Use the node definition below even if slurmd measures the hardware differently.
SlurmdParameters=config_overrides
# Cancel jobs whose dependency can never be satisfied (else they pend forever).
DependencyParameters=kill_invalid_depend
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
Waittime=0
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
    # cgroup.conf is only read by cgroup plugins, which are not configured;
    # write a harmless one so no daemon complains about it missing.
    cat >"$CONF_DIR/cgroup.conf" <<EOF
# Written by deploy/slurm/local-cluster.sh: cgroups are not used.
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
EOF
}

start_munge() {
    if getent passwd munge >/dev/null; then :; else die "user munge missing: run '$0 install'"; fi
    if [ ! -s /etc/munge/munge.key ]; then
        say "creating munge key"
        mkdir -p /etc/munge
        if command -v mungekey >/dev/null; then
            run mungekey --create --keyfile=/etc/munge/munge.key
        else
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
        fi
    fi
    chown -R munge:munge /etc/munge
    chmod 700 /etc/munge
    chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge /run/munge /var/lib/munge /var/log/munge
    chmod 755 /run/munge
    chmod 700 /var/log/munge
    chmod 711 /var/lib/munge

    local pid
    if pid="$(pid_alive "$MUNGE_PID")"; then
        say "munged already running (pid $pid)"
    else
        rm -f "$MUNGE_PID" /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
        say "starting munged"
        run runuser -u munge -- /usr/sbin/munged \
            || fail_start "munged failed to start"
    fi
    for _ in $(seq 1 50); do
        munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && { say "munge OK"; return 0; }
        sleep 0.2
    done
    fail_start "munge -n | unmunge does not work after 10 s"
}

cmd_start() {
    need_root
    command -v slurmctld >/dev/null || die "slurm not installed: run '$0 install'"
    local t0=$SECONDS pid host
    host="$(short_host)"
    mkdir -p "$LOG" "$DIR/state" "$DIR/spool" "$DIR/run"
    chmod 755 "$DIR" "$LOG"

    write_config
    start_munge

    if pid="$(pid_alive "$CTLD_PID")"; then
        say "slurmctld already running (pid $pid)"
    else
        # -c: cold start, drop jobs saved by an earlier run (clean CI state).
        say "starting slurmctld"
        run /usr/sbin/slurmctld -c -f "$CONF" || fail_start "slurmctld failed to start"
    fi
    until scontrol ping 2>/dev/null | grep -q 'is UP'; do
        (( SECONDS - t0 < START_TIMEOUT )) || fail_start "slurmctld not answering after ${START_TIMEOUT}s"
        pid_alive "$CTLD_PID" >/dev/null || { sleep 1; pid_alive "$CTLD_PID" >/dev/null ||
            fail_start "slurmctld is not running"; }
        sleep 0.5
    done

    if pid="$(pid_alive "$SLURMD_PID")"; then
        say "slurmd already running (pid $pid)"
    else
        say "starting slurmd"
        run /usr/sbin/slurmd -f "$CONF" || fail_start "slurmd failed to start"
    fi

    say "waiting (up to ${START_TIMEOUT}s) for node $host to be idle"
    local state=""
    while :; do
        state="$(sinfo -h -N -n "$host" -o '%T' 2>/dev/null | head -n1 || true)"
        case "$state" in
            idle) break ;;
            down*|drain*|fail*)
                # ReturnToService=2 normally clears this once slurmd registers;
                # force it if the node was left down by an earlier run.
                scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
        esac
        (( SECONDS - t0 < START_TIMEOUT )) ||
            fail_start "node $host not idle after ${START_TIMEOUT}s (state: '${state:-unknown}')"
        pid_alive "$SLURMD_PID" >/dev/null || { sleep 1; pid_alive "$SLURMD_PID" >/dev/null ||
            fail_start "slurmd is not running"; }
        pid_alive "$CTLD_PID" >/dev/null || fail_start "slurmctld is not running"
        sleep 1
    done
    say "cluster up in $(( SECONDS - t0 ))s; logs in $LOG"
    sinfo
}

# ---------------------------------------------------------------- stop/status
cmd_stop() {
    need_root
    # Kill leftover jobs first so slurmd exits promptly.
    if pid_alive "$CTLD_PID" >/dev/null; then
        local jobs
        jobs="$(squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ' || true)"
        if [ -n "${jobs// /}" ]; then
            say "cancelling leftover jobs: $jobs"
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null || true
        fi
    fi
    stop_pidfile slurmd "$SLURMD_PID"
    stop_pidfile slurmctld "$CTLD_PID"
    stop_pidfile munged "$MUNGE_PID"
    say "stopped; logs kept in $LOG"
}

cmd_status() {
    local name f pid
    for name in munged slurmctld slurmd; do
        case $name in
            munged) f=$MUNGE_PID ;; slurmctld) f=$CTLD_PID ;; slurmd) f=$SLURMD_PID ;;
        esac
        if pid="$(pid_alive "$f")"; then say "$name running (pid $pid)"; else say "$name not running"; fi
    done
    # Without slurmctld, sinfo/squeue retry for ~10 s each before failing.
    if ! pid_alive "$CTLD_PID" >/dev/null; then
        say "slurmctld is down: no sinfo/squeue"
        return 0
    fi
    echo "== sinfo"
    sinfo -N -l || true
    echo "== squeue (pending/running)"
    squeue -l || true
}

case "${1:-}" in
    install) cmd_install ;;
    start)   cmd_start ;;
    stop)    cmd_stop ;;
    status)  cmd_status ;;
    logs)    show_logs ;;
    *) echo "usage: $0 {install|start|stop|status|logs}" >&2; exit 2 ;;
esac
