'use strict';
/**
 * A real Node-RED host for tests: installs a given Node-RED line into a cache folder, starts it as a
 * child process on 127.0.0.1 with a fresh userDir, installs package tarballs into that userDir the
 * way the palette manager does, drives it through the Admin API and stops it gracefully.
 *
 * Node builtins only (plus ./ports). Plain CommonJS so scripts, jest and the e2e runner can share it.
 *
 *   const { startNodeRed, startSink } = require('./scripts/lib/node-red-host');
 *   const sink = await startSink();
 *   const red = await startNodeRed({ version: '4.1', tarballs: [tgz], httpNodeRoot: '/api' });
 *   await red.deploy(flows);               // resolves once the runtime logged "Started flows"
 *   ... await sink.waitFor(1);
 *   await red.stop(); await sink.close();
 *
 * Observation: a flow ends in an `http request` node that POSTs msg.payload to `sink.url`
 * (see `sinkRequestNode`). Node-RED logs (node.log/warn/error, debug nodes with `console: true`) are in
 * `red.logs()` and can be awaited with `red.waitForLog(re, {from})`.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');
const { EventEmitter } = require('node:events');
const base = require('./host-base');
const { freePort } = require('./ports');

const { cacheRoot, readTarballPackage } = base;

/**
 * The environment of Node-RED and the npm it runs: host-base's clean environment, as CI and without colours.
 * @param {Record<string, string|undefined>} [extra]
 * @returns {NodeJS.ProcessEnv}
 */
function cleanEnv(extra = {}) {
	return base.cleanEnv({ CI: 'true', NO_COLOR: '1', NO_UPDATE_NOTIFIER: '1', ...extra });
}

/**
 * Runs a command to completion with no stdin, in its own process group (killed whole on timeout); rejects with
 * its output when it fails.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number}} [opts]
 * @returns {Promise<{stdout: string, stderr: string}>}
 */
async function run(cmd, args, opts = {}) {
	const { stdout, stderr } = await base.runOk(cmd, args, { env: cleanEnv(), ...opts });
	return { stdout, stderr };
}

/**
 * Compares "a.b.c" against a minimum "x.y.z".
 * @param {string} version @param {string} min
 */
function atLeast(version, min) {
	const a = version.replace(/^v/, '').split('.').map(Number);
	const b = min.split('.').map(Number);
	for (let i = 0; i < 3; i++) {
		if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
	}
	return true;
}

/** Node 24 from the npm registry, shared with every other harness (host-base.js). */
const ensureNode24 = base.ensureNode24;

/**
 * @typedef {object} NodeRedInstall
 * @property {string} nodeBin  node binary that satisfies this Node-RED's engines
 * @property {string} redJs    path of node-red/red.js
 * @property {string} dir      cache folder (holds node_modules/node-red)
 * @property {string} version  exact installed Node-RED version
 * @property {string} npmCli   npm-cli.js bundled with Node-RED (what its palette manager runs)
 */

