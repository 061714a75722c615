#!/usr/bin/env bash
# Set up podipc on a fresh Debian/Ubuntu machine: the system packages it needs, then the
# npm packages and the native addon (npm ci runs node-gyp). Idempotent; CI runs it too.
set -euo pipefail
cd "$(dirname "$0")/.."

# g++/make/python3: node-gyp builds the N-API addon (POSIX/SysV mq, futex, semaphores).
# util-linux (unshare, nsenter, setpriv, ipcs), mount, iproute2 (ip, veth), procps (ps): the sandbox
# placement and the leak checks. chromium: the test that opens report.html in a browser.
# podman, runc, catatonit (the pod's infra process), uidmap: the podman placement and
# `podipc image build`; mmdebstrap: the image's offline base (Debian from the mirror);
# docker.io: the test that builds k8s/Dockerfile with Docker's own builder.
packages=(g++ make python3 util-linux mount iproute2 procps chromium podman runc catatonit uidmap mmdebstrap docker.io)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install -y ${missing[*]}   (then run this again)" >&2
    exit 2
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Installing docker.io starts the system's Docker daemon, which creates its default bridge
  # (172.17.0.0/16) and iptables rules. podipc starts its own daemon when it needs one
  # (--bridge=none --iptables=false), so keep package scripts from starting services.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# node-gyp compiles against the running Node's headers. Where Node came from a distribution
# package they sit under its prefix (e.g. /usr/include/node); point node-gyp there instead
# of letting it download headers, which fails on machines without general internet access.
node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node_api.h" ]; then
  export npm_config_nodedir="$node_prefix"
fi

npm ci --no-audit --no-fund
