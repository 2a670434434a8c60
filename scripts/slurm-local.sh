#!/usr/bin/env bash
# slurm-local.sh — a real single-node SLURM cluster on this machine, for CI and
# for a developer's workstation (Debian/Ubuntu with apt; tested on Debian 12
# "bookworm", which ships Slurm 22.05).
#
# Usage:
#   scripts/slurm-local.sh start            install if needed, start munged,
#                                           slurmctld and slurmd, wait until the
#                                           node is idle, leave them running
#   scripts/slurm-local.sh stop             cancel the jobs, stop the daemons
#                                           this script started (by PID, munged
#                                           too if it started it), kill job
#                                           steps of this cluster left behind
#   scripts/slurm-local.sh run -- CMD ARGS  start, run CMD with the cluster up,
#                                           stop again on exit (also when CMD
#                                           fails, or on SIGINT/TERM/HUP, which
#                                           are passed on to CMD); exits with
#                                           CMD's status. CMD keeps stdin.
#   scripts/slurm-local.sh status           print the recorded PIDs and sinfo
#   scripts/slurm-local.sh install          only install the Debian packages
#
# `start` prints one line on stdout, `export SLURM_CONF=<path>`, so that
# `eval "$(scripts/slurm-local.sh start)"` sets up the caller's environment;
# everything else goes to stderr, prefixed "slurm-local:". `run` exports
# SLURM_CONF for CMD itself.
#
# `start` is idempotent: if the daemons recorded in the PID file are alive it
# only re-checks that the node is idle. `run` on an already started cluster
# uses it and leaves it running (it only stops what it started itself).
#
# What it does:
#   * apt-get installs slurmctld slurmd slurm-client munge (noninteractive,
#     skipped when installed, `apt-get update` only when apt knows no candidate
#     or the install failed); service starts by the packages' maintainer
#     scripts are suppressed with a temporary /usr/sbin/policy-rc.d (only if
#     none exists).
#   * creates /etc/munge/munge.key (owner munge, mode 0400) if absent and
#     starts munged as user munge unless a working munged is already there.
#   * writes a single-node slurm.conf: node = `hostname -s` at 127.0.0.1 with
#     CPUs=$(nproc) and RealMemory from /proc/meminfo minus a margin; partition
#     "debug" (default, no time limit); select/cons_tres + CR_Core so several
#     array tasks run at once; no cgroups (proctrack/linuxproc, task/none), no
#     accounting; SlurmUser=root. The config goes to /etc/slurm/slurm.conf (the
#     path Debian's Slurm reads by default, so plain sbatch/srun work) unless
#     that file exists and was not written by this script: then it is left
#     alone and the config lives in $SLURM_LOCAL_DIR/slurm.conf — callers must
#     then export SLURM_CONF (see the stdout line of `start`).
#   * starts slurmctld (with -c: job state of an earlier run is discarded; the
#     slurmd spool is emptied too) and slurmd as background daemons (-D, in
#     their own sessions; no systemd needed), records their PIDs in
#     $SLURM_LOCAL_DIR/pids, and waits until `sinfo` shows the node idle
#     (resuming it if it came up down/drained). On failure prints the logs'
#     tails and exits non-zero (`run` then stops what it started).
#
# Environment (all optional):
#   SLURM_LOCAL_DIR       state, spool, logs, PID file  (/var/lib/slurm-local)
#   SLURM_LOCAL_TIMEOUT   seconds to wait for the node to become idle (60)
#   SLURM_LOCAL_CLUSTER   ClusterName                   (local)
#   SLURM_LOCAL_CTLD_PORT slurmctld port                (6817)
#   SLURM_LOCAL_SLURMD_PORT slurmd port                 (6818)
#   SLURM_LOCAL_MIN_JOB_AGE MinJobAge, seconds a finished job stays visible
#                         to squeue/scontrol (5; purged some seconds later).
#                         Keep it <= 5: `sbatch --wait` first sleeps 2 s
#                         between polls and multiplies that by 4 (up to 32 s)
#                         while it is below MinJobAge/2; with Slurm's default
#                         of 300 it polls after 2, 10, 42, 74... s, so a 12 s
#                         job takes 42 s to "finish". With 5 it polls every 2 s.
#
# Jobs run as the submitting user (root in CI; SlurmUser=root allows that);
# a job's output file defaults to slurm-<job>_<task>.out in the submission
# directory. Logs: $SLURM_LOCAL_DIR/log/{slurmctld,slurmd}.log and .out (the
# daemons' stderr); the previous start's logs are kept as *.log.1. The
# "mpi/pmix ... can not load PMIx library" errors in them are harmless (no
# MPI is configured). Not root? The privileged steps go through sudo (if
# available); CMD of `run` runs as the caller.
set -euo pipefail

