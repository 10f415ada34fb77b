'use strict';
// A real n8n host for end-to-end tests and demos: installs n8n (and the Node 24 it needs) into the cache, installs
// our package the way n8n's community-packages installer does, starts `n8n start` on free 127.0.0.1 ports, runs n8n
// CLI commands, and drives the public REST API (owner + API key are created headlessly). Cache, locks, process
// groups and the watchdog come from host-base.js. node: builtins only, no npm dependencies.
//
// Typical use (always stop in a finally / afterAll; the watchdog also kills n8n if this process dies):
//   const host = require('./scripts/lib/n8n-host');
//   const n8n = await host.startN8n({ packageDirs: [tarball] });      // installed as a community package
//   try {
//     await n8n.cli(['import:credentials', `--input=${credFile}`]);
//     await n8n.cli(['import:workflow', `--input=${wfFile}`]);
//     const api = await n8n.createOwnerAndApiKey();
//     await api.activateWorkflow('wf1');                          // waits until the triggers are live
//     await fetch(`${n8n.baseUrl}/webhook/...`, { method: 'POST', ... });
//     await n8n.waitForExecutions('wf1', 1);
//   } finally { await n8n.stop(); }
//
// Other process layouts (queue mode: `n8n start` + `n8n webhook` + `n8n worker` sharing one database) build on
// ensureN8n, n8nEnv and spawnN8n: one environment per process role, each process in its own watched group.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const base = require('./host-base');
const { freePorts } = require('./ports');

const DEFAULT_VERSION = '2.40.7';
const DEFAULT_REGISTRY = 'https://registry.npmjs.org';
const log = base.logger('n8n-host');
const { sleep, cacheRoot } = base;

/**
 * @typedef {{ version: string, dir: string, nodeDir: string, nodeBin: string, n8nBin: string }} N8nPaths
 * @param {string} [version]
 * @returns {N8nPaths}
 */
function n8nPaths(version = DEFAULT_VERSION) {
	const root = cacheRoot();
	const nodeDir = path.join(root, 'node24', 'node_modules', `node-${process.platform}-${process.arch}`);
	const dir = path.join(root, `n8n-${version}`);
	return {
		version,
		dir,
		nodeDir,
		nodeBin: path.join(nodeDir, 'bin', 'node'),
		n8nBin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
	};
}

/** @param {N8nPaths} p @returns {NodeJS.ProcessEnv} npm and what it starts run on Node 24 (native modules build against it) */
function node24Env(p, extra = {}) {
	return base.cleanEnv({ PATH: `${path.join(p.nodeDir, 'bin')}${path.delimiter}${process.env.PATH}`, ...extra });
}

