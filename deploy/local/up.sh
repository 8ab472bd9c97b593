#!/usr/bin/env bash
# up.sh DIR: run a stixhub cluster on loopback, from the files in deploy/:
# a 3-node NATS cluster with JetStream (deploy/nats/nats.conf and
# accounts.conf) and 2 stixhubd nodes on it (--replicas 3).
#
# Everything lives in DIR: binaries (bin/, built from this tree when missing),
# ports and passwords (env, 0600), NATS storage (nats/nK/), hub data
# directories (hubK/), logs (*.log) and pids (*.pid). Running up.sh again on
# the same DIR starts whatever is not running, on the same ports, with the
# same data: after down.sh it restarts the whole cluster, after a node was
# killed it restarts that node. Stop with deploy/local/down.sh DIR.
#
# On success it prints the hub nodes and the settings for the stixhub CLI:
#   hub 127.0.0.1:PORT1
#   hub 127.0.0.1:PORT2
#   taxii https://127.0.0.1:PORT3/taxii2/
#   taxii https://127.0.0.1:PORT4/taxii2/
#   export STIXHUB_HUB=127.0.0.1:PORT1,127.0.0.1:PORT2
#   export STIXHUB_CA_FILE=DIR/hub1/tls/ca.pem
#   export STIXHUB_TOKEN_FILE=DIR/hub1/operator.token
# (the same lines are in DIR/hubs.env).
#
# Environment: STIXHUB_PORT_BASE fixes the first of the 15 consecutive ports
# used (default: a free range picked at random); UP_TIMEOUT bounds each wait
# in seconds (default 60); STIXHUB_HUB_FLAGS adds stixhubd flags (for a
# benchmark: "--rate-objects 0 --rate-requests 0" lifts the member limits).
set -euo pipefail

usage() { echo "usage: $0 DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"
timeout="${UP_TIMEOUT:-60}"

die() { echo "up.sh: $*" >&2; exit 1; }
command -v curl >/dev/null || die "curl is needed to check NATS readiness"

# ---- binaries -------------------------------------------------------------
mkdir -p "$dir/bin"
if [ ! -x "$dir/bin/nats-server" ]; then
  echo "building nats-server into $dir/bin" >&2
  (cd "$repo" && go build -o "$dir/bin/nats-server" github.com/nats-io/nats-server/v2)
fi
if [ ! -x "$dir/bin/stixhubd" ] || [ ! -x "$dir/bin/stixhub" ]; then
  echo "building stixhubd and stixhub into $dir/bin" >&2
  (cd "$repo" && go build -o "$dir/bin/" ./server/cmd/stixhubd ./client/cmd/stixhub)
fi

# ---- ports and passwords (chosen once, kept in DIR/env) -------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
range_free() { local p; for ((p = $1; p < $1 + 15; p++)); do port_free "$p" || return 1; done; }
secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }
if [ ! -f "$dir/env" ]; then
  base="${STIXHUB_PORT_BASE:-}"
  if [ -z "$base" ]; then
    for _ in $(seq 50); do
      # Below the kernel's ephemeral range (ip_local_port_range, usually
      # from 32768), so that no outgoing connection takes a port meanwhile.
      b=$((10000 + RANDOM % 22000))
      if range_free "$b"; then base=$b; break; fi
    done
    [ -n "$base" ] || die "no free range of 15 ports found"
  elif ! range_free "$base"; then
    die "ports $base..$((base + 14)) are not all free"
  fi
  umask 077
  cat > "$dir/env" <<EOF
PORT_BASE=$base
STIXHUB_NATS_PASSWORD=$(secret)
STIXHUB_NATS_SYS_PASSWORD=$(secret)
STIXHUB_NATS_ROUTE_PASSWORD=$(secret)
EOF
  umask 022
fi
# shellcheck source=/dev/null
. "$dir/env"
# Ports: NATS nK client base+K-1, route base+3+K-1, monitor base+6+K-1;
# hub K gRPC base+9+K-1, metrics base+11+K-1, TAXII base+13+K-1.
nats_port() { echo $((PORT_BASE + $1 - 1)); }
route_port() { echo $((PORT_BASE + 3 + $1 - 1)); }
http_port() { echo $((PORT_BASE + 6 + $1 - 1)); }
hub_port() { echo $((PORT_BASE + 9 + $1 - 1)); }
metrics_port() { echo $((PORT_BASE + 11 + $1 - 1)); }
taxii_port() { echo $((PORT_BASE + 13 + $1 - 1)); }
printf '%s\n' "$STIXHUB_NATS_PASSWORD" > "$dir/nats-password"
chmod 600 "$dir/nats-password"

# alive PID: the process exists and is not a zombie waiting to be reaped.
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
running() { [ -f "$1" ] && alive "$(cat "$1")"; }