log() { printf 'slurm-local: %s\n' "$*" >&2; }
die() {
	printf 'slurm-local: error: %s\n' "$*" >&2
	exit 1
}

SLURM_LOCAL_DIR=${SLURM_LOCAL_DIR:-/var/lib/slurm-local}
SLURM_LOCAL_TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}
SLURM_LOCAL_CLUSTER=${SLURM_LOCAL_CLUSTER:-local}
SLURM_LOCAL_CTLD_PORT=${SLURM_LOCAL_CTLD_PORT:-6817}
SLURM_LOCAL_SLURMD_PORT=${SLURM_LOCAL_SLURMD_PORT:-6818}
SLURM_LOCAL_MIN_JOB_AGE=${SLURM_LOCAL_MIN_JOB_AGE:-5}

PKGS=(slurmctld slurmd slurm-client munge)
SYSTEM_CONF=/etc/slurm/slurm.conf
MARKER='# Written by slurm-local.sh (single-node test cluster); safe to overwrite.'
PIDFILE=$SLURM_LOCAL_DIR/pids
LOGDIR=$SLURM_LOCAL_DIR/log
MUNGE_KEY=/etc/munge/munge.key
NODE=$(hostname -s)

# --- privileges -------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
	SUDO=()
elif command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
else
	die "must run as root, or have sudo available (running as $(id -un))"
fi
priv() { "${SUDO[@]}" "$@"; }

# Install the contents of stdin as file $1 with mode $2 (owner root).
write_file() {
	local tmp
	tmp=$(mktemp)
	cat >"$tmp"
	priv install -D -m "$2" "$tmp" "$1"
	rm -f "$tmp"
}

# --- installation -----------------------------------------------------------
pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

install_packages() {
	local missing=() p
	for p in "${PKGS[@]}"; do
		pkg_installed "$p" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		return 0
	fi
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${missing[*]} by hand"
	log "installing ${missing[*]} with apt-get"

	# Keep the packages' maintainer scripts from starting services
	# (no systemd in containers; we start the daemons ourselves).
	local made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | write_file /usr/sbin/policy-rc.d 0755
		made_policy=1
	fi

	local candidate rc=0
	candidate=$(apt-cache policy slurmctld 2>/dev/null | awk '/Candidate:/ {print $2}')
	if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
		log "apt knows no slurmctld candidate; running apt-get update"
		priv env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || rc=$?
	fi
	if [ "$rc" -eq 0 ]; then
		priv env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${missing[@]}" >&2 || rc=$?
		if [ "$rc" -ne 0 ]; then
			log "apt-get install failed (status $rc); running apt-get update and retrying"
			rc=0
			priv env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || rc=$?
			[ "$rc" -ne 0 ] || priv env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends "${missing[@]}" >&2 || rc=$?
		fi
	fi
	if [ "$made_policy" -eq 1 ]; then
		priv rm -f /usr/sbin/policy-rc.d
	fi
	[ "$rc" -eq 0 ] || die "apt-get failed (status $rc) installing ${missing[*]}"
	for p in "${PKGS[@]}"; do
		pkg_installed "$p" || die "package $p is still not installed"
	done
	log "installed: $(slurmd -V 2>&1)"
}

# --- PID bookkeeping --------------------------------------------------------
# The PID file has lines "NAME PID"; NAME is slurmctld, slurmd or munged.
recorded_pid() {
	[ -r "$PIDFILE" ] || return 0
	awk -v n="$1" '$1 == n {print $2}' "$PIDFILE"
}

