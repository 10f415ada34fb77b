'use strict';
// What every real-host harness shares (n8n-host.js, node-red-host.js, and the queue-mode n8n harness to come):
// the cache folder, one lock per cached install (the Node 24 folder is shared by all of them), installs built
// beside their final folder and renamed into place, a clean environment for child processes, commands run to
// completion, and long-running processes each leading its own process group behind a watchdog that takes the
// whole group down when this process dies, however it dies. Node builtins only.
//
//   const base = require('./host-base');
//   const { nodeBin } = await base.ensureNode24();
//   const proc = base.startProcess(nodeBin, ['server.js'], { env: base.cleanEnv(), onOutput: (text) => … });
//   await proc.stop({ signal: 'SIGTERM', graceMs: 30000 });   // → { code, signal, killed }

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawn } = require('node:child_process');

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @returns {string} the cache root: $MLV_CACHE_DIR or ~/.cache/mlv */
function cacheRoot() {
	return process.env.MLV_CACHE_DIR || path.join(os.homedir(), '.cache', 'mlv');
}

/** @param {string} tag @returns {(message: string) => void} */
function logger(tag) {
	return (message) => process.stderr.write(`[${tag}] ${message}\n`);
}
const log = logger('host');

/** npm hands its settings down as npm_config_* under `npm run`/`npm test` (among them this repo's ignore-scripts=true). */
const KEEP_NPM_ENV = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry']);

/**
 * This process' environment without what only belongs to it (npm's and jest's variables, NODE_OPTIONS),
 * with `extra` applied on top (a value of undefined removes a variable).
 * @param {Record<string, string | undefined>} [extra]
 * @returns {NodeJS.ProcessEnv}
 */
function cleanEnv(extra = {}) {
	/** @type {NodeJS.ProcessEnv} */
	const env = {};
	for (const [name, value] of Object.entries(process.env)) {
		if (/^npm_/i.test(name) && !KEEP_NPM_ENV.has(name.toLowerCase())) continue;
		if (name === 'NODE_OPTIONS' || name === 'NODE_CHANNEL_FD' || name.startsWith('JEST_')) continue;
		env[name] = value;
	}
	for (const [name, value] of Object.entries(extra)) {
		if (value === undefined) delete env[name];
		else env[name] = value;
	}
	return env;
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

/** @param {number} pgid a process group id (the leader's pid) */
function groupAlive(pgid) {
	return isAlive(-pgid);
}

/** @param {number} pgid @param {NodeJS.Signals} signal */
function signalGroup(pgid, signal) {
	try {
		process.kill(-pgid, signal);
	} catch {
		/* the group is gone */
	}
}

/** Resolves once no process of the group is left (a group has no exit event to await). @param {number} pgid */
async function groupGone(pgid, timeoutMs = 10_000) {
	const deadline = Date.now() + timeoutMs;
	while (groupAlive(pgid)) {
		if (Date.now() > deadline) throw new Error(`process group ${pgid} survived SIGKILL`);
		signalGroup(pgid, 'SIGKILL');
		await sleep(50);
	}
}

// ---- every process group started here is killed when this process exits --------------------------------------

/** @type {Set<number>} process groups started here and not yet known to be gone */
const liveGroups = new Set();
let exitHooked = false;
function hookExit() {
	if (exitHooked) return;
	exitHooked = true;
	// Only 'exit': a signal is the program's to handle (a demo stops its hosts gracefully on Ctrl-C), and a death
	// by signal closes the watchdogs' stdin, which makes them take their groups down.
	process.on('exit', () => {
		for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
	});
}

// ---- locks --------------------------------------------------------------------------------------------------

/**
 * Runs fn holding an exclusive lock shared by every process using this cache (<cache>/<name>.lock; mkdir is
 * atomic). A lock whose holder died is taken over.
 * @template T
 * @param {string} name e.g. 'node24', 'n8n-2.40.7'
 * @param {() => Promise<T>} fn
 * @param {{ timeoutMs?: number, pollMs?: number }} [opts]
 * @returns {Promise<T>}
 */
async function withLock(name, fn, { timeoutMs = 30 * 60_000, pollMs = 1000 } = {}) {
	const lockDir = path.join(cacheRoot(), `${name}.lock`);
	fs.mkdirSync(path.dirname(lockDir), { recursive: true });
	const started = Date.now();
	let told = false;
	for (;;) {
		try {
			fs.mkdirSync(lockDir);
			fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
			break;
		} catch (error) {
			if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
			let pid = 0;
			try {
				pid = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8')) || 0;
			} catch {
				/* the holder has not written its pid yet, or just released the lock */
			}
			// No pid after a while: its holder died between mkdir and writing the pid.
			const stale = pid ? !isAlive(pid) : Date.now() - fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs > 10_000;
			if (stale) {
				log(`taking over the lock ${lockDir} of a process that is gone (${pid || 'no pid'})`);
				fs.rmSync(lockDir, { recursive: true, force: true });
				continue;
			}
			if (!told) log(`waiting for another install to finish (lock ${lockDir}, held by pid ${pid || '?'})`);
			told = true;
			if (Date.now() - started > timeoutMs) throw new Error(`gave up waiting for lock ${lockDir}`);
			await sleep(pollMs);
		}
	}
	try {
		return await fn();
	} finally {
		fs.rmSync(lockDir, { recursive: true, force: true });
	}
}

// ---- commands run to completion ---------------------------------------------------------------------------------

/**
 * Runs a command to completion in its own process group (the whole group is killed on timeout), no stdin.
 * Never rejects on a non-zero exit: look at `code`.
 * @param {string} cmd @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, logFile?: string, timeoutMs?: number }} [opts]
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }>}
 */
function run(cmd, args, opts = {}) {
	hookExit();
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, {
			cwd: opts.cwd,
			env: opts.env ?? cleanEnv(),
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		});
		const pgid = /** @type {number} */ (child.pid);
		if (pgid) liveGroups.add(pgid);
		const out = /** @type {Buffer[]} */ ([]);
		const err = /** @type {Buffer[]} */ ([]);
		const sink = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: 'a' }) : null;
		child.stdout.on('data', (d) => (sink ? sink.write(d) : out.push(d)));
		child.stderr.on('data', (d) => (sink ? sink.write(d) : err.push(d)));
		const timer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), opts.timeoutMs ?? 10 * 60_000);
		child.on('error', (error) => {
			clearTimeout(timer);
			liveGroups.delete(pgid);
			reject(error);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			liveGroups.delete(pgid);
			signalGroup(pgid, 'SIGKILL'); // what it left behind
			const done = () =>
				resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
			if (sink) sink.end(done);
			else done();
		});
	});
}

