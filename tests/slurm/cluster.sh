#!/usr/bin/env bash
# A one-node SLURM cluster on loopback, for tests of the SLURM profile.
#
#   tests/slurm/cluster.sh install  install munged, slurmctld, slurmd and the clients (if missing)
#   tests/slurm/cluster.sh start    install (if missing) and start munged, slurmctld, slurmd
#   tests/slurm/cluster.sh stop     stop the daemons this script started
#   tests/slurm/cluster.sh status   show whether they run, and sinfo
#   tests/slurm/cluster.sh env      print the environment clients need (eval "$(... env)")
#
# Needs root and apt (Debian/Ubuntu packages slurmctld, slurmd, slurm-client, munge).
# Everything it writes lives under $LANGSPEC_SLURM_DIR (default /tmp/langspec-slurm):
# slurm.conf, munge key and socket, state, spool, logs, pid files. If the machine has
# no /etc/slurm/slurm.conf of its own, a symlink to ours is put there so that plain
# `sinfo` works; clients can always use SLURM_CONF=$LANGSPEC_SLURM_DIR/slurm.conf.
#
# Every daemon listens on 127.0.0.1 only (SlurmctldHost=localhost(127.0.0.1),
# NodeAddr=127.0.0.1, CommunicationParameters=NoCtldInAddrAny,NoInAddrAny).
# No cgroups (proctrack/linuxproc, task/none), no slurmdbd: job status is read with
# squeue, which keeps finished jobs for MinJobAge seconds. The node has the machine's
# real CPUs (or $LANGSPEC_SLURM_CPUS) and memory, and $LANGSPEC_SLURM_GPUS fake GPUs so that jobs asking for
# --gpus=N can be scheduled (nothing uses them; 0 for none). The default is one per
# CPU, so that GPU jobs run as many side by side as CPU jobs do (with one, every GPU
# job of the workflow would wait for the previous one).
set -euo pipefail

D=${LANGSPEC_SLURM_DIR:-/tmp/langspec-slurm}
CTLD_PORT=${LANGSPEC_SLURM_PORT:-6817}
SLURMD_PORT=$((CTLD_PORT + 1))
CLUSTER=langspec-test
NODE=localhost
PARTITION=debug
TIMEOUT=${LANGSPEC_SLURM_TIMEOUT:-60}
CPUS=${LANGSPEC_SLURM_CPUS:-}  # CPUs the node advertises, if not the machine's (see slurm_conf)
GPUS=${LANGSPEC_SLURM_GPUS:-${CPUS:-$(nproc)}}  # fake GPUs the node advertises (see write_config)
CONF=$D/slurm.conf
ETC_CONF=/etc/slurm/slurm.conf
export SLURM_CONF=$CONF