# Is PID $1 alive (and not a zombie)?
alive() {
	local stat
	[ -n "$1" ] || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# /proc/PID/stat is "PID (COMM) STATE ..."; COMM may contain spaces.
	case "${stat##*) }" in Z* | X*) return 1 ;; esac
}

# Is PID $2 alive and running program $1?
pid_is() {
	alive "$2" && [ "$(cat "/proc/$2/comm" 2>/dev/null)" = "$1" ]
}

record_pid() {
	local tmp
	tmp=$(mktemp)
	if [ -r "$PIDFILE" ]; then
		awk -v n="$1" '$1 != n' "$PIDFILE" >"$tmp"
	fi
	echo "$1 $2" >>"$tmp"
	priv install -D -m 0644 "$tmp" "$PIDFILE"
	rm -f "$tmp"
}

# Send TERM to PID $2 (program $1), wait up to $3 seconds, then KILL.
stop_pid() {
	local name=$1 pid=$2 wait=${3:-15} i
	pid_is "$name" "$pid" || return 0
	log "stopping $name (pid $pid)"
	priv kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < wait * 10; i++)); do
		pid_is "$name" "$pid" || return 0
		sleep 0.1
	done
	log "$name (pid $pid) did not exit after ${wait}s; sending KILL"
	priv kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		pid_is "$name" "$pid" || return 0
		sleep 0.1
	done
	log "warning: $name (pid $pid) is still alive"
}