/** An install works when it is the right version and its native sqlite3 loads under Node 24. @param {N8nPaths} p @param {string} dir */
async function n8nWorks(p, dir) {
	const pkg = path.join(dir, 'node_modules', 'n8n', 'package.json');
	if (!fs.existsSync(pkg) || !fs.existsSync(path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'))) return false;
	if (JSON.parse(fs.readFileSync(pkg, 'utf8')).version !== p.version) return false;
	const r = await base.run(p.nodeBin, ['-e', 'require(process.argv[1])', path.join(dir, 'node_modules', 'sqlite3')]);
	return r.code === 0;
}

/** @param {string} [version] */
function isInstalled(version = DEFAULT_VERSION) {
	return fs.existsSync(n8nPaths(version).n8nBin);
}

/**
 * Makes sure Node 24 and n8n@version are installed in the cache; a no-op (≈0.2 s) when they are.
 * Installing from nothing takes ≈4-5 min and 2.9 GB (npm registry only; sqlite3 is compiled from source).
 * @param {{ version?: string }} [opts]
 * @returns {Promise<N8nPaths>}
 */
async function ensureN8n({ version = DEFAULT_VERSION } = {}) {
	await base.ensureNode24();
	const p = n8nPaths(version);
	await base.installCached({
		name: `n8n-${version}`,
		dir: p.dir,
		describe: `n8n@${version} (≈4-5 min, 2.9 GB)`,
		works: (dir) => n8nWorks(p, dir),
		install: async (tmp, logFile) => {
			// ignore-scripts: n8n's install scripts fail here; sqlite3 is the one native module n8n needs, built after.
			// npm_config_* from `npm run` are gone (cleanEnv): this repo's ignore-scripts=true would make the rebuild a no-op.
			const env = node24Env(p, { npm_config_nodedir: p.nodeDir, npm_config_ignore_scripts: 'false' });
			await base.runOk('npm', base.npmInstallArgs([`n8n@${version}`]), { cwd: tmp, env, logFile });
			await base.runOk('npm', ['rebuild', 'sqlite3', '--no-audit', '--no-fund'], { cwd: tmp, env, logFile });
		},
	});
	return p;
}

/**
 * The environment of every n8n process of one instance: offline, quiet, on 127.0.0.1, Node 24 first on PATH
 * (the npm n8n runs to install community packages runs on it, as on a machine with only Node 24).
 * @param {{ paths: N8nPaths, userFolder: string, port: number, brokerPort: number, env?: Record<string, string | undefined> }} o
 * @returns {NodeJS.ProcessEnv}
 */
function n8nEnv({ paths, userFolder, port, brokerPort, env = {} }) {
	return node24Env(paths, {
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
		// Never the custom-extensions route: it registers our nodes as CUSTOM.* types, which the examples do not use.
		N8N_CUSTOM_EXTENSIONS: undefined,
		NODE_PATH: undefined,
		N8N_CONFIG_FILES: undefined,
		E2E_TESTS: undefined,
		WEBHOOK_URL: undefined,
		...env,
	});
}

/**
 * Installs an `npm pack` tarball into <userFolder>/.n8n/nodes exactly as n8n's installer does (2.40's
 * CommunityPackagesService.downloadPackage, what Settings → Community Nodes → Install runs): `npm pack` the package
 * into the nodes folder, unpack it into node_modules/<name>, drop its dev, peer and optional dependencies (n8n-workflow
 * then resolves to n8n's own copy), `npm install` its dependencies there with n8n's flags, and record it in the
 * folder's package.json. Its node types are `<package name>.<node name>`, as for every user.
 * With mode 'manual', what the README tells users to do before the package is on the registry instead: copy the
 * tarball into that folder and `npm install --omit=peer ./<tarball>` there (--omit=peer: no n8n-workflow of its own).
 * @param {string} userFolder N8N_USER_FOLDER
 * @param {string} tarball an `npm pack` tarball
 * @param {{ paths?: N8nPaths, mode?: 'community' | 'manual' }} [opts]
 * @returns {Promise<string>} the package name
 */
async function installCommunityPackage(userFolder, tarball, { paths = n8nPaths(), mode = 'community' } = {}) {
	if (!fs.statSync(tarball).isFile()) throw new Error(`${tarball}: an npm pack tarball is needed (install a folder with npm pack first)`);
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	fs.mkdirSync(nodesDir, { recursive: true });
	const env = node24Env(paths);
	const npm = (/** @type {string[]} */ args, /** @type {string} */ cwd) => base.runOk('npm', args, { cwd, env, timeoutMs: 5 * 60_000 });
	const { name } = base.readTarballPackage(tarball);
	if (mode === 'manual') {
		// README: copy the tarball into ~/.n8n/nodes, then `npm install --omit=peer ./<tarball>` there.
		fs.copyFileSync(tarball, path.join(nodesDir, path.basename(tarball)));
		await npm(['install', '--omit=peer', '--no-audit', '--no-fund', `./${path.basename(tarball)}`], nodesDir);
		return name;
	}
	// ensurePackageJson(): n8n keeps a ledger of installed packages there.
	const ledgerFile = path.join(nodesDir, 'package.json');
	if (!fs.existsSync(ledgerFile)) {
		fs.writeFileSync(ledgerFile, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
	}
	const registry = `--registry=${process.env.N8N_COMMUNITY_PACKAGES_REGISTRY || DEFAULT_REGISTRY}`;
	const packageDir = path.join(nodesDir, 'node_modules', name);
	fs.rmSync(packageDir, { recursive: true, force: true });
	fs.mkdirSync(packageDir, { recursive: true });
	const packed = (await npm(['pack', path.resolve(tarball), '--quiet', registry], nodesDir)).stdout.trim();
	try {
		await base.runOk('tar', ['-xzf', packed, '-C', packageDir, '--strip-components=1'], { cwd: nodesDir });
		const packageJsonFile = path.join(packageDir, 'package.json');
		const { devDependencies, peerDependencies, optionalDependencies, ...packageJson } = JSON.parse(fs.readFileSync(packageJsonFile, 'utf8'));
		fs.writeFileSync(packageJsonFile, JSON.stringify(packageJson, null, 2));
		await npm(
			['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow', '--ignore-scripts=true', '--package-lock=false', registry],
			packageDir,
		);
		const ledger = JSON.parse(fs.readFileSync(ledgerFile, 'utf8'));
		ledger.dependencies = { ...ledger.dependencies, [name]: packageJson.version };
		fs.writeFileSync(ledgerFile, JSON.stringify(ledger, null, 2));
	} finally {
		fs.rmSync(path.join(nodesDir, packed), { force: true });
	}
	return name;
}

/**
 * Starts one n8n process (`n8n start`, `n8n webhook`, `n8n worker`, …) in its own watched process group.
 * @param {N8nPaths} p @param {string[]} args
 * @param {{ userFolder: string, env: NodeJS.ProcessEnv, onOutput?: (text: string) => void, cleanupDir?: string }} o
 */
function spawnN8n(p, args, { userFolder, env, onOutput, cleanupDir }) {
	return base.startProcess(p.nodeBin, [p.n8nBin, ...args], {
		cwd: userFolder,
		env,
		onOutput,
		// n8n keeps its triggers (and our streams) across a restart: an orphan is killed, not stopped.
		orphanSignal: 'SIGKILL',
		killAfterMs: Number(process.env.N8N_HOST_KILL_AFTER_MS) || 20_000,
		cleanupDir,
	});
}

/**
 * Runs one n8n CLI command against a user folder (own free ports: `execute` starts a task broker, so it can
 * run beside a started instance). Resolves with its exit code and output; never rejects on a non-zero exit.
 * @param {string[]} args e.g. ['import:workflow', '--input=wf.json']
 * @param {{ userFolder: string, env?: Record<string, string | undefined>, version?: string, timeoutMs?: number }} opts
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
async function n8nCli(args, { userFolder, env, version, timeoutMs = 180_000 }) {
	const paths = await ensureN8n({ version });
	const [port, brokerPort] = await freePorts(2);
	return await base.run(paths.nodeBin, [paths.n8nBin, ...args], {
		cwd: userFolder,
		env: n8nEnv({ paths, userFolder, port, brokerPort, env }),
		timeoutMs,
	});
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

/**
 * @typedef {object} N8nInstance
 * @property {string} baseUrl e.g. http://127.0.0.1:41234 (no trailing slash; stays the same across restart())
 * @property {number} port
 * @property {string} userFolder
 * @property {N8nPaths} paths
 * @property {() => string} logs everything n8n printed so far (all runs of this instance)
 * @property {() => number | undefined} pid the `n8n start` process (not its watchdog) while it runs
 * @property {(opts?: { signal?: NodeJS.Signals }) => Promise<void>} stop graceful (SIGTERM) unless signal:'SIGKILL' (crash); waits until the whole process tree is gone; idempotent
 * @property {(opts?: { signal?: NodeJS.Signals }) => Promise<void>} restart stop then start on the same ports
 * @property {(args: string[], opts?: { env?: Record<string, string | undefined>, timeoutMs?: number }) => Promise<{ code: number | null, stdout: string, stderr: string }>} cli n8nCli with this instance's user folder
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
 *   packageDirs?: string[],   // `npm pack` tarballs installed as community packages; types <package>.<name>
 *   installMode?: 'community' | 'manual',  // n8n's installer (default) or the README's `npm install` (see installCommunityPackage)
 *   userFolder?: string,      // default: a new temp folder, removed by stop()
 *   env?: Record<string, string | undefined>,  // extra or overriding env (undefined removes a variable)
 *   version?: string,
 *   port?: number,            // default: a free one
 *   readyTimeoutMs?: number,
 *   keepUserFolder?: boolean,
 *   onOutput?: (text: string) => void,  // n8n's output as it comes
 * }} [opts]
 * @returns {Promise<N8nInstance>}
 */
async function startN8n(opts = {}) {
	const { packageDirs = [], env, version, readyTimeoutMs = 180_000 } = opts;
	const p = await ensureN8n({ version });
	const ownFolder = !opts.userFolder;
	const userFolder = opts.userFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-host-'));
	fs.mkdirSync(userFolder, { recursive: true });
	const discardFolder = () => {
		if (ownFolder && !opts.keepUserFolder) fs.rmSync(userFolder, { recursive: true, force: true });
	};
	try {
		for (const tarball of packageDirs) await installCommunityPackage(userFolder, tarball, { paths: p, mode: opts.installMode });
	} catch (error) {
		discardFolder();
		throw error;
	}
	const free = await freePorts(2);
	const port = opts.port ?? free[0];
	const brokerPort = /** @type {number} */ (free.find((x) => x !== port));
	const baseUrl = `http://127.0.0.1:${port}`;
	const logsEditorLine = ['info', 'debug'].includes(env?.N8N_LOG_LEVEL ?? 'info');
	let output = '';
	/** @type {import('./host-base').ManagedProcess | null} */
	let proc = null;
	let stoppedForGood = false;

	const launch = async () => {
		const started = Date.now();
		output += `\n----- n8n start (${new Date().toISOString()}) -----\n`;
		const runStart = output.length;
		const current = spawnN8n(p, ['start'], {
			userFolder,
			env: n8nEnv({ paths: p, userFolder, port, brokerPort, env }),
			cleanupDir: ownFolder && !opts.keepUserFolder ? userFolder : undefined,
			onOutput: (text) => {
				const clean = text.replace(/\x1b\[[0-9;]*m/g, '');
				output += clean;
				opts.onOutput?.(clean);
			},
		});
		proc = current;
		let exitInfo = '';
		void current.exited.then(({ code, signal }) => {
			exitInfo = `n8n exited (code ${code}, signal ${signal})`;
		});
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
		const current = proc;
		if (!current) return;
		await current.stop({ signal, graceMs: 30_000 });
		proc = null;
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

	try {
		await launch();
	} catch (error) {
		discardFolder();
		throw error;
	}

	/** @type {N8nInstance} */
	const instance = {
		baseUrl,
		port,
		userFolder,
		paths: p,
		logs: () => output,
		pid: () => proc?.pid(),
		async stop({ signal = 'SIGTERM' } = {}) {
			await stopProcess(signal);
			if (!stoppedForGood) discardFolder();
			stoppedForGood = true;
		},
		async restart({ signal = 'SIGTERM' } = {}) {
			if (stoppedForGood) throw new Error('restart() after stop()');
			await stopProcess(signal);
			await launch();
		},
		cli: (args, o = {}) => n8nCli(args, { userFolder, version: p.version, ...o }),
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
	cacheRoot,
	n8nPaths,
	isInstalled,
	ensureN8n,
	n8nEnv,
	spawnN8n,
	n8nCli,
	startN8n,
	installCommunityPackage,
	createOwnerAndApiKey,
};
