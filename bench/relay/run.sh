#!/usr/bin/env bash
# Runs every Tether bench on this machine and prints the tables that go into
# bench/RESULTS.md. Everything runs on 127.0.0.1, bounded in bytes, round
# trips and sessions; each program has its own watchdog, and `timeout`
# bounds them again here.
#
#   bench/relay/run.sh                 # full run (the memory part takes long:
#                                      # every session is one argon2id login)
#   QUICK=1 bench/relay/run.sh         # small sizes, a minute or two
#
# Knobs (environment): BUILD_DIR (default build/release, configured with the
# release preset if missing), MIB (256), RUNS (3), PINGS (2000),
# SESSIONS (1000,5000), SKIP_MEMORY=1, SKIP_CRYPTO=1.
# Needs: socat and haproxy (apt-get install socat haproxy) for the peers;
# a missing one shows as "–" in the table.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD_DIR=${BUILD_DIR:-build/release}
if [[ -n "${QUICK:-}" ]]; then
  MIB=${MIB:-32} RUNS=${RUNS:-1} PINGS=${PINGS:-300} SESSIONS=${SESSIONS:-100,300}
fi
MIB=${MIB:-256}
RUNS=${RUNS:-3}
PINGS=${PINGS:-2000}
SESSIONS=${SESSIONS:-1000,5000}

if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake --preset release >/dev/null
fi
ninja -C "$BUILD_DIR" tether-relay tether-bench-crypto tether-bench-relay \
  tether-bench-relay-memory >/dev/null
BIN="$BUILD_DIR/bin"

# Two descriptors per session in both the relay and the client process.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "## Machine"
echo '```'
echo "date:   $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (+ uncommitted changes)')"
echo "nproc:  $(nproc)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at start)"
lscpu | head -n 15
echo "mbedTLS $(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null || echo '?')," \
  "$(openssl version 2>/dev/null || echo 'no openssl')," \
  "$(haproxy -v 2>/dev/null | head -n1 || echo 'no haproxy')," \
  "$(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/socat \1/p' || echo 'no socat')"
echo '```'

if [[ -z "${SKIP_CRYPTO:-}" ]]; then
  echo
  echo "## Crypto ceilings (tether-bench-crypto)"
  echo '```'
  timeout 600 "$BIN/tether-bench-crypto" --benchmark_min_time=0.5 2>&1 |
    grep -E '^(BM_|Benchmark|-{10})'
  echo '```'
  echo
  echo "OpenSSL's AES-256-GCM on the same machine (what haproxy uses):"
  echo '```'
  timeout 120 openssl speed -seconds 2 -bytes 16384 -evp aes-256-gcm 2>/dev/null |
    tail -n 2
  echo '```'
fi

echo
echo "## Forwarding: throughput and added latency (tether-bench-relay)"
timeout 900 "$BIN/tether-bench-relay" --mib "$MIB" --runs "$RUNS" \
  --pings "$PINGS"

if [[ -z "${SKIP_MEMORY:-}" ]]; then
  echo
  echo "## Memory per idle paired session (tether-bench-relay-memory)"
  timeout 5100 "$BIN/tether-bench-relay-memory" --sessions "$SESSIONS"
fi