# Start "$@" as a daemon in its own session, stdio on log file $1; sets
# SPAWNED_PID. As root the daemon is a direct child of this shell (setsid does
# not fork: a background child of a non-interactive shell is not a
# process-group leader), so `run` reaps it itself when stopping it; with sudo
# a small sh wrapper reports the daemon's PID.
spawn() {
	local out=$1
	shift
	if [ ${#SUDO[@]} -eq 0 ]; then
		SLURM_CONF="$CONF" setsid "$@" >"$out" 2>&1 </dev/null &
		SPAWNED_PID=$!
	else
		# shellcheck disable=SC2016 # expanded by the inner sh
		SPAWNED_PID=$(priv env SLURM_CONF="$CONF" sh -c \
			'out=$1; shift; setsid "$@" >"$out" 2>&1 </dev/null & echo $!' sh "$out" "$@")
	fi
}

# --- munge ------------------------------------------------------------------
munge_works() {
	command -v munge >/dev/null 2>&1 && munge -n 2>/dev/null | unmunge >/dev/null 2>&1
}

start_munge() {
	local pid
	pid=$(recorded_pid munged)
	if munge_works; then
		if pid_is munged "$pid"; then
			log "munged already running (pid $pid, started by slurm-local)"
		else
			log "using the munged that is already running"
		fi
		return 0
	fi
	if ! priv test -s "$MUNGE_KEY"; then
		log "creating munge key $MUNGE_KEY"
		priv install -d -m 0700 -o munge -g munge /etc/munge
		if command -v mungekey >/dev/null 2>&1; then
			priv mungekey --create --keyfile="$MUNGE_KEY"
		else
			priv dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none
		fi
	fi
	priv chown munge:munge "$MUNGE_KEY"
	priv chmod 0400 "$MUNGE_KEY"

	log "starting munged"
	priv install -d -m 0755 -o munge -g munge /run/munge
	priv install -d -m 0700 -o munge -g munge /var/lib/munge /var/log/munge
	priv install -d -m 0755 "$LOGDIR"
	if command -v setpriv >/dev/null 2>&1; then
		# In the foreground (-F), as user munge, as our own child.
		spawn "$LOGDIR/munged.out" setpriv --reuid=munge --regid=munge --init-groups -- /usr/sbin/munged -F
	else
		# munged daemonizes itself and writes /run/munge/munged.pid.
		priv runuser -u munge -- /usr/sbin/munged >&2 ||
			die "munged failed to start; see /var/log/munge/munged.log"
	fi
	local i
	for ((i = 0; i < 100; i++)); do
		munge_works && break
		sleep 0.1
	done
	if ! munge_works; then
		priv tail -n 20 /var/log/munge/munged.log "$LOGDIR/munged.out" >&2 || true
		die "munged started but 'munge -n | unmunge' fails"
	fi
	if pid_is munged "${SPAWNED_PID:-}"; then
		pid=$SPAWNED_PID
	else
		pid=$(cat /run/munge/munged.pid 2>/dev/null || true)
	fi
	if pid_is munged "$pid"; then
		record_pid munged "$pid"
	else
		log "warning: could not find munged's PID; it will not be stopped by 'stop'"
	fi
}

# --- slurm.conf -------------------------------------------------------------
choose_conf() {
	if [ -e "$SYSTEM_CONF" ] && ! grep -qxF "$MARKER" "$SYSTEM_CONF"; then
		CONF=$SLURM_LOCAL_DIR/slurm.conf
		log "$SYSTEM_CONF exists and was not written by slurm-local; leaving it alone and using $CONF (callers must export SLURM_CONF=$CONF)"
	else
		CONF=$SYSTEM_CONF
	fi
	export SLURM_CONF=$CONF
}

write_conf() {
	local cpus mem_mb margin real_mem
	cpus=$(nproc)
	mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
	margin=$((mem_mb / 20))
	[ "$margin" -ge 256 ] || margin=256
	real_mem=$((mem_mb - margin))
	[ "$real_mem" -ge 1 ] || real_mem=1

	priv install -d -m 0755 "$SLURM_LOCAL_DIR" "$LOGDIR" "$SLURM_LOCAL_DIR/run" \
		"$SLURM_LOCAL_DIR/slurmctld" "$SLURM_LOCAL_DIR/slurmd"
	priv install -d -m 0755 "$(dirname "$CONF")"
	write_file "$CONF" 0644 <<EOF
$MARKER
# Regenerated by every 'slurm-local.sh start'.
ClusterName=$SLURM_LOCAL_CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$SLURM_LOCAL_CTLD_PORT
SlurmdPort=$SLURM_LOCAL_SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
# No cgroups: plain process tracking, no task binding/confinement.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
PropagateResourceLimits=NONE
# No accounting.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# Several jobs / array tasks share the node, one core each by default.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
# The config below is authoritative (no draining for hardware mismatches);
# a DOWN node returns to service as soon as slurmd registers.
SlurmdParameters=config_overrides
ReturnToService=2
SlurmctldTimeout=120
SlurmdTimeout=300
InactiveLimit=0
# Small, so that 'sbatch --wait' polls every 2 s (see the script's header).
MinJobAge=$SLURM_LOCAL_MIN_JOB_AGE
KillWait=5
Waittime=0
StateSaveLocation=$SLURM_LOCAL_DIR/slurmctld
SlurmdSpoolDir=$SLURM_LOCAL_DIR/slurmd
SlurmctldPidFile=$SLURM_LOCAL_DIR/run/slurmctld.pid
SlurmdPidFile=$SLURM_LOCAL_DIR/run/slurmd.pid
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$real_mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
	log "wrote $CONF (node $NODE: CPUs=$cpus RealMemory=${real_mem}MB)"
}

# --- daemons ----------------------------------------------------------------
print_logs() {
	local d
	for d in slurmctld slurmd; do
		# $d.log is the daemon's log; $d.out its stderr (mostly the same
		# lines, but also what it printed before opening the log).
		if [ -s "$LOGDIR/$d.log" ]; then
			log "---- last lines of $LOGDIR/$d.log ----"
			priv tail -n 25 "$LOGDIR/$d.log" >&2 || true
		fi
		if [ -s "$LOGDIR/$d.out" ]; then
			log "---- last lines of $LOGDIR/$d.out (stderr) ----"
			priv tail -n 8 "$LOGDIR/$d.out" >&2 || true
		fi
	done
}

node_state() {
	timeout 10 sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n 1 || true
}

wait_for_idle() {
	local start now state last_print=-100 last_resume=-100 ctld slurmd
	ctld=$(recorded_pid slurmctld)
	slurmd=$(recorded_pid slurmd)
	start=$(date +%s)
	while :; do
		pid_is slurmctld "$ctld" || {
			print_logs
			die "slurmctld (pid $ctld) died while waiting for the node"
		}
		pid_is slurmd "$slurmd" || {
			print_logs
			die "slurmd (pid $slurmd) died while waiting for the node"
		}
		state=$(node_state)
		now=$(date +%s)
		case "$state" in
		idle | mixed | allocated | completing)
			log "node $NODE is $state after $((now - start))s"
			return 0
			;;
		down* | drain* | fail*)
			if ((now - last_resume >= 3)); then
				log "node $NODE is $state; resuming it"
				scontrol update nodename="$NODE" state=resume >&2 || true
				last_resume=$now
			fi
			;;
		esac
		if ((now - start >= SLURM_LOCAL_TIMEOUT)); then
			log "node state: '${state:-<no answer from slurmctld>}'"
			timeout 10 scontrol show node "$NODE" >&2 || true
			print_logs
			die "node $NODE did not become idle within ${SLURM_LOCAL_TIMEOUT}s"
		fi
		if ((now - last_print >= 5)); then
			log "waiting for node $NODE to become idle (state: ${state:-<no answer from slurmctld yet>})"
			last_print=$now
		fi
		sleep 0.5
	done
}