/** @param {string} dir */
function bundledNpm(dir) {
	return [
		path.join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js'),
		path.join(dir, 'node_modules', '@node-red', 'registry', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
	].find((f) => fs.existsSync(f));
}

/**
 * Installs node-red@<version> (a semver range: '4.1' → latest 4.1.x, '5' → latest 5.x) into
 * <cache>/node-red-<version>, once (a lock per version: parallel runs wait for the first). Node 24 is fetched as
 * well when the Node-RED line needs a newer Node than the one running this script.
 * @param {{version?: string}} [opts]
 * @returns {Promise<NodeRedInstall>}
 */
async function ensureNodeRed({ version = '4.1' } = {}) {
	if (!/^[0-9A-Za-z.^~<>=|*x -]+$/.test(version)) throw new Error(`bad Node-RED version spec: ${version}`);
	const name = `node-red-${version.replace(/[^0-9A-Za-z.-]/g, '_')}`;
	const dir = path.join(cacheRoot(), name);
	const major = Number(String(version).match(/\d+/)?.[0] || 0);
	let env = cleanEnv();
	/** @type {string|undefined} */
	let node24;
	if (major >= 5 && !atLeast(process.version, '22.9')) {
		const n = await ensureNode24();
		node24 = n.nodeBin;
		env = cleanEnv({ PATH: `${path.dirname(n.nodeBin)}${path.delimiter}${process.env.PATH}`, npm_config_nodedir: n.nodeDir });
	}
	const pkgFile = (/** @type {string} */ d) => path.join(d, 'node_modules', 'node-red', 'package.json');
	await base.installCached({
		name,
		dir,
		describe: `node-red@${version}`,
		works: async (d) => fs.existsSync(pkgFile(d)) && !!bundledNpm(d),
		install: async (tmp, logFile) => {
			await base.runOk('npm', base.npmInstallArgs([`node-red@${version}`]), { cwd: tmp, env, logFile });
		},
	});
	const pkg = JSON.parse(fs.readFileSync(pkgFile(dir), 'utf8'));
	let nodeBin = process.execPath;
	const minNode = String(pkg.engines?.node || '').match(/>=\s*([\d.]+)/)?.[1];
	if (minNode && !atLeast(process.version, minNode)) {
		nodeBin = node24 || (await ensureNode24()).nodeBin;
	}
	return {
		nodeBin,
		redJs: path.join(dir, 'node_modules', 'node-red', 'red.js'),
		dir,
		version: pkg.version,
		npmCli: /** @type {string} */ (bundledNpm(dir)),
	};
}

/** Whether ensureNodeRed would have to download this line first. @param {string} [version] */
function isInstalled(version = '4.1') {
	return fs.existsSync(path.join(cacheRoot(), `node-red-${version.replace(/[^0-9A-Za-z.-]/g, '_')}`, 'node_modules', 'node-red', 'package.json'));
}

// ---------------------------------------------------------------------------------------------
// settings.js

/**
 * Serialises a settings value as JavaScript source (functions and RegExps kept as code).
 * @param {unknown} v @param {string} [indent]
 * @returns {string}
 */
function toJs(v, indent = '') {
	const next = `${indent}\t`;
	if (typeof v === 'function') return v.toString();
	if (v instanceof RegExp) return v.toString();
	if (Array.isArray(v)) return `[${v.map((x) => `\n${next}${toJs(x, next)}`).join(',')}\n${indent}]`;
	if (v && typeof v === 'object') {
		const entries = Object.entries(v).filter(([, x]) => x !== undefined);
		return `{${entries.map(([k, x]) => `\n${next}${JSON.stringify(k)}: ${toJs(x, next)}`).join(',')}\n${indent}}`;
	}
	return v === undefined ? 'undefined' : JSON.stringify(v);
}

/**
 * @param {{port: number, httpNodeRoot: string|false, httpAdminRoot: string|false, settings: Record<string, unknown>}} o
 * @returns {Record<string, unknown>}
 */
function buildSettings(o) {
	return {
		uiHost: '127.0.0.1',
		uiPort: o.port,
		flowFile: 'flows.json',
		flowFilePretty: true,
		credentialSecret: 'mlv-node-red-host-test-secret',
		httpAdminRoot: o.httpAdminRoot,
		httpNodeRoot: o.httpNodeRoot,
		// adminAuth deliberately absent: the Admin API is open (127.0.0.1 only).
		logging: { console: { level: 'info', metrics: false, audit: false } },
		telemetry: { enabled: false, updateNotification: false },
		diagnostics: { enabled: true, ui: false },
		runtimeState: { enabled: true, ui: false },
		externalModules: { autoInstall: false, palette: { allowInstall: true, allowUpload: true } },
		functionExternalModules: false,
		exportGlobalContextKeys: false,
		editorTheme: { tours: false, palette: { catalogues: [] }, projects: { enabled: false } },
		...o.settings,
	};
}

// ---------------------------------------------------------------------------------------------
// tarballs

/**
 * The file name Node-RED's palette manager gives an uploaded tarball: <userDir>/nodes/<name>-<version>.tgz
 * @param {{name: string, version: string}} pkg
 */
function paletteTarballName(pkg) {
	const n = pkg.name[0] === '@' ? pkg.name.slice(1).replace(/\//g, '-') : pkg.name;
	return `${n}-${pkg.version}.tgz`;
}

// ---------------------------------------------------------------------------------------------
// HTTP

/**
 * @typedef {{status: number, headers: import('node:http').IncomingHttpHeaders, text: string, json: any}} HttpResult
 */

/**
 * One HTTP request without keep-alive (no sockets left open for jest to complain about).
 * @param {string} method @param {string} url
 * @param {{body?: unknown, headers?: Record<string, string>, timeoutMs?: number}} [opts]
 * @returns {Promise<HttpResult>}
 */
function request(method, url, opts = {}) {
	return new Promise((resolve, reject) => {
		/** @type {Record<string, string|number>} */
		const headers = { Accept: 'application/json', ...opts.headers };
		/** @type {Buffer|undefined} */
		let payload;
		if (Buffer.isBuffer(opts.body)) payload = opts.body;
		else if (typeof opts.body === 'string') payload = Buffer.from(opts.body);
		else if (opts.body !== undefined) {
			payload = Buffer.from(JSON.stringify(opts.body));
			if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
		}
		if (payload) headers['Content-Length'] = payload.length;
		const req = http.request(url, { method, headers, agent: false }, (res) => {
			const chunks = /** @type {Buffer[]} */ ([]);
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json;
				try {
					json = text ? JSON.parse(text) : undefined;
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode || 0, headers: res.headers, text, json });
			});
			res.on('error', reject);
		});
		req.setTimeout(opts.timeoutMs || 30_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
		req.on('error', reject);
		req.end(payload);
	});
}

