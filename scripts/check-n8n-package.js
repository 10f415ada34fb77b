'use strict';
// n8n's community-package checks, offline: the scanner's rules on the source (as n8n lints the
// provenance-attested checkout) and on the unpacked `npm pack` tarball (as n8n lints what ships),
// plus what the tarball may contain. Run after `npm run build`.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const ALLOWED = /^package\/(package\.json|README\.md|LICENSE|dist\/(core|credentials|icons|nodes)\/.+\.(js|json|svg))$/;

async function main() {
	const scanner = await import('@n8n/scan-community-package/scanner/scanner.mjs');
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-pack-'));
	try {
		const packed = JSON.parse(
			execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
		)[0];
		const tarball = path.join(work, packed.filename);
		execFileSync('tar', ['-xzf', tarball, '-C', work]);
		const files = packed.files.map((f) => `package/${f.path}`);
		const unexpected = files.filter((f) => !ALLOWED.test(f));
		const pkg = JSON.parse(fs.readFileSync(path.join(work, 'package/package.json'), 'utf8'));
		const missing = [...pkg.n8n.nodes, ...pkg.n8n.credentials].filter((f) => !fs.existsSync(path.join(work, 'package', f)));

		const source = await scanner.analyzePackage(root, scanner.SOURCE_FILE_PATTERNS);
		const shipped = await scanner.analyzePackage(path.join(work, 'package'), ['**/*.js', 'package.json']);
		const upcoming = await upcomingRules(path.join(work, 'package'));

		console.log(`tarball ${packed.filename}: ${files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`);
		console.log(`runtime dependencies: ${Object.keys(pkg.dependencies ?? {}).length}`);
		console.log(`scanner on source:  ${source.passed ? 'passed, 0 findings' : 'FAILED'}`);
		console.log(`scanner on tarball: ${shipped.passed ? 'passed, 0 findings' : 'FAILED'}`);
		console.log(`rules n8n is adding (scripts/lint) on the tarball's package.json and codex files: ${upcoming.length ? 'FAILED' : 'passed, 0 findings'}`);
		for (const finding of upcoming) console.log(`  ${finding}`);
		for (const result of [source, shipped]) if (!result.passed) console.log(result.message, result.details ?? '');
		if (unexpected.length) console.log(`unexpected files in the tarball:\n  ${unexpected.join('\n  ')}`);
		if (missing.length) console.log(`files named in package.json "n8n" but missing:\n  ${missing.join('\n  ')}`);
		const ok = source.passed && shipped.passed && !upcoming.length && !unexpected.length && !missing.length && !pkg.dependencies;
		process.exitCode = ok ? 0 : 1;
	} finally {
		fs.rmSync(work, { recursive: true, force: true });
	}
}

/** The not-yet-published community-node rules (scripts/lint/community-node-rules.mjs) on what ships. */
async function upcomingRules(packageDir) {
	const { ESLint } = await import('eslint');
	const { config } = await import('./lint/community-node-rules.mjs');
	const tsParser = require('@typescript-eslint/parser');
	const eslint = new ESLint({
		cwd: packageDir,
		overrideConfigFile: true,
		overrideConfig: [{ files: ['**/*.json'], languageOptions: { parser: tsParser } }, ...config],
	});
	const results = await eslint.lintFiles(['package.json', 'dist/nodes/**/*.node.json']);
	return results.flatMap((r) => r.messages.map((m) => `${path.relative(packageDir, r.filePath)}:${m.line} ${m.message}`));
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