/**
 * run(), rejecting with the command's output when it fails.
 * @param {string} cmd @param {string[]} args @param {Parameters<typeof run>[2]} [opts]
 */
async function runOk(cmd, args, opts = {}) {
	const r = await run(cmd, args, opts);
	if (r.code !== 0) {
		const output = opts.logFile ? fs.readFileSync(opts.logFile, 'utf8').split('\n').slice(-40).join('\n') : `${r.stdout}\n${r.stderr}`;
		throw new Error(`${cmd} ${args.join(' ')} failed (${r.signal ?? `exit ${r.code}`}) in ${opts.cwd ?? process.cwd()}\n${output}`);
	}
	return r;
}

// ---- cached installs --------------------------------------------------------------------------------------------

/**
 * Makes sure a cached install in `dir` works. Fast path: works() → done. Otherwise, holding the lock `name`, builds
 * it in a temp folder beside `dir` (install(tmpDir, logFile)) and renames that into place, so no process ever
 * sees half an install and a crashed install leaves nothing that looks finished.
 * @param {{ name: string, dir: string, works: (dir: string) => Promise<boolean>, install: (tmpDir: string, logFile: string) => Promise<void>, describe?: string }} o
 */
async function installCached({ name, dir, works, install, describe }) {
	if (await works(dir)) return;
	await withLock(name, async () => {
		if (await works(dir)) return;
		const started = Date.now();
		const tmp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
		const logFile = `${tmp}.log`;
		log(`installing ${describe ?? name} into ${dir} (log: ${logFile})`);
		fs.rmSync(tmp, { recursive: true, force: true });
		fs.mkdirSync(tmp, { recursive: true });
		fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'mlv-cache', private: true }, null, 2));
		try {
			await install(tmp, logFile);
			if (!(await works(tmp))) throw new Error(`${describe ?? name} installed but does not work, see ${logFile}`);
			fs.rmSync(dir, { recursive: true, force: true });
			fs.renameSync(tmp, dir);
			fs.renameSync(logFile, path.join(dir, 'install.log'));
		} finally {
			fs.rmSync(tmp, { recursive: true, force: true });
		}
		log(`${describe ?? name} installed in ${Math.round((Date.now() - started) / 1000)} s`);
	});
	if (!(await works(dir))) throw new Error(`${describe ?? name} in ${dir} does not work`);
}

/**
 * npm's flags for cache installs: no audit, fund or update notice; install scripts as asked.
 * @param {string[]} specs @param {{ ignoreScripts?: boolean, omitDev?: boolean }} [o]
 */