cluster_running() {
	pid_is slurmctld "$(recorded_pid slurmctld)" && pid_is slurmd "$(recorded_pid slurmd)"
}

do_start() {
	install_packages
	choose_conf
	if cluster_running; then
		log "already running (slurmctld pid $(recorded_pid slurmctld), slurmd pid $(recorded_pid slurmd))"
		munge_works || start_munge
		wait_for_idle
		echo "export SLURM_CONF=$CONF"
		return 0
	fi
	# Half-started leftovers from an earlier run: stop them first.
	stop_pid slurmd "$(recorded_pid slurmd)"
	stop_pid slurmctld "$(recorded_pid slurmctld)"
	kill_leftover_steps

	local other='' p
	for p in $(pgrep -x slurmctld || true) $(pgrep -x slurmd || true); do
		! alive "$p" || other="$other $p"
	done
	[ -z "$other" ] || die "slurmctld/slurmd already running (PIDs$other), not started by this script; stop them first"

	start_munge
	write_conf
	# Fresh logs for this run; the previous run's are kept as *.1.
	for p in slurmctld.log slurmd.log; do
		[ ! -e "$LOGDIR/$p" ] || priv mv -f "$LOGDIR/$p" "$LOGDIR/$p.1"
	done
	priv rm -f "$LOGDIR/slurmctld.out" "$LOGDIR/slurmd.out"
	# slurmctld starts with -c (no job state kept); so does slurmd's spool.
	priv find "$SLURM_LOCAL_DIR/slurmd" -mindepth 1 -delete
	log "starting slurmctld"
	spawn "$LOGDIR/slurmctld.out" slurmctld -D -c -f "$CONF"
	record_pid slurmctld "$SPAWNED_PID"
	log "starting slurmd"
	spawn "$LOGDIR/slurmd.out" slurmd -D -f "$CONF"
	record_pid slurmd "$SPAWNED_PID"
	sleep 0.3
	wait_for_idle
	log "cluster up: slurmctld pid $(recorded_pid slurmctld), slurmd pid $(recorded_pid slurmd); config $CONF"
	echo "export SLURM_CONF=$CONF"
}

# Job steps left behind (daemons killed hard, or a step that outlived
# scancel): the slurmstepd processes that write to this cluster's slurmd.log,
# plus the processes in their sessions (the jobs' tasks).
leftover_step_pids() {
	local p sid
	for p in $(pgrep -x slurmstepd || true); do
		priv ls -l "/proc/$p/fd" 2>/dev/null | grep -qF -- "-> $LOGDIR/slurmd.log" || continue
		sid=$(ps -o sid= -p "$p" | tr -d ' ')
		[ -n "$sid" ] && [ "$sid" -gt 1 ] || continue
		echo "$p"
		ps -e -o pid=,sid= | awk -v s="$sid" '$2 == s {print $1}'
	done | sort -un
}

kill_leftover_steps() {
	local pids p i left
	pids=$(leftover_step_pids | tr '\n' ' ')
	[ -n "${pids// /}" ] || return 0
	log "killing processes of leftover job steps: $pids"
	# shellcheck disable=SC2086
	priv kill -TERM $pids 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		left=
		for p in $pids; do
			! alive "$p" || left="$left $p"
		done
		[ -n "$left" ] || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	priv kill -KILL $left 2>/dev/null || true
}