log() { echo "cluster.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }

install_packages() {
    local missing=()
    command -v munged >/dev/null || missing+=(munge)
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    { command -v sbatch && command -v squeue && command -v scontrol; } >/dev/null || missing+=(slurm-client)
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    log "installing ${missing[*]} with apt-get"
    # Keep the packages' maintainer scripts from starting system services.
    local made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    local rc=0
    # wait for apt's locks rather than fail: the browser test may install Chromium at the same time
    local wait=(-o DPkg::Lock::Timeout=900)
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y --no-install-recommends -q)
    if ! "${apt[@]}" "${missing[@]}" >"$D/apt.log" 2>&1; then
        log "apt-get install failed; running apt-get update and retrying"
        apt-get "${wait[@]}" update -q >>"$D/apt.log" 2>&1 || true
        "${apt[@]}" "${missing[@]}" >>"$D/apt.log" 2>&1 || rc=$?
    fi
    [ $made_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d
    [ $rc -eq 0 ] || { tail -20 "$D/apt.log" >&2; die "apt-get install ${missing[*]} failed (log: $D/apt.log)"; }
}

pid_alive() {  # pid_alive FILE: the pid in FILE is a running process
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

node_state() {
    sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null | head -1 || true
}

slurm_conf() {  # print the cluster's slurm.conf
    # The node as slurmd measures it (CPUs, sockets/cores/threads, RealMemory), so that
    # it is never drained for a mismatch; nproc and /proc/meminfo if slurmd -C fails.
    local hw
    hw=$(slurmd -C 2>/dev/null | head -1 | grep -o -E '(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=[0-9]+' | tr '\n' ' ' || true)
    case "$hw" in
        *CPUs=*RealMemory=*) ;;
        *) hw="CPUs=$(nproc) RealMemory=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)" ;;
    esac
    # $LANGSPEC_SLURM_CPUS overrides the CPU count (SlurmdParameters=config_overrides
    # keeps slurmd from draining the node for it): more CPUs than cores run more
    # jobs side by side, which overlaps the jobs' start-up waits.
    [ -n "$CPUS" ] && hw="CPUs=$CPUS $(echo "$hw" | grep -o -E 'RealMemory=[0-9]+') "
    local gres=""
    [ "$GPUS" -gt 0 ] && gres="Gres=gpu:$GPUS"
    cat <<EOF
# Written by tests/slurm/cluster.sh: a one-node test cluster on loopback.
ClusterName=$CLUSTER
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket.2
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$D/plugstack.conf
# No cgroups.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd: sacct has no data; job status comes from squeue (finished jobs are
# kept for MinJobAge seconds) and finished jobs are also logged to JobCompLoc.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$D/log/jobcomp.log
MinJobAge=3600
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
GresTypes=gpu
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE ${hw}$gres State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

write_config() {
    slurm_conf > "$CONF"
    : > "$D/plugstack.conf"
    # Fake GPUs (plain files standing in for device files; Slurm drops file-less GPUs):
    # jobs that request --gpus=N get scheduled here, so the profile's GPU mapping can
    # be tested on a machine without GPUs. No cgroups, so nothing opens these files.
    if [ "$GPUS" -gt 0 ]; then
        mkdir -p "$D/dev"
        touch $(seq -f "$D/dev/fakegpu%g" 0 $((GPUS - 1)))
        echo "NodeName=$NODE Name=gpu File=$D/dev/fakegpu[0-$((GPUS - 1))]" > "$D/gres.conf"
    else
        : > "$D/gres.conf"
    fi
}

start_munge() {
    if pid_alive "$D/run/munged.pid" && [ -S "$D/munge/munge.socket.2" ]; then
        return 0
    fi
    if [ ! -s "$D/munge/munge.key" ]; then
        if command -v mungekey >/dev/null; then
            mungekey --create --keyfile="$D/munge/munge.key" --force
        else
            dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none
        fi
    fi
    chmod 0400 "$D/munge/munge.key"
    rm -f "$D/munge/munge.socket.2" "$D/munge/munge.socket.2.lock"
    munged --force --socket="$D/munge/munge.socket.2" --key-file="$D/munge/munge.key" \
        --pid-file="$D/run/munged.pid" --log-file="$D/log/munged.log" \
        --seed-file="$D/munge/munged.seed" \
        || die "munged did not start (log: $D/log/munged.log)"
}

link_etc_conf() {
    # Let plain clients find the config, unless the machine has a slurm.conf of its own.
    mkdir -p /etc/slurm
    if [ -L "$ETC_CONF" ] || [ ! -e "$ETC_CONF" ]; then
        ln -sfn "$CONF" "$ETC_CONF"
    else
        log "note: $ETC_CONF exists and is not ours; clients need SLURM_CONF=$CONF"
    fi
}

cmd_start() {
    [ "$(id -u)" -eq 0 ] || die "must run as root"
    local t0
    t0=$(now)
    if pid_alive "$D/run/munged.pid" && pid_alive "$D/run/slurmctld.pid" && pid_alive "$D/run/slurmd.pid"; then
        case "$(node_state)" in
            idle|mixed|allocated|completing)
                # the configuration this script writes now (GPUs, MinJobAge, ...), else restart
                if [ "$(slurm_conf)" = "$(cat "$CONF" 2>/dev/null)" ]; then
                    log "already running (node $NODE $(node_state)); SLURM_CONF=$CONF"
                    return 0
                fi
                log "running with another configuration: restarting" ;;
        esac
    fi
    cmd_stop >/dev/null 2>&1 || true
    mkdir -p "$D"
    install_packages
    # Fresh state every start: no jobs or node states carried over.
    rm -rf "$D/state" "$D/spool" "$D/log" "$D/run" "$D/dev"
    mkdir -p "$D/state" "$D/spool" "$D/log" "$D/run" "$D/munge"
    chmod 0755 "$D/munge"  # the key inside is 0400
    chmod 0755 "$D" "$D/run" "$D/log"
    write_config
    link_etc_conf
    start_munge
    slurmctld -f "$CONF" -i || die "slurmctld did not start; log: $D/log/slurmctld.log"
    slurmd -f "$CONF" -N "$NODE" || die "slurmd did not start; log: $D/log/slurmd.log"
    local state="" deadline
    deadline=$(( $(date +%s) + TIMEOUT ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        state=$(node_state)
        case "$state" in
            idle) break ;;
            inval*) break ;;  # rejected configuration: waiting will not help
            drain*|down*|fail*)
                # A node that registered as down after a restart: resume it.
                scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
        esac
        sleep 0.5
    done
    if [ "$state" != idle ]; then
        log "node $NODE is '${state:-not reported}' after ${TIMEOUT}s, not idle"
        log "--- slurmctld.log"; tail -20 "$D/log/slurmctld.log" >&2 || true
        log "--- slurmd.log"; tail -20 "$D/log/slurmd.log" >&2 || true
        scontrol show node "$NODE" >&2 || true
        die "cluster did not come up within ${TIMEOUT}s"
    fi
    log "cluster $CLUSTER up: node $NODE idle in partition $PARTITION after $(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}')s; SLURM_CONF=$CONF"
}

cmd_stop() {
    if pid_alive "$D/run/slurmctld.pid"; then
        scancel --state=PENDING,RUNNING --full --quiet -p "$PARTITION" >/dev/null 2>&1 || true
    fi
    # Only the daemons this script started (their pid files), all at once: each takes
    # about two seconds to shut down.
    local name pid pids=() names=() i
    for name in slurmd slurmctld munged; do
        if pid_alive "$D/run/$name.pid"; then
            pid=$(cat "$D/run/$name.pid")
            kill "$pid" 2>/dev/null || true
            pids+=("$pid"); names+=("$name")
        fi
        rm -f "$D/run/$name.pid"
    done
    for i in "${!pids[@]}"; do
        for _ in $(seq 1 100); do
            kill -0 "${pids[$i]}" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "${pids[$i]}" 2>/dev/null && kill -9 "${pids[$i]}" 2>/dev/null || true
        log "stopped ${names[$i]} (${pids[$i]})"
    done
    if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ]; then
        rm -f "$ETC_CONF"
    fi
}

cmd_status() {
    local name rc=0
    for name in munged slurmctld slurmd; do
        if pid_alive "$D/run/$name.pid"; then
            echo "$name: running ($(cat "$D/run/$name.pid"))"
        else
            echo "$name: stopped"; rc=1
        fi
    done
    if [ $rc -eq 0 ]; then
        sinfo -N -o '%N %P %T %c %m' || rc=1
    fi
    return $rc
}

case "${1:-}" in
    install) mkdir -p "$D" && install_packages ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
