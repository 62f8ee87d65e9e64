#!/usr/bin/env bash
# The test command: installs dependencies, then runs the whole suite in release mode
# (numeric tests are 100x slower in debug builds). `-enable-testing` lets the tests reach
# the executables' internal types.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Formatting is checked first: `swift format` ships with the toolchain; .swift-format holds the
# style (fix with `swift format format -i -r Sources Tests Package.swift`).
swift format lint --strict --recursive Sources Tests Package.swift
swift build -c release -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing "$@"