function npmInstallArgs(specs, { ignoreScripts = true, omitDev = true } = {}) {
	return [
		'install',
		'--save-exact',
		'--no-audit',
		'--no-fund',
		'--no-update-notifier',
		...(omitDev ? ['--omit=dev'] : []),
		...(ignoreScripts ? ['--ignore-scripts'] : []),
		'--',
		...specs,
	];
}

/**
 * Node 24 from the npm registry (package node-<platform>-<arch>@24), in <cache>/node24, shared by every harness.
 * @returns {Promise<{ nodeBin: string, nodeDir: string }>}
 */
async function ensureNode24() {
	const pkg = `node-${process.platform}-${process.arch}`;
	const dir = path.join(cacheRoot(), 'node24');
	const locate = (/** @type {string} */ d) => {
		const nodeDir = path.join(d, 'node_modules', pkg);
		return { nodeDir, nodeBin: path.join(nodeDir, 'bin', 'node') };
	};
	await installCached({
		name: 'node24',
		dir,
		describe: `${pkg}@24`,
		works: async (d) => {
			const { nodeBin } = locate(d);
			if (!fs.existsSync(nodeBin)) return false;
			const r = await run(nodeBin, ['-p', 'process.versions.node']).catch(() => null);
			return !!r && r.code === 0 && r.stdout.startsWith('24.');
		},
		install: async (tmp, logFile) => {
			await runOk('npm', npmInstallArgs([`${pkg}@24`]), { cwd: tmp, env: cleanEnv(), logFile });
		},
	});
	return locate(dir);
}

// ---- package tarballs -------------------------------------------------------------------------------------------

/**
 * Reads package/package.json out of an npm tarball (gzip + ustar) with node builtins.
 * @param {Buffer | string} tgz the tarball or its path
 * @returns {{ name: string, version: string } & Record<string, any>}
 */
function readTarballPackage(tgz) {
	const tar = zlib.gunzipSync(typeof tgz === 'string' ? fs.readFileSync(tgz) : tgz);
	let off = 0;
	while (off + 512 <= tar.length) {
		const header = tar.subarray(off, off + 512);
		if (header.every((b) => b === 0)) break;
		const cstr = (/** @type {number} */ s, /** @type {number} */ l) =>
			header.subarray(s, s + l).toString('utf8').replace(/\0[\s\S]*$/, '');
		const prefix = cstr(345, 155);
		const name = (prefix ? `${prefix}/` : '') + cstr(0, 100);
		const size = parseInt(cstr(124, 12).trim() || '0', 8);
		if (/^[^/]+\/package\.json$/.test(name)) return JSON.parse(tar.subarray(off + 512, off + 512 + size).toString('utf8'));
		off += 512 + Math.ceil(size / 512) * 512;
	}
	throw new Error('package.json not found in tarball');
}

// ---- long-running processes ------------------------------------------------------------------------------------

// The watchdog leads a process group: it starts the real process (the host), copies its output to its own, tells
// the harness the host's pid and exit status on fd 3, and passes SIGTERM/SIGINT on to the host alone (n8n exits at
// once on a second signal, so the group must not get it), SIGKILLing the group killAfterMs later. When its stdin
// closes (the harness died, even by SIGKILL) it applies orphanSignal to the host (SIGKILL: at once; SIGTERM or
// SIGINT: a graceful stop, e.g. so that Node-RED's nodes stop their streams) and removes cleanupDir once the host
// exited. When the host exits it kills what is left of the group (an n8n task runner, an exec node's child).
const WATCHDOG = `'use strict';
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const [config, bin, ...args] = process.argv.slice(1);
const { orphanSignal, killAfterMs, cleanupDir } = JSON.parse(config);
const tell = (message) => { try { fs.writeSync(3, JSON.stringify(message) + '\\n'); } catch {} };
let parentGone = false;
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => { parentGone = true; });
const killGroup = () => { try { process.kill(-process.pid, 'SIGKILL'); } catch {} };
const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
child.stdout.on('data', (d) => { if (!parentGone) process.stdout.write(d); });
child.stderr.on('data', (d) => { if (!parentGone) process.stderr.write(d); });
child.on('error', (error) => { tell({ error: error.message }); killGroup(); });
if (child.pid) tell({ pid: child.pid });
let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  try { child.kill(signal); } catch {}
  setTimeout(killGroup, killAfterMs).unref();
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
const orphaned = () => {
  if (parentGone) return;
  parentGone = true;
  if (orphanSignal === 'SIGKILL') { stopping = true; try { child.kill('SIGKILL'); } catch {} }
  else stop(orphanSignal);
};
process.stdin.on('end', orphaned);
process.stdin.on('error', orphaned);
process.stdin.resume();
let finished = false;
const finish = (code, signal) => {
  if (finished) return;
  finished = true;
  tell({ exit: { code, signal } });
  if (parentGone && cleanupDir) { try { fs.rmSync(cleanupDir, { recursive: true, force: true }); } catch {} }
  killGroup();
};
// 'close' comes once the host's output is all copied; a grandchild holding its pipes must not keep the group up.
child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 2000));
child.on('close', (code, signal) => finish(code, signal));
`;

