#!/usr/bin/env bash
# Installs what the report package's browser and Prometheus tests need on a
# fresh Debian/Ubuntu machine: Debian's chromium (headless rendering of the
# HTML report) and the Prometheus server (a real scrape of the exporter).
# Idempotent: packages already present are not reinstalled and apt's index is
# refreshed only when something is missing. Without root (and without sudo) it
# prints what is missing and exits 0, so the tests skip with a clear reason.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)

if [ ${#need[@]} -eq 0 ]; then
	echo "install-report-deps: chromium and prometheus already installed"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO="sudo -n"
	else
		echo "install-report-deps: not root and no sudo; missing: ${need[*]} (their tests will skip)" >&2
		exit 0
	fi
fi

export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
$SUDO apt-get update -qq
# --no-install-recommends keeps the download small (no fonts/extra locales
# beyond chromium's dependencies); the prometheus package's service is not
# started in containers without systemd, and the tests start their own server.
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
echo "install-report-deps: installed ${need[*]} in $(( $(date +%s) - start )) s"