// ---------------------------------------------------------------------------------------------
// the host

const STARTED_RE = /\[info\] (Started flows|Started modified nodes|Started modified flows)\b/;
const NOT_STARTED_RE = /Waiting for missing types to be registered|Failed to load external modules|Safe mode/;

/**
 * @typedef {object} StartOptions
 * @property {string} [version]         Node-RED range, default '4.1'
 * @property {number} [port]            listen on this port (default: a free one)
 * @property {string[]} [tarballs]      npm tarballs to install into the userDir
 * @property {'npm'|'palette'} [installMode] 'npm' (default): before start, the exact `npm install`
 *   Node-RED's palette manager runs for an uploaded tarball (same npm, same flags, file copied to
 *   <userDir>/nodes/); 'palette': after start, upload through the Admin API (POST /nodes, multipart).
 * @property {string} [userDir]         use this userDir (kept on stop) instead of a fresh temp one
 * @property {string|false} [httpNodeRoot] default '/'
 * @property {string|false} [httpAdminRoot] default '/'
 * @property {Record<string, unknown>} [settings] merged over the defaults (functions allowed)
 * @property {unknown[]} [flows]        initial flows.json written before start
 * @property {Record<string, string>} [env] extra environment for Node-RED
 * @property {number} [startTimeoutMs]  default 90 s
 * @property {number} [stopTimeoutMs]   default 25 s (Node-RED's own close timeout is 15 s)
 * @property {boolean} [keepUserDir]    keep the temp userDir after stop
 * @property {boolean} [echo]           copy Node-RED's output to this process' stderr (or MLV_NODE_RED_ECHO=1)
 */