/**
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null }} ExitStatus
 * @typedef {object} ManagedProcess
 * @property {number} pgid the process group (the watchdog's pid)
 * @property {() => number | undefined} pid the host process itself (not the watchdog), once started
 * @property {Promise<ExitStatus>} exited resolves when the host exited and its group is gone
 * @property {() => boolean} running
 * @property {(opts?: { signal?: NodeJS.Signals, graceMs?: number }) => Promise<ExitStatus & { killed: boolean }>} stop
 *   sends the signal to the host (SIGKILL: to the whole group), SIGKILLs the group after graceMs, resolves once
 *   nothing of the group is left; idempotent
 */

/**
 * Starts bin in a new process group behind the watchdog.
 * @param {string} bin @param {string[]} args
 * @param {{
 *   cwd?: string,
 *   env?: NodeJS.ProcessEnv,
 *   onOutput?: (text: string) => void,      // stdout and stderr of the host, as they come
 *   orphanSignal?: 'SIGKILL' | 'SIGTERM' | 'SIGINT',  // what the host gets when this process dies (default SIGKILL)
 *   killAfterMs?: number,                   // the watchdog's own grace after a signal (default 20 s)
 *   cleanupDir?: string,                    // removed by the watchdog after the host exited, if this process died
 * }} [opts]
 * @returns {ManagedProcess}
 */
function startProcess(bin, args, opts = {}) {
	hookExit();
	const config = {
		orphanSignal: opts.orphanSignal ?? 'SIGKILL',
		killAfterMs: opts.killAfterMs ?? 20_000,
		cleanupDir: opts.cleanupDir,
	};
	const leader = spawn(process.execPath, ['-e', WATCHDOG, JSON.stringify(config), bin, ...args], {
		cwd: opts.cwd,
		env: opts.env ?? cleanEnv(),
		stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
		detached: true,
	});
	const pgid = /** @type {number} */ (leader.pid);
	liveGroups.add(pgid);
	/** @type {number | undefined} */
	let hostPid;
	/** @type {ExitStatus | undefined} */
	let hostExit;
	let spawnError = '';
	let control = '';
	/** @type {import('node:stream').Readable} */ (leader.stdio[3]).on('data', (chunk) => {
		control += chunk.toString();
		let newline;
		while ((newline = control.indexOf('\n')) >= 0) {
			const message = JSON.parse(control.slice(0, newline));
			control = control.slice(newline + 1);
			if (message.pid) hostPid = message.pid;
			if (message.exit) hostExit = message.exit;
			if (message.error) spawnError = message.error;
		}
	});
	const onOutput = opts.onOutput;
	leader.stdout?.on('data', (d) => onOutput?.(d.toString()));
	leader.stderr?.on('data', (d) => onOutput?.(d.toString()));
	leader.stdin?.on('error', () => {}); // the watchdog went away first
	let done = false;
	/** @type {Promise<ExitStatus>} */
	const exited = new Promise((resolve) => {
		leader.on('close', async (code, signal) => {
			await groupGone(pgid).catch(() => {});
			liveGroups.delete(pgid);
			done = true;
			if (spawnError) onOutput?.(`\n[spawn error] ${bin}: ${spawnError}\n`);
			resolve(hostExit ?? { code, signal });
		});
	});
	return {
		pgid,
		pid: () => hostPid,
		exited,
		running: () => !done,
		async stop({ signal = 'SIGTERM', graceMs = 30_000 } = {}) {
			if (done) return { ...(await exited), killed: false };
			if (signal === 'SIGKILL') signalGroup(pgid, 'SIGKILL');
			else {
				try {
					process.kill(pgid, signal);
				} catch {
					/* the watchdog is gone already */
				}
			}
			/** @type {NodeJS.Timeout | undefined} */
			let timer;
			const inTime = await Promise.race([exited.then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), graceMs)))]);
			clearTimeout(timer);
			if (!inTime) signalGroup(pgid, 'SIGKILL');
			return { ...(await exited), killed: !inTime };
		},
	};
}

module.exports = {
	cacheRoot,
	logger,
	sleep,
	cleanEnv,
	isAlive,
	groupAlive,
	withLock,
	run,
	runOk,
	installCached,
	npmInstallArgs,
	ensureNode24,
	readTarballPackage,
	startProcess,
};
