// What the editor browser tests share: the packed package, and screenshots. Every screenshot is written to
// build/screenshots/; with UPDATE_SCREENSHOTS=1 (`npm run screenshots`) also where the README shows it.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import type { Page } from 'playwright-core';

const ROOT = path.join(__dirname, '../../..');

/** `npm pack` of a package folder (default: the n8n package at the root) into `dir`; the tarball's path. */
export function packTarball(dir: string, packageDir = ROOT): string {
	const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: packageDir, encoding: 'utf8' });
	return path.join(dir, (JSON.parse(out) as Array<{ filename: string }>)[0].filename);
}

/** Saves a PNG of the page as build/screenshots/<name>.png (and <readmeDir>/<name>.png with UPDATE_SCREENSHOTS=1). */
export async function saveScreenshot(page: Page, name: string, readmeDir = 'examples/n8n/screenshots'): Promise<void> {
	const png = await page.screenshot({ animations: 'disabled', caret: 'hide' });
	const targets = [path.join(ROOT, 'build/screenshots')];
	if (process.env.UPDATE_SCREENSHOTS === '1') targets.push(path.join(ROOT, readmeDir));
	for (const dir of targets) {
		fs.mkdirSync(dir, { recursive: true });
		fs.writeFileSync(path.join(dir, `${name}.png`), png);
	}
}
