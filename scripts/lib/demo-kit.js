'use strict';
// What `npm run demo` (Node-RED) and `npm run demo:n8n` share: the sandbox or the real service (same variables),
// the packed package, a local console that prints each result as the host's flow POSTs it, the first-run notice,
// and one shutdown on Ctrl-C, SIGINT or SIGTERM (also when only this process gets the signal: the npm scripts
// `exec` node, so npm's forwarded signal reaches it) that undoes everything in reverse order and leaves nothing.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { freePort } = require('./ports');
const { startSink } = require('./sink');

const ROOT = path.join(__dirname, '../..');
const SANDBOX_KEY = 'sk-demo-sandbox-key';
const SANDBOX_RTMP_URL = 'rtmp://camera.example.com/live/kitchen';
const REAL_SERVICE = ['MEMORIES_API_KEY', 'RTMP_URL', 'PUBLIC_URL'];

const say = (line = '') => process.stdout.write(`${line}\n`);
const time = () => new Date().toTimeString().slice(0, 8);

/** @param {number} port */
function portIsFree(port) {
	return new Promise((resolve) => {
		const server = net.createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

/** The preferred port if free (a real service needs the one PUBLIC_URL forwards to), else any. */
async function hostPort({ envName, preferred, real }) {
	const asked = Number(process.env[envName]);
	if (asked) {
		if (!(await portIsFree(asked))) throw new Error(`Port ${asked} (${envName}) is busy.`);
		return asked;
	}
	if (await portIsFree(preferred)) return preferred;
	if (real) throw new Error(`Port ${preferred} is busy; set ${envName} to the port PUBLIC_URL forwards to.`);
	return freePort();
}

/**
 * The real service when all three variables are set, the sandbox when none is.
 * @returns {{ real: false } | { real: true, apiKey: string, rtmpUrl: string, publicUrl: string, baseUrl: string }}
 */
function chooseService() {
	const set = REAL_SERVICE.filter((name) => process.env[name]);
	if (set.length === 0) return { real: false };
	if (set.length < REAL_SERVICE.length) {
		const missing = REAL_SERVICE.filter((n) => !set.includes(n));
		throw new Error(`To use the real memories.ai service set all of ${REAL_SERVICE.join(', ')} (missing: ${missing.join(', ')}).`);
	}
	return {
		real: true,
		apiKey: /** @type {string} */ (process.env.MEMORIES_API_KEY),
		rtmpUrl: /** @type {string} */ (process.env.RTMP_URL),
		publicUrl: /** @type {string} */ (process.env.PUBLIC_URL).replace(/\/+$/, ''),
		baseUrl: process.env.MEMORIES_BASE_URL || 'https://stream.memories.ai',
	};
}

/** One result line: what both demos print for what their flow POSTs to /result. */
function formatResult(body) {
	if (!body || typeof body !== 'object' || typeof body.task_id !== 'string') return null;
	if (body.ended || body.event === 'stream_ended') {
		return `${time()}  stream ${body.task_id.slice(0, 8)}… ended (status ${body.status}${body.reason ? `, ${body.reason}` : ''}) ${body.text ?? ''}`;
	}
	return `${time()}  ${body.task_id.slice(0, 8)}…  ${body.text}`;
}

/**
 * Runs a demo: `main(demo)` starts the host; whatever it registers with demo.onStop runs, last first, on Ctrl-C,
 * SIGINT, SIGTERM or a failure. The exit code is 1 when a stream was left running in the sandbox or a stop failed.
 * @param {{ title: string, main: (demo: Demo) => Promise<void> }} o
 *
 * @typedef {object} Demo
 * @property {(line?: string) => void} say
 * @property {ReturnType<typeof chooseService>} service
 * @property {string} work a temp folder, removed at the end
 * @property {(fn: () => Promise<unknown> | unknown) => void} onStop
 * @property {(dir: string) => string} pack `npm pack` of a package folder into work; the tarball's path
 * @property {() => Promise<{ apiKey: string, baseUrl: string, rtmpUrl: string, publicUrl?: string, sandbox: import('../../sandbox/src').Sandbox | undefined }>} settings
 *   the service's settings, starting the sandbox when no real service is set
 * @property {() => Promise<string>} console the URL the host's flow POSTs results (/result) and errors (/error) to
 * @property {boolean} stopping
 */
function runDemo({ title, main }) {
	/** @type {Array<() => Promise<unknown> | unknown>} */
	const stops = [];
	let exitCode = 0;
	let stopping = false;
	/** @type {import('../../sandbox/src').Sandbox | undefined} */
	let sandbox;
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlv-demo-'));

	/** @type {Demo} */
	const demo = {
		say,
		service: { real: false },
		work,
		get stopping() {
			return stopping;
		},
		onStop: (fn) => void stops.push(fn),
		pack(dir) {
			const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
			return path.join(work, JSON.parse(out)[0].filename);
		},
		async settings() {
			const service = demo.service;
			if (service.real) return { ...service, sandbox: undefined };
			const { startSandbox } = require('../../build/sandbox');
			const intervalMs = Number(process.env.DEMO_INTERVAL_MS) || 3000;
			const port = process.env.DEMO_SANDBOX_PORT ? Number(process.env.DEMO_SANDBOX_PORT) : (await portIsFree(4010)) ? 4010 : 0;
			sandbox = await startSandbox({ port, intervalMs, keys: [SANDBOX_KEY] });
			demo.onStop(async () => {
				const left = /** @type {NonNullable<typeof sandbox>} */ (sandbox).activeTasks().length;
				say(`streams still running in the sandbox: ${left}`);
				if (left > 0) exitCode = 1;
				await /** @type {NonNullable<typeof sandbox>} */ (sandbox).close();
			});
			say(`  service: the local sandbox at ${sandbox.url} (a stand-in for memories.ai; a result every ${intervalMs / 1000} s)`);
			return { apiKey: SANDBOX_KEY, baseUrl: sandbox.url, rtmpUrl: SANDBOX_RTMP_URL, sandbox };
		},
		async console() {
			const sink = await startSink();
			demo.onStop(() => sink.close());
			sink.events.on('request', (request) => {
				if (stopping) return;
				const body = /** @type {any} */ (request.json);
				if (request.url.startsWith('/error')) return say(`${time()}  error: ${body?.error?.message ?? body?.message ?? request.body}`);
				const line = formatResult(body);
				if (line) say(line);
			});
			return sink.url;
		},
	};

	/** @param {string} reason */
	async function shutdown(reason) {
		if (stopping) return;
		stopping = true;
		say();
		say(`${reason}: stopping…`);
		for (const stop of stops.reverse()) {
			try {
				await stop();
			} catch (error) {
				say(`while stopping: ${/** @type {Error} */ (error).message}`);
				exitCode = 1;
			}
		}
		fs.rmSync(work, { recursive: true, force: true });
		say('stopped.');
		process.exit(exitCode);
	}

	process.on('SIGINT', () => void shutdown('Ctrl-C'));
	process.on('SIGTERM', () => void shutdown('SIGTERM'));
	process.on('SIGHUP', () => void shutdown('SIGHUP'));
	say(title);
	(async () => {
		demo.service = chooseService();
		if (demo.service.real) say(`  service: the real memories.ai at ${demo.service.baseUrl} (billed every 5 s while the stream runs)`);
		await main(demo);
	})().catch((error) => {
		process.stderr.write(`demo failed: ${error.message}\n`);
		exitCode = 1;
		void shutdown('error');
	});
}

module.exports = { ROOT, SANDBOX_KEY, runDemo, hostPort, formatResult, say, time };
