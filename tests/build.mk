# SPDX-License-Identifier: MIT
# tests/: Check unit tests, the C test client, integration tests and benchmarks.
check-unit:
check-integration:
