/**
 * Tests that need PyTorch: on CI (.ci/run sets STRATA_REQUIRE_TORCH=1, after
 * installing it) a missing torch fails them; on a developer's machine without it
 * they skip, saying so.
 */
import assert from 'node:assert/strict';
import { findTorchPython } from '../../src/torch/python.js';
import type { TorchPython } from '../../src/torch/python.js';

const required = process.env.STRATA_REQUIRE_TORCH === '1';

/** `skip` option for node:test: false when torch is there (or required), else the reason. */
export function skipWithoutTorch(): string | false {
  if (required || findTorchPython()) return false;
  return 'PyTorch not found (python3 or /usr/bin/python3 with torch, or STRATA_PYTHON): skipped; CI installs it and runs these';
}

/** The Python with torch; fails the test when it is missing (CI). */
export function torchPython(): TorchPython {
  const p = findTorchPython();
  assert.ok(p, 'PyTorch is required here (STRATA_REQUIRE_TORCH=1) but no python with torch was found: .ci/run installs python3-torch');
  return p;
}
