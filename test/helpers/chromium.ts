/**
 * Headless Chromium for the browser tests. Where it is missing the tests skip,
 * except in CI (CI set), where .ci/run installs it and a missing browser fails.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
export const IN_CI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());

/** A launched Chromium, or undefined after skipping `t` (outside CI) when there is none. */
export async function launchChromium(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    const missing = `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium, or set STRATA_CHROMIUM)`;
    assert.ok(!IN_CI, `${missing}; CI is set (CI=${process.env.CI}), where this test must run, not skip`);
    t.skip(missing);
    return undefined;
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}
