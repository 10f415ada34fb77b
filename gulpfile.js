'use strict';
// Build orchestration for both packages, from the one source tree (every import resolves there):
//   n8n package (root):    dist/{core,credentials,icons,nodes}  ← tsc (tsconfig.json): plain
//                          CommonJS, no runtime dependency, every file as n8n's scanner reads it
//   Node-RED package:      node-red/dist/nodes/*.js             ← esbuild, one bundle per node set
//                          (the core and node-red/src/lib inlined, undici left to npm), type-checked
//                          by tsc (node-red/tsconfig.json); node-red/resources/memories-live-editor.js
//                          ← esbuild, the editor's browser bundle (node-red/src/editor/tsconfig.json)
//   sandbox (never published): build/sandbox                    ← tsc (sandbox/tsconfig.json)
// Quiet when it works (run with --silent by `npm run build`); tsc and esbuild print what fails.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');
const { series, src, dest } = require('gulp');

const root = __dirname;
const tsc = require.resolve('typescript/bin/tsc');

/** A step that failed has printed why (tsc, esbuild): gulp then only needs to stop. */
class ReportedError extends Error {
	constructor(what) {
		super(`${what} failed (see above)`);
		this.showStack = false;
	}
}

function typescript(project) {
	try {
		execFileSync(process.execPath, [tsc, '-p', path.join(root, project)], { stdio: 'inherit', cwd: root });
	} catch {
		throw new ReportedError(`tsc -p ${project}`);
	}
}

async function bundle(options) {
	try {
		await esbuild.build({ bundle: true, logLevel: 'warning', absWorkingDir: root, legalComments: 'none', ...options });
	} catch {
		throw new ReportedError(`esbuild ${options.outdir ?? options.outfile}`);
	}
}

function remove(...dirs) {
	for (const dir of dirs) fs.rmSync(path.join(root, dir), { recursive: true, force: true });
}

// build/ also holds what test runs leave (reliability records, screenshots, logs): a rebuild
// between two suites must not lose the first one's records, so only compiled output goes.
function clean(done) {
	remove('dist', 'build/sandbox', 'node-red/dist', 'node-red/resources');
	done();
}

// n8n: compiled code plus the icons and codex files n8n reads beside each node.
function compileN8n(done) {
	typescript('tsconfig.json');
	done();
}
function copyN8nAssets() {
	return src(['icons/*.svg', 'nodes/**/*.{svg,png,json}', 'credentials/**/*.{svg,png}'], { base: root, encoding: false }).pipe(
		dest('dist'),
	);
}

function checkNodeRed(done) {
	typescript('node-red/tsconfig.json');
	typescript('node-red/src/editor/tsconfig.json');
	done();
}
// Each node set is a file Node-RED loads on its own (package.json "node-red".nodes): one bundle each.
function bundleNodeRed() {
	const nodesDir = path.join(root, 'node-red/src/nodes');
	const entries = fs.readdirSync(nodesDir).filter((file) => file.endsWith('.ts'));
	return bundle({
		entryPoints: entries.map((file) => path.join(nodesDir, file)),
		outdir: path.join(root, 'node-red/dist/nodes'),
		platform: 'node',
		format: 'cjs',
		target: 'node18',
		// A runtime dependency of the package, installed by npm beside it (and loaded on first use).
		external: ['undici'],
	});
}
// The editor's script: the browser bundle of the core's browser-safe rules and the editor helpers.
function bundleEditor() {
	return bundle({
		entryPoints: [path.join(root, 'node-red/src/editor/memories-live-editor.ts')],
		outfile: path.join(root, 'node-red/resources/memories-live-editor.js'),
		platform: 'browser',
		format: 'iife',
		target: 'es2018',
	});
}
function copyNodeRedAssets() {
	return src('node-red/src/nodes/**/*.{html,json}', { base: 'node-red/src', encoding: false }).pipe(dest('node-red/dist'));
}
// Node-RED looks for a node set's icons in an icons/ folder beside its .js files.
function copyNodeRedIcons() {
	return src('node-red/icons/*.{svg,png}', { encoding: false }).pipe(dest('node-red/dist/nodes/icons'));
}

function compileSandbox(done) {
	typescript('sandbox/tsconfig.json');
	done();
}

const buildN8n = series(compileN8n, copyN8nAssets);
const buildNodeRed = series(checkNodeRed, bundleNodeRed, bundleEditor, copyNodeRedAssets, copyNodeRedIcons);

exports.clean = clean;
exports['build:n8n'] = buildN8n;
exports['build:node-red'] = buildNodeRed;
exports['build:sandbox'] = compileSandbox;
exports.build = series(clean, buildN8n, buildNodeRed, compileSandbox);
exports.default = exports.build;
