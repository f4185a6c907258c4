#!/usr/bin/env bash
# Installs the Debian packages the test suite talks to (real peers, never mocks), only
# when their commands are missing, so warm machines skip apt entirely. Used by .ci/run and
# by `npm test` (scripts/pm.mjs). Needs root (or sudo) on Debian; elsewhere it says what to
# install and fails.
set -euo pipefail

# command -> Debian package. Add a line when a test starts needing a peer.
declare -A peers=(
  [promtool]=prometheus       # PromQL differential test oracle (test/src/promql-differential)
  [prometheus-pushgateway]=prometheus-pushgateway  # push API differential test (aggregator/src/pushgw)
)

need=()
for cmd in "${!peers[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || need+=("${peers[$cmd]}")
done
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "peers: the tests need these Debian packages: ${need[*]} (run: apt-get install -y ${need[*]})" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "peers: the tests need these packages (Debian names): ${need[*]}; no apt-get here" >&2
  exit 1
fi
echo "peers: installing Debian packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