wait_for() { # wait_for WHAT LOG PIDFILE CMD...: until CMD succeeds
  local what=$1 log=$2 pidf=$3 deadline=$((SECONDS + timeout)); shift 3
  until "$@" >/dev/null 2>&1; do
    if ! running "$pidf"; then
      echo "up.sh: $what exited; last lines of $log:" >&2
      tail -n 20 "$log" >&2 || true
      exit 1
    fi
    if ((SECONDS > deadline)); then
      echo "up.sh: $what not ready after ${timeout}s; last lines of $log:" >&2
      tail -n 20 "$log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

# ---- NATS cluster -----------------------------------------------------------
routes=()
for k in 1 2 3; do routes+=("nats://route:$STIXHUB_NATS_ROUTE_PASSWORD@127.0.0.1:$(route_port "$k")"); done
for k in 1 2 3; do
  pidf="$dir/nats/n$k.pid"
  running "$pidf" && continue
  mkdir -p "$dir/nats/n$k"
  port_free "$(nats_port "$k")" || die "port $(nats_port "$k") for NATS n$k is taken"
  NATS_NAME="n$k" NATS_HOST=127.0.0.1 NATS_PORT="$(nats_port "$k")" \
    NATS_CLUSTER_PORT="$(route_port "$k")" NATS_HTTP_PORT="$(http_port "$k")" \
    NATS_ROUTE_1="${routes[0]}" NATS_ROUTE_2="${routes[1]}" NATS_ROUTE_3="${routes[2]}" \
    NATS_STORE_DIR="$dir/nats/n$k/store" \
    STIXHUB_NATS_PASSWORD="$STIXHUB_NATS_PASSWORD" \
    STIXHUB_NATS_SYS_PASSWORD="$STIXHUB_NATS_SYS_PASSWORD" \
    STIXHUB_NATS_ROUTE_PASSWORD="$STIXHUB_NATS_ROUTE_PASSWORD" \
    "$dir/bin/nats-server" -c "$repo/deploy/nats/nats.conf" >> "$dir/nats/n$k.log" 2>&1 < /dev/null &
  echo $! > "$pidf"
done
# Ready: every node has JetStream up and a meta leader (healthz is 200).
for k in 1 2 3; do
  wait_for "NATS n$k" "$dir/nats/n$k.log" "$dir/nats/n$k.pid" curl -sf "http://127.0.0.1:$(http_port "$k")/healthz"
done

# ---- hub nodes --------------------------------------------------------------
nats_urls="nats://127.0.0.1:$(nats_port 1),nats://127.0.0.1:$(nats_port 2),nats://127.0.0.1:$(nats_port 3)"
hub_ready() { tail -c "+$2" "$1" | grep -q "stixhub listening" && curl -sf "http://127.0.0.1:$3/readyz"; }
for k in 1 2; do
  pidf="$dir/hub$k.pid"
  running "$pidf" && continue
  port_free "$(hub_port "$k")" || die "port $(hub_port "$k") for hub$k is taken"
  if [ "$k" -gt 1 ] && [ ! -f "$dir/hub$k/tls/ca.pem" ]; then
    # Every node serves a certificate from one CA and accepts the same
    # operator token: clients trust one ca.pem and fail over between nodes.
    mkdir -p "$dir/hub$k/tls"
    chmod 700 "$dir/hub$k" "$dir/hub$k/tls"
    cp -p "$dir/hub1/tls/ca.pem" "$dir/hub1/tls/ca-key.pem" "$dir/hub$k/tls/"
    cp -p "$dir/hub1/operator.token" "$dir/hub$k/"
  fi
  touch "$dir/hub$k.log"
  logstart=$(($(wc -c < "$dir/hub$k.log") + 1))
  "$dir/bin/stixhubd" --data-dir "$dir/hub$k" \
    --grpc-addr "127.0.0.1:$(hub_port "$k")" \
    --metrics-addr "127.0.0.1:$(metrics_port "$k")" \
    --taxii-addr "127.0.0.1:$(taxii_port "$k")" \
    --nats-url "$nats_urls" --nats-user stixhub --nats-password-file "$dir/nats-password" \
    --replicas 3 --log-format json ${STIXHUB_HUB_FLAGS:-} >> "$dir/hub$k.log" 2>&1 < /dev/null &
  echo $! > "$pidf"
  # Ready: this start logged "listening" and /readyz answers 200.
  wait_for "hub$k" "$dir/hub$k.log" "$dir/hub$k.pid" hub_ready "$dir/hub$k.log" "$logstart" "$(metrics_port "$k")"
done

hubs="127.0.0.1:$(hub_port 1),127.0.0.1:$(hub_port 2)"
cat > "$dir/hubs.env" <<EOF
export STIXHUB_HUB=$hubs
export STIXHUB_CA_FILE=$dir/hub1/tls/ca.pem
export STIXHUB_TOKEN_FILE=$dir/hub1/operator.token
EOF
echo "hub 127.0.0.1:$(hub_port 1)"
echo "hub 127.0.0.1:$(hub_port 2)"
echo "taxii https://127.0.0.1:$(taxii_port 1)/taxii2/"
echo "taxii https://127.0.0.1:$(taxii_port 2)/taxii2/"
cat "$dir/hubs.env"
