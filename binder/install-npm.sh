#!/bin/bash
# The npm part of postBuild (it needs no conda): the locked packages (npm ci runs `prepare`, which
# builds dist/), then cellflow's command on PATH (repo2docker puts npm's global bin directory there).
set -e
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm install --global --no-audit --no-fund "$PWD"
