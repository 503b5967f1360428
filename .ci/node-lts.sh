#!/usr/bin/env bash
# Puts the project's Node.js LTS (24) first on PATH. Sourced by .ci/run; developers run the same line.
# The machines have Node 20 from the system; Node 24 comes from the npm registry (the `node` package ships the
# binary through its platform package), installed once into .tools/node24.
NODE_LTS_VERSION="24.21.0"
tools_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/node24"
if [ ! -x "$tools_dir/node_modules/.bin/node" ] || [ "$("$tools_dir/node_modules/.bin/node" --version)" != "v$NODE_LTS_VERSION" ]; then
  echo "installing Node.js $NODE_LTS_VERSION from the npm registry into .tools/node24"
  npm install --prefix "$tools_dir" --no-audit --no-fund --no-save "node@$NODE_LTS_VERSION" >/dev/null
fi
export PATH="$tools_dir/node_modules/.bin:$PATH"