/**
 * @typedef {object} NodeRedHost
 * @property {string} version      exact Node-RED version
 * @property {string} nodeVersion  Node.js version running it
 * @property {string} baseUrl      http://127.0.0.1:<port>
 * @property {string} adminUrl     baseUrl + httpAdminRoot (no trailing slash)
 * @property {string} httpNodeUrl  baseUrl + httpNodeRoot (no trailing slash)
 * @property {number} port
 * @property {string} userDir
 * @property {{install: number, boot: number, total: number}} timings  ms of the last start
 * @property {() => number|undefined} pid
 * @property {() => string} logs
 * @property {() => number} logOffset   position to pass as `from` to waitForLog
 * @property {(re: RegExp, opts?: {from?: number, timeoutMs?: number}) => Promise<RegExpMatchArray>} waitForLog
 * @property {(method: string, p: string, opts?: {body?: unknown, headers?: Record<string, string>}) => Promise<HttpResult>} admin
 * @property {(flows: unknown[], opts?: {type?: 'full'|'nodes'|'flows', rev?: string, timeoutMs?: number}) => Promise<{rev: string}>} deploy
 * @property {() => Promise<{rev: string, flows: any[]}>} getFlows
 * @property {() => Promise<any[]>} nodeTypes
 * @property {(id: string) => Promise<void>} injectNode
 * @property {(tarball: string) => Promise<any>} uploadTarball
 * @property {(opts?: {signal?: NodeJS.Signals}) => Promise<{code: number|null, signal: string|null, ms: number, killed: boolean}>} stop
 * @property {() => Promise<void>} restart
 */

/**
 * Starts a real Node-RED (child process) and resolves when its flows are running.
 * @param {StartOptions} [opts]
 * @returns {Promise<NodeRedHost>}
 */
