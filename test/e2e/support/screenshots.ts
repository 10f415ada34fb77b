// Screenshots the browser tests take of the real editors. Always written to build/screenshots/;
// with UPDATE_SCREENSHOTS=1 also to the folder the README embeds them from (committed).
import fs from 'fs';
import path from 'path';

const ROOT = path.join(__dirname, '../../..');

/** Writes `png` as build/screenshots/<group>/<name> and, when updating, as <publishedDir>/<name>. */
export function saveScreenshot(png: Buffer, group: string, name: string, publishedDir: string): string[] {
	const targets = [path.join(ROOT, 'build/screenshots', group, name)];
	if (process.env.UPDATE_SCREENSHOTS === '1') targets.push(path.join(ROOT, publishedDir, name));
	for (const file of targets) {
		fs.mkdirSync(path.dirname(file), { recursive: true });
		fs.writeFileSync(file, png);
	}
	return targets;
}
