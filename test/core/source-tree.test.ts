// Both packages compile the core from its one folder: every relative import in the source tree
// names a file that is there before any build (no copy of the core made by the build).
import fs from 'fs';
import path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const SOURCES = /\.(ts|js|mjs)$/;
const IMPORT = /(?:\bfrom\s+|\bimport\s+|\brequire\(\s*|\bimport\(\s*)(['"])(\.{1,2}\/[^'"]*)\1/g;
/** Code without its comment lines (usage examples in comments are not imports). */
const code = (text: string) =>
	text
		.split('\n')
		.filter((line) => !/^\s*(\/\/|\/?\*)/.test(line))
		.join('\n');

function resolves(fromFile: string, specifier: string): boolean {
	const base = path.resolve(path.dirname(fromFile), specifier);
	const candidates = [base, ...['.ts', '.js', '.json', '.d.ts'].map((ext) => base + ext), ...['index.ts', 'index.js'].map((f) => path.join(base, f))];
	return candidates.some((file) => fs.existsSync(file) && fs.statSync(file).isFile());
}

/** What a build or an install writes: not source. */
const NOT_SOURCE = new Set(['node_modules', 'dist', 'build', 'coverage', 'resources']);

/** Source files under `dir`, relative to the repository root. */
function sourceFiles(dir = ''): string[] {
	return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
		const file = path.posix.join(dir, entry.name);
		if (entry.isDirectory()) return entry.name.startsWith('.') || NOT_SOURCE.has(entry.name) ? [] : sourceFiles(file);
		return SOURCES.test(entry.name) ? [file] : [];
	});
}

describe('the source tree', () => {
	const tracked = sourceFiles();

	it('has the Node-RED package import the core from core/', () => {
		const nodeRed = tracked.filter((file) => file.startsWith('node-red/src/'));
		expect(nodeRed.length).toBeGreaterThan(10);
		expect(nodeRed.some((file) => fs.readFileSync(path.join(ROOT, file), 'utf8').includes("from '../../../core"))).toBe(true);
	});

	it('resolves every relative import to a file in it', () => {
		const unresolved: string[] = [];
		for (const file of tracked) {
			const text = code(fs.readFileSync(path.join(ROOT, file), 'utf8'));
			for (const [, , specifier] of text.matchAll(IMPORT)) {
				if (!resolves(path.join(ROOT, file), specifier)) unresolved.push(`${file}: ${specifier}`);
			}
		}
		expect(unresolved).toEqual([]);
	});
});
