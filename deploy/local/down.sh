#!/usr/bin/env bash
# down.sh DIR: stop the loopback cluster deploy/local/up.sh started in DIR.
# Hub nodes first, gracefully (SIGTERM: they stop accepting calls, end
# subscriptions with UNAVAILABLE so clients resume elsewhere, finish in-flight
# publishes), then the NATS nodes one by one (SIGTERM). A process still
# running after DOWN_TIMEOUT seconds (default 30) is killed. The data stays
# in DIR: up.sh DIR starts the same cluster again.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir="$1"
[ -d "$dir" ] || { echo "down.sh: no such directory $dir" >&2; exit 1; }
timeout="${DOWN_TIMEOUT:-30}"

# alive PID: the process exists and is not a zombie waiting to be reaped.
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

stop() { # stop PIDFILE
  local pidf=$1 pid deadline
  [ -f "$pidf" ] || return 0
  pid="$(cat "$pidf")"
  if kill -TERM "$pid" 2>/dev/null; then
    deadline=$((SECONDS + timeout))
    while alive "$pid"; do
      if ((SECONDS > deadline)); then
        echo "down.sh: $pidf ($pid) still running after ${timeout}s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$((SECONDS + timeout))
      fi
      sleep 0.1
    done
  fi
  rm -f "$pidf"
}

for f in "$dir"/hub*.pid; do stop "$f"; done
for f in "$dir"/nats/n*.pid; do stop "$f"; done
echo "stopped the cluster in $dir"
