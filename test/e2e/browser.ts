// Debian's Chromium driven by playwright-core, headless, plus screenshots saved as test artifacts.
import * as fs from 'fs';
import * as path from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO } from './lab-server';

export const SCREENSHOTS = path.join(REPO, 'test-artifacts', 'e2e');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Saves `test-artifacts/e2e/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Retries an assertion until it passes or `timeoutMs` runs out (then throws its last failure). */
export async function eventually(assertion: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Switches JupyterLab's theme from the Settings menu (`JupyterLab Light`, `JupyterLab Dark`). */
export async function switchTheme(page: Page, name: string): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Settings$/ }).click();
  await page
    .locator('.lm-Menu-itemLabel', { hasText: /^Theme$/ })
    .first()
    .hover();
  await page
    .locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${name}$`) })
    .first()
    .click();
}
