'use strict';
// A throw-away Redis for real-host tests: Debian's redis-server (package redis-server) on a free 127.0.0.1 port, its
// working folder in a temp folder, no persistence (no RDB snapshots, no AOF). It leads its own process group behind
// host-base's watchdog; the folder is removed by stop(), or by the watchdog when this process dies.
//
//   const redis = await startRedis();
//   await redis.cli(['KEYS', 'bull:*']);
//   await redis.stop();

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const base = require('./host-base');
const { freePort } = require('./ports');

/**
 * @typedef {object} Redis
 * @property {string} host 127.0.0.1
 * @property {number} port
 * @property {string} dir
 * @property {import('./host-base').ManagedProcess} process
 * @property {() => string} logs
 * @property {(args: string[]) => Promise<string>} cli redis-cli against this server (raw output), rejecting on failure
 * @property {() => Promise<void>} stop idempotent
 */

/**
 * @param {{ port?: number, readyTimeoutMs?: number, onOutput?: (text: string) => void }} [opts]
 * @returns {Promise<Redis>}
 */
async function startRedis(opts = {}) {
	const port = opts.port ?? (await freePort());
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlv-redis-'));
	let output = '';
	/** @type {import('./host-base').ManagedProcess | undefined} */
	let proc;
	const ready = new Promise((resolve) => {
		proc = base.startProcess(
			'redis-server',
			['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'notice'],
			{
				cwd: dir,
				cleanupDir: dir,
				orphanSignal: 'SIGKILL',
				killAfterMs: 5_000,
				onOutput: (text) => {
					output += text;
					opts.onOutput?.(text);
					if (output.includes('Ready to accept connections')) resolve(true);
				},
			},
		);
		void proc.exited.then(() => resolve(false));
	});
	const timeoutMs = opts.readyTimeoutMs ?? 30_000;
	/** @type {NodeJS.Timeout | undefined} */
	let timer;
	const inTime = await Promise.race([ready, new Promise((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
	clearTimeout(timer);
	const running = /** @type {import('./host-base').ManagedProcess} */ (proc);
	const remove = () => fs.rmSync(dir, { recursive: true, force: true });
	if (!inTime) {
		await running.stop({ signal: 'SIGKILL' });
		remove();
		throw new Error(`redis-server did not start within ${timeoutMs} ms (apt-get install -y redis-server?):\n${output.slice(-3000)}`);
	}
	let stopped = false;
	return {
		host: '127.0.0.1',
		port,
		dir,
		process: running,
		logs: () => output,
		async cli(args) {
			const r = await base.runOk('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeoutMs: 30_000 });
			return r.stdout;
		},
		async stop() {
			if (stopped) return;
			stopped = true;
			await running.stop({ signal: 'SIGTERM', graceMs: 10_000 });
			remove();
		},
	};
}

module.exports = { startRedis };