do_stop() {
	local ctld slurmd munged i p left
	ctld=$(recorded_pid slurmctld)
	slurmd=$(recorded_pid slurmd)
	munged=$(recorded_pid munged)
	if [ -z "$ctld$slurmd$munged" ]; then
		log "nothing to stop (no PID file $PIDFILE)"
		return 0
	fi
	choose_conf
	if pid_is slurmctld "$ctld"; then
		if [ -n "$(timeout 10 squeue -h -o %i 2>/dev/null || true)" ]; then
			log "cancelling the remaining jobs"
			timeout 10 scancel --partition=debug >&2 || true
			for ((i = 0; i < 40; i++)); do
				[ -n "$(timeout 5 squeue -h -o %i 2>/dev/null || true)" ] || break
				sleep 0.5
			done
		fi
	fi
	stop_pid slurmd "$slurmd"
	stop_pid slurmctld "$ctld"
	kill_leftover_steps
	stop_pid munged "$munged"
	priv rm -f "$PIDFILE"
	# Daemons left by an earlier `start`, and the slurmstepd of every job
	# step, are children of PID 1: give it a moment to reap them, so that no
	# <defunct> entries linger in ps/pgrep (PID 1 of some containers reaps
	# orphans only every few seconds).
	for ((i = 0; i < 100; i++)); do
		left=
		for p in $ctld $slurmd $munged $(pgrep -x slurmstepd || true); do
			if [ -e "/proc/$p" ] && { [[ " $ctld $slurmd $munged " == *" $p "* ]] || ! alive "$p"; }; then
				left="$left $p"
			fi
		done
		[ -n "$left" ] || break
		sleep 0.1
	done
	[ -z "$left" ] || log "note: exited processes not yet reaped by their parent:$left"
	log "stopped"
}

do_status() {
	if [ -r "$PIDFILE" ]; then
		local name pid
		while read -r name pid; do
			if pid_is "$name" "$pid"; then
				log "$name pid $pid: running"
			else
				log "$name pid $pid: not running"
			fi
		done <"$PIDFILE"
	else
		log "no PID file $PIDFILE"
	fi
	choose_conf
	if cluster_running; then
		timeout 10 sinfo >&2 || true
	else
		return 1
	fi
}

# Signal received by `run` while CMD runs: pass it on to CMD, give CMD 10 s
# to exit, then exit (the EXIT trap stops the cluster).
on_signal() {
	local i
	trap - INT TERM HUP
	log "received SIG$1; passing it on to the command (pid $CHILD)"
	kill "-$1" "$CHILD" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		alive "$CHILD" || break
		sleep 0.1
	done
	if alive "$CHILD"; then
		log "command still running after 10 s; sending KILL"
		kill -KILL "$CHILD" 2>/dev/null || true
	fi
	exit "$2"
}

do_run() {
	if cluster_running; then
		log "cluster already running; it will be left running"
		trap 'exit 130' INT
		trap 'exit 143' TERM
		trap 'exit 129' HUP
		do_start >/dev/null
	else
		trap 'rc=$?; trap - EXIT INT TERM HUP; do_stop || true; exit $rc' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		trap 'exit 129' HUP
		do_start >/dev/null
	fi
	# CMD runs in the background so that a signal to this script is handled
	# at once (bash defers traps until a foreground command ends); <&0 keeps
	# CMD's stdin (a background job would otherwise get /dev/null).
	"$@" <&0 &
	CHILD=$!
	trap 'on_signal INT 130' INT
	trap 'on_signal TERM 143' TERM
	trap 'on_signal HUP 129' HUP
	local status=0
	wait "$CHILD" || status=$?
	[ "$status" -eq 0 ] || log "command exited with status $status"
	exit "$status"
}

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

cmd=${1:-}
[ $# -eq 0 ] || shift
case "$cmd" in
install) install_packages ;;
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
run)
	[ "${1:-}" != "--" ] || shift
	[ $# -gt 0 ] || die "usage: $0 run -- CMD [ARGS...]"
	do_run "$@"
	;;
-h | --help | help) usage ;;
*)
	usage
	;;
esac
