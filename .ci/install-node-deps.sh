#!/usr/bin/env bash
# Installs the Node MCP reference server (@modelcontextprotocol/server-everything)
# from the npm registry into a project-local, git-ignored directory, so the
# stress/protocol suite (and any other suite) can run against a third-party
# server over stdio and Streamable HTTP.
#
# Idempotent: a second run with the same version does nothing. Without node or
# npm it prints why and exits 0; the suites then skip the Node server with a
# reason of their own.
#
#   MCP_NODE_DIR               where to install (default: .cache/node)
#   MCP_EVERYTHING_VERSION     package version   (default: 2026.8.31)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${MCP_NODE_DIR:-.cache/node}
version=${MCP_EVERYTHING_VERSION:-2026.8.31}
pkg=@modelcontextprotocol/server-everything
entry="$dir/node_modules/$pkg/dist/index.js"
stamp="$dir/.installed-$version"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "install-node-deps: node/npm not found; Node server targets will be skipped" >&2
	exit 0
fi

if [[ -f "$stamp" && -f "$entry" ]]; then
	echo "install-node-deps: $pkg@$version already in $dir"
	exit 0
fi

mkdir -p "$dir"
# A private package.json keeps npm from walking up to (and writing into) the repo.
if [[ ! -f "$dir/package.json" ]]; then
	printf '{"name":"mcpstress-node-deps","private":true}\n' >"$dir/package.json"
fi
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$pkg@$version"
if [[ ! -f "$entry" ]]; then
	echo "install-node-deps: $entry missing after install" >&2
	exit 1
fi
rm -f "$dir"/.installed-*
touch "$stamp"
echo "install-node-deps: installed $pkg@$version into $dir (entry $entry)"
