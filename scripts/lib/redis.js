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
const { startService } = require('./service');

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
	const remove = () => fs.rmSync(dir, { recursive: true, force: true });
	/** @type {Awaited<ReturnType<typeof startService>>} */
	let server;
	try {
		const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no'];
		server = await startService({
			name: 'redis-server (apt-get install -y redis-server?)',
			readyLine: 'Ready to accept connections',
			timeoutMs: opts.readyTimeoutMs ?? 30_000,
			onOutput: opts.onOutput,
			spawn: (onOutput) => base.startProcess('redis-server', args, { cwd: dir, cleanupDir: dir, orphanSignal: 'SIGKILL', killAfterMs: 5_000, onOutput }),
		});
	} catch (error) {
		remove();
		throw error;
	}
	const { process: running, logs } = server;
	let stopped = false;
	return {
		host: '127.0.0.1',
		port,
		dir,
		process: running,
		logs,
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