async function startNodeRed(opts = {}) {
	const t0 = Date.now();
	const install = await ensureNodeRed({ version: opts.version || '4.1' });
	const ownUserDir = !opts.userDir;
	const userDir = opts.userDir || fs.mkdtempSync(path.join(os.tmpdir(), 'mlv-nr-'));
	fs.mkdirSync(userDir, { recursive: true });
	const httpNodeRoot = opts.httpNodeRoot === undefined ? '/' : opts.httpNodeRoot;
	const httpAdminRoot = opts.httpAdminRoot === undefined ? '/' : opts.httpAdminRoot;
	const port = opts.port || (await freePort());
	const settings = buildSettings({ port, httpNodeRoot, httpAdminRoot, settings: opts.settings || {} });
	fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${toJs(settings)};\n`);
	// What Node-RED itself writes into a new userDir, so `npm install` there saves into it.
	const pkgFile = path.join(userDir, 'package.json');
	if (!fs.existsSync(pkgFile)) {
		fs.writeFileSync(
			pkgFile,
			JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 4),
		);
	}
	if (opts.flows) fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(opts.flows, null, 4));

	const npmEnv = cleanEnv({ PATH: `${path.dirname(install.nodeBin)}${path.delimiter}${process.env.PATH}` });
	const tarballs = (opts.tarballs || []).map((t) => path.resolve(t));
	const installMode = opts.installMode || 'npm';
	const echo = opts.echo ?? process.env.MLV_NODE_RED_ECHO === '1';
	const discardUserDir = () => {
		if (ownUserDir && !opts.keepUserDir) fs.rmSync(userDir, { recursive: true, force: true });
	};
	if (installMode === 'npm' && tarballs.length) {
		const files = [];
		for (const t of tarballs) {
			const dest = path.join(userDir, 'nodes', paletteTarballName(readTarballPackage(fs.readFileSync(t))));
			fs.mkdirSync(path.dirname(dest), { recursive: true });
			fs.copyFileSync(t, dest);
			files.push(dest);
		}
		// Same command as @node-red/registry/lib/installer.js (installModule), run by the same node/npm.
		await run(
			install.nodeBin,
			[install.npmCli, 'install', '--no-audit', '--no-update-notifier', '--no-fund', '--save', '--save-prefix=~', '--omit=dev', '--engine-strict', '--', ...files],
			{ cwd: userDir, env: npmEnv },
		).catch((err) => {
			discardUserDir();
			throw err;
		});
	}
	const tInstalled = Date.now();

	const baseUrl = `http://127.0.0.1:${port}`;
	const trim = (/** @type {string|false} */ r) => (r === false ? '' : `${baseUrl}${r.replace(/\/+$/, '')}`);
	const events = new EventEmitter();
	events.setMaxListeners(0);
	let logText = '';
	/** @type {import('./host-base').ManagedProcess|undefined} */
	let proc;
	let stopped = false;

	const host = /** @type {NodeRedHost} */ ({
		version: install.version,
		nodeVersion: '',
		baseUrl,
		adminUrl: trim(httpAdminRoot),
		httpNodeUrl: trim(httpNodeRoot),
		port,
		userDir,
		timings: { install: tInstalled - t0, boot: 0, total: 0 },
		pid: () => proc?.pid(),
		logs: () => logText,
		logOffset: () => logText.length,
		waitForLog,
		admin: (method, p, o = {}) => request(method, `${host.adminUrl}${p}`, o),
		deploy,
		getFlows: async () => {
			const r = await host.admin('GET', '/flows', { headers: { 'Node-RED-API-Version': 'v2' } });
			if (r.status !== 200) throw new Error(`GET /flows → ${r.status} ${r.text}`);
			return r.json;
		},
		nodeTypes: async () => {
			const r = await host.admin('GET', '/nodes');
			if (r.status !== 200) throw new Error(`GET /nodes → ${r.status} ${r.text}`);
			return r.json;
		},
		injectNode: async (id) => {
			const r = await host.admin('POST', `/inject/${encodeURIComponent(id)}`);
			if (r.status !== 200) throw new Error(`POST /inject/${id} → ${r.status} ${r.text}`);
		},
		uploadTarball,
		stop,
		restart,
	});

	/**
	 * Resolves with the first match of `re` in the logs at or after `from`, as soon as it is printed.
	 * @param {RegExp} re @param {{from?: number, timeoutMs?: number}} [o]
	 * @returns {Promise<RegExpMatchArray>}
	 */
	function waitForLog(re, o = {}) {
		const from = o.from ?? 0;
		const flat = new RegExp(re.source, re.flags.replace('g', ''));
		return new Promise((resolve, reject) => {
			const check = () => {
				const m = logText.slice(from).match(flat);
				if (m) {
					cleanup();
					resolve(m);
				}
			};
			const onExit = () => {
				cleanup();
				reject(new Error(`Node-RED exited while waiting for ${re}\n--- logs ---\n${logText.slice(-6000)}`));
			};
			const timer = setTimeout(() => {
				cleanup();
				reject(new Error(`timed out waiting for ${re}\n--- logs ---\n${logText.slice(-6000)}`));
			}, o.timeoutMs || 30_000);
			const cleanup = () => {
				clearTimeout(timer);
				events.off('data', check);
				events.off('exit', onExit);
			};
			events.on('data', check);
			events.on('exit', onExit);
			check();
		});
	}

	/** @param {unknown[]} flows @param {{type?: 'full'|'nodes'|'flows', rev?: string, timeoutMs?: number}} [o] */
	async function deploy(flows, o = {}) {
		const from = logText.length;
		const r = await host.admin('POST', '/flows', {
			body: o.rev ? { flows, rev: o.rev } : { flows },
			headers: { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': o.type || 'full' },
		});
		if (r.status !== 200) throw new Error(`POST /flows → ${r.status} ${r.text}`);
		// The Admin API answers once the old flows stopped; the new ones start afterwards.
		const m = await waitForLog(new RegExp(`${STARTED_RE.source}|${NOT_STARTED_RE.source}`), { from, timeoutMs: o.timeoutMs });
		if (NOT_STARTED_RE.test(m[0])) throw new Error(`flows did not start: ${m[0]}\n${logText.slice(from)}`);
		return r.json;
	}

	/** @param {string} tarball */
	async function uploadTarball(tarball) {
		const file = fs.readFileSync(tarball);
		const boundary = `----mlv${crypto.randomBytes(8).toString('hex')}`;
		const body = Buffer.concat([
			Buffer.from(
				`--${boundary}\r\nContent-Disposition: form-data; name="tarball"; filename="${path.basename(tarball)}"\r\n` +
					'Content-Type: application/gzip\r\n\r\n',
			),
			file,
			Buffer.from(`\r\n--${boundary}--\r\n`),
		]);
		const r = await request('POST', `${host.adminUrl}/nodes`, {
			body,
			headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
			timeoutMs: 5 * 60_000,
		});
		if (r.status !== 200) throw new Error(`POST /nodes (tarball) → ${r.status} ${r.text}\n${logText.slice(-4000)}`);
		return r.json;
	}

	async function boot() {
		const tBoot = Date.now();
		const from = logText.length;
		stopped = false;
		const onData = (/** @type {string} */ d) => {
			logText += d;
			if (echo) process.stderr.write(d);
			events.emit('data');
		};
		const current = base.startProcess(install.nodeBin, [install.redJs, '--userDir', userDir], {
			cwd: userDir,
			env: cleanEnv({ NODE_RED_DISABLE_TELEMETRY: '1', PATH: npmEnv.PATH, ...opts.env }),
			onOutput: onData,
			// A Node-RED left behind stops gracefully, so that its nodes stop the streams they started.
			orphanSignal: 'SIGINT',
			killAfterMs: opts.stopTimeoutMs || 25_000,
			cleanupDir: ownUserDir && !opts.keepUserDir ? userDir : undefined,
		});
		proc = current;
		void current.exited.then(() => events.emit('exit'));
		const timeoutMs = opts.startTimeoutMs || 90_000;
		try {
			// "Server now running" comes from server.listen(); flows start independently of it.
			await waitForLog(/Server now running at/, { from, timeoutMs });
			const m = await waitForLog(new RegExp(`${STARTED_RE.source}|${NOT_STARTED_RE.source}`), { from, timeoutMs });
			if (NOT_STARTED_RE.test(m[0]) && opts.flows) throw new Error(`flows did not start: ${m[0]}`);
			const s = await host.admin('GET', '/settings');
			if (s.status !== 200) throw new Error(`GET /settings → ${s.status} ${s.text}`);
			const v = logText.slice(from).match(/\[info\] Node\.js\s+version: (v[\d.]+)/);
			host.nodeVersion = v ? v[1] : '';
		} catch (err) {
			await stopChild('SIGKILL');
			throw err;
		}
		host.timings.boot = Date.now() - tBoot;
	}

	/** @param {NodeJS.Signals} signal */
	async function stopChild(signal) {
		const current = proc;
		if (!current) return { code: null, signal: null, killed: false };
		const timeoutMs = opts.stopTimeoutMs || 25_000;
		// graceMs a little over the watchdog's own: a kill after the time limit is the watchdog's, reported as such.
		const res = await current.stop({ signal, graceMs: timeoutMs + 5000 });
		const killed = res.killed || (signal !== 'SIGKILL' && res.signal === 'SIGKILL');
		if (killed) logText += `\n[node-red-host] no exit ${timeoutMs} ms after ${signal}: the process group was killed\n`;
		return { code: res.code, signal: res.signal, killed };
	}

	/** Graceful stop: SIGINT (Node-RED's RED.stop(): every node's close handler runs), then exit. */
	async function stop({ signal = /** @type {NodeJS.Signals} */ ('SIGINT') } = {}) {
		const t = Date.now();
		const res = await stopChild(signal);
		if (!stopped) {
			stopped = true;
			discardUserDir();
		}
		return { code: res.code, signal: res.signal, killed: res.killed, ms: Date.now() - t };
	}

	/** Stops gracefully and starts again on the same port and userDir (flows and credentials persist). */
	async function restart() {
		await stopChild('SIGINT');
		await boot();
	}

	try {
		await boot();
		if (installMode === 'palette') {
			for (const t of tarballs) await uploadTarball(t);
		}
	} catch (err) {
		await stop({ signal: 'SIGKILL' });
		throw err;
	}
	host.timings.total = Date.now() - t0;
	return host;
}

// ---------------------------------------------------------------------------------------------
// sink

/**
 * @typedef {object} SinkRequest
 * @property {string} method
 * @property {string} url
 * @property {import('node:http').IncomingHttpHeaders} headers
 * @property {string} text
 * @property {any} body  parsed JSON, or the text when it is not JSON
 * @property {number} at  Date.now() on arrival
 */

/**
 * @typedef {object} Sink
 * @property {string} url  http://127.0.0.1:<port> (any path is accepted and recorded)
 * @property {number} port
 * @property {SinkRequest[]} received
 * @property {(count: number, opts?: {timeoutMs?: number, filter?: (r: SinkRequest) => boolean}) => Promise<SinkRequest[]>} waitFor
 *   resolves as soon as `count` (matching) requests have arrived in total
 * @property {() => void} reset
 * @property {() => Promise<void>} close
 */

/**
 * A local HTTP server collecting what flows POST to it (e.g. from an `http request` node).
 * @param {{respond?: (r: SinkRequest) => {status?: number, body?: unknown}}} [opts]
 * @returns {Promise<Sink>}
 */
async function startSink(opts = {}) {
	const events = new EventEmitter();
	events.setMaxListeners(0);
	/** @type {SinkRequest[]} */
	const received = [];
	const server = http.createServer((req, res) => {
		const chunks = /** @type {Buffer[]} */ ([]);
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const text = Buffer.concat(chunks).toString('utf8');
			let body = text;
			try {
				body = text ? JSON.parse(text) : undefined;
			} catch {
				/* keep text */
			}
			/** @type {SinkRequest} */
			const r = { method: req.method || '', url: req.url || '', headers: req.headers, text, body, at: Date.now() };
			received.push(r);
			const out = opts.respond ? opts.respond(r) : {};
			const payload = JSON.stringify(out.body === undefined ? { ok: true } : out.body);
			res.writeHead(out.status || 200, { 'Content-Type': 'application/json', Connection: 'close' });
			res.end(payload);
			events.emit('request', r);
		});
	});
	server.keepAliveTimeout = 1000;
	// Port 0: the OS picks a free port at bind time (no window for another process to take it).
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve(undefined));
	});
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		received,
		reset: () => {
			received.length = 0;
		},
		waitFor(count, o = {}) {
			const filter = o.filter || (() => true);
			return new Promise((resolve, reject) => {
				const check = () => {
					const hits = received.filter(filter);
					if (hits.length >= count) {
						cleanup();
						resolve(hits);
					}
				};
				const timer = setTimeout(() => {
					cleanup();
					reject(new Error(`sink: ${received.filter(filter).length}/${count} requests after ${o.timeoutMs || 15_000} ms`));
				}, o.timeoutMs || 15_000);
				const cleanup = () => {
					clearTimeout(timer);
					events.off('request', check);
				};
				events.on('request', check);
				check();
			});
		},
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections?.();
				server.close(() => resolve());
			}),
	};
}

/**
 * A core `http request` node that POSTs msg.payload as JSON to the sink (wire your node into it).
 * @param {{id: string, z: string, url: string, wires?: string[][]}} o
 */
function sinkRequestNode(o) {
	return {
		id: o.id,
		type: 'http request',
		z: o.z,
		name: 'to sink',
		method: 'POST',
		ret: 'obj',
		paytoqs: 'ignore',
		url: o.url,
		tls: '',
		persist: false,
		proxy: '',
		insecureHTTPParser: false,
		authType: '',
		senderr: false,
		headers: [], // an object msg.payload is sent as JSON with Content-Type application/json
		x: 400,
		y: 100,
		wires: o.wires || [[]],
	};
}

module.exports = {
	ensureNodeRed,
	isInstalled,
	ensureNode24,
	startNodeRed,
	startSink,
	sinkRequestNode,
	request,
	readTarballPackage,
	paletteTarballName,
	cacheRoot,
	cleanEnv,
	run,
};
