#!/usr/bin/env bash
# mbedTLS 3.6 (this tree, TLS 1.3) against 2.28 (Debian 12's libmbedtls-dev,
# TLS 1.2), side by side in one run on this machine: the crypto ceilings,
# relay forwarding (with socat and haproxy as before) and relay memory per
# idle paired session. Prints the tables that go into bench/RESULTS.md.
#
#   bench/mbedtls-versions.sh          # MIB=256 RUNS=3 SESSIONS=200,1000
#   QUICK=1 bench/mbedtls-versions.sh  # a few minutes
#
# The 2.28 side is the last commit that built on 2.28 (OLD_COMMIT), built
# from `git archive` into build/mbedtls-2.28/ against Debian 12's
# libmbedtls-dev 2.28 unpacked there (`apt-get download`, not installed),
# linked statically like the 3.6 side. Nothing outside build/ is touched.
set -euo pipefail
cd "$(dirname "$0")/.."

OLD_COMMIT=${OLD_COMMIT:-70d07c4}
OLD_VERSION=${OLD_VERSION:-2.28.3-1}
if [[ -n "${QUICK:-}" ]]; then
  MIB=${MIB:-32} RUNS=${RUNS:-1} PINGS=${PINGS:-300} SESSIONS=${SESSIONS:-100,300}
fi
MIB=${MIB:-256}
RUNS=${RUNS:-3}
PINGS=${PINGS:-2000}
SESSIONS=${SESSIONS:-200,1000}
NEW_BUILD=${BUILD_DIR:-build/release}
OLD=build/mbedtls-2.28
targets=(tether-relay tether-bench-crypto tether-bench-relay tether-bench-relay-memory)

# --- the 2.28 side -----------------------------------------------------------
mkdir -p "$OLD"
if [[ ! -f $OLD/root/usr/include/mbedtls/ssl.h ]]; then
  (cd "$OLD" && apt-get download "libmbedtls-dev=$OLD_VERSION" >/dev/null)
  dpkg -x "$OLD"/libmbedtls-dev_*.deb "$OLD/root"
fi
lib=$(dirname "$(find "$OLD/root" -name libmbedtls.a | head -1)")
if [[ ! -d $OLD/src ]]; then
  mkdir -p "$OLD/src"
  git archive "$OLD_COMMIT" | tar -x -C "$OLD/src"
fi
if [[ ! -f $OLD/build/build.ninja ]]; then
  cmake -S "$OLD/src" -B "$OLD/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMBEDTLS_INCLUDE_DIR="$PWD/$OLD/root/usr/include" \
    -DMBEDTLS_LIBRARY="$PWD/$lib/libmbedtls.a" \
    -DMBEDX509_LIBRARY="$PWD/$lib/libmbedx509.a" \
    -DMBEDCRYPTO_LIBRARY="$PWD/$lib/libmbedcrypto.a" >/dev/null
fi
ninja -C "$OLD/build" "${targets[@]}" >/dev/null

# --- the 3.6 side ------------------------------------------------------------
if [[ ! -f $NEW_BUILD/build.ninja ]]; then
  cmake --preset release >/dev/null
fi
ninja -C "$NEW_BUILD" "${targets[@]}" >/dev/null

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
sides=("3.6:$NEW_BUILD/bin" "2.28:$OLD/build/bin")

echo "## Machine"
echo '```'
echo "date:   $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit: $(git rev-parse --short HEAD) against $OLD_COMMIT (mbedTLS $OLD_VERSION)"
echo "nproc:  $(nproc)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at start)"
lscpu | sed -n 's/^Model name: *//p'
for side in "${sides[@]}"; do
  echo "${side%%:*}: $("${side#*:}/tether-relay" --version)"
done
echo "$(openssl version), $(haproxy -v 2>/dev/null | head -n1)"
echo '```'

echo
echo "## Crypto ceilings (tether-bench-crypto)"
for side in "${sides[@]}"; do
  echo
  echo "mbedTLS ${side%%:*}:"
  echo '```'
  timeout 900 "${side#*:}/tether-bench-crypto" --benchmark_min_time=0.5 \
    --benchmark_filter='Aes256Gcm|E2eChannelSeal|TlsRecord|TlsHandshake' 2>&1 |
    grep -E '^(BM_|Benchmark|-{10})'
  echo '```'
done
echo
echo "OpenSSL's AES-256-GCM (what haproxy uses):"
echo '```'
timeout 120 openssl speed -seconds 2 -bytes 16384 -evp aes-256-gcm 2>/dev/null | tail -n 2
echo '```'

echo
echo "## Forwarding (tether-bench-relay)"
for side in "${sides[@]}"; do
  echo
  echo "### mbedTLS ${side%%:*}"
  timeout 900 "${side#*:}/tether-bench-relay" --mib "$MIB" --runs "$RUNS" --pings "$PINGS"
done

echo
echo "## Memory per idle paired session (tether-bench-relay-memory)"
for side in "${sides[@]}"; do
  echo
  echo "### mbedTLS ${side%%:*}"
  timeout 3600 "${side#*:}/tether-bench-relay-memory" --sessions "$SESSIONS"
done
