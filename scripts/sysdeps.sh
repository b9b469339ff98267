#!/usr/bin/env bash
# Install the Debian packages dsr needs (CJK fonts, poppler, Chromium, OpenSSL, venv, a C compiler) — only those missing.
set -euo pipefail
pkgs=(fonts-noto-cjk fonts-wqy-microhei fonts-noto-color-emoji poppler-utils openssl libpango-1.0-0 libpangoft2-1.0-0
      chromium sqlite3)
python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
# the ticket accelerator (setup.py) compiles against OpenSSL and the Python headers
pkgs+=(gcc libssl-dev)
python3 -c 'import os, sysconfig; assert os.path.exists(os.path.join(sysconfig.get_path("include"), "Python.h"))' \
  2>/dev/null || pkgs+=(python3-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "dsr: installing Debian packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# A matplotlib font cache built before the CJK fonts existed renders tofu: drop it.
rm -f "${HOME:-/root}"/.cache/matplotlib/fontlist-v*.json 2>/dev/null || true
