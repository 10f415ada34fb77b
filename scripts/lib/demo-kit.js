'use strict';
// What `npm run demo` (Node-RED) and `npm run demo:n8n` share: the sandbox or the real service (same variables),
// the packed package, a local console that prints each item (episode, summary, result) as the host's flow POSTs
// it, one line each, the first-run notice,
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
// The sandbox's scripted kitchen (GET /_sandbox/scenarios/boil): calm, boiling over (with a flicker), calm,
// boiling over again; the examples' JSON fields make the sandbox answer in JSON.
const SANDBOX_RTMP_URL = 'rtmp://camera.example.com/live/kitchen?scenario=boil';
/** An example's time in seconds, meaning the same number of frame windows at this interval. */
const scaled = (seconds, timeScale) => Math.round(Number(seconds) * timeScale * 1000) / 1000;
/** The frame window the examples' times (cooldown) are set for: the service's ~5 s. */
const SERVICE_INTERVAL_MS = 5000;
/** The sandbox runs 5× faster than the service, so that the first episode (window 7) comes within seconds. */
const SANDBOX_INTERVAL_MS = 1000;
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

const clock = (iso) => (typeof iso === 'string' && !Number.isNaN(Date.parse(iso)) ? new Date(iso).toTimeString().slice(0, 8) : '?');
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `boiling_over=true, state=boiling, note="…"`: a JSON answer's fields in one line. */
function formatFields(fields) {
	if (!fields || typeof fields !== 'object') return '';
	return Object.entries(fields)
		.map(([name, value]) => `${name}=${typeof value === 'string' && !/^[\w.-]+$/.test(value) ? JSON.stringify(value) : String(value)}`)
		.join(', ');
}

/** What one item says after its task: an episode, a summary, a stall, an unreadable answer, a result. */
function describeItem(body) {
	const episode = body.episode;
	switch (body.event) {
		case 'episode_started':
			return `episode ${episode.number} started at ${clock(episode.started_at)} — ${formatFields(episode.first_fields) || episode.first_text}`;
		case 'episode_ongoing':
			return `episode ${episode.number} ongoing for ${Math.round(episode.duration_s)} s (${plural(episode.windows, 'window')}) — ${formatFields(episode.last_fields) || episode.last_text}`;
		case 'episode_ended':
			return `episode ${episode.number} ended at ${clock(episode.ended_at)} after ${Math.round(episode.duration_s)} s, ${plural(episode.windows, 'window')} (${body.reason === 'stream_ended' ? 'the stream ended' : 'calm again'})`;
		case 'stream_summary': {
			const s = body.summary;
			const counts = [plural(s.windows_received, 'window'), `${s.windows_matched} matched`, s.episodes === null ? null : plural(s.episodes, 'episode'), s.parse_errors ? plural(s.parse_errors, 'parse error') : null];
			return `summary (${s.reason}): ${counts.filter(Boolean).join(', ')}; billed ≈ ${s.billed_seconds_estimate} s = ${s.billed_minutes_estimate} min (estimate)`;
		}
		case 'stream_stalled':
		case 'stream_resumed':
			return body.text;
		case 'parse_error':
			return `could not read the answer (${body.reason}): ${body.text}`;
		default:
			return formatFields(body.fields) || body.text;
	}
}

/** One line per item the host's flow POSTs to /result (the core's item shape, the same in both hosts). */
function formatResult(body) {
	if (!body || typeof body !== 'object' || typeof body.task_id !== 'string') return null;
	const task = `${body.task_id.slice(0, 8)}…`;
	if (typeof body.started_at === 'string' && typeof body.rtmp_url === 'string' && body.event === undefined) {
		return `${time()}  stream ${task} started: ${body.rtmp_url}`;
	}
	if (typeof body.outcome === 'string' && typeof body.message === 'string') return `${time()}  stream ${task} ${body.message}`;
	if (body.event === 'stream_ended' || (body.ended && body.event === undefined)) {
		return `${time()}  stream ${task} ended (status ${body.status}${body.reason ? `, ${body.reason}` : ''}) ${body.text ?? ''}`;
	}
	return `${time()}  ${task}  ${describeItem(body)}`;
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
 * @property {() => Promise<{ apiKey: string, baseUrl: string, rtmpUrl: string, publicUrl?: string, timeScale: number, sandbox: import('../../sandbox/src').Sandbox | undefined }>} settings
 *   the service's settings, starting the sandbox when no real service is set; timeScale: the frame interval over
 *   the service's 5 s, by which an example's times (its cooldown) are multiplied to mean the same windows
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
			if (service.real) return { ...service, timeScale: 1, sandbox: undefined };
			const { startSandbox } = require('../../build/sandbox');
			const intervalMs = Number(process.env.DEMO_INTERVAL_MS) || SANDBOX_INTERVAL_MS;
			const port = process.env.DEMO_SANDBOX_PORT ? Number(process.env.DEMO_SANDBOX_PORT) : (await portIsFree(4010)) ? 4010 : 0;
			sandbox = await startSandbox({ port, intervalMs, keys: [SANDBOX_KEY] });
			demo.onStop(async () => {
				const left = /** @type {NonNullable<typeof sandbox>} */ (sandbox).activeTasks().length;
				say(`streams still running in the sandbox: ${left}`);
				if (left > 0) exitCode = 1;
				await /** @type {NonNullable<typeof sandbox>} */ (sandbox).close();
			});
			const timeScale = intervalMs / SERVICE_INTERVAL_MS;
			say(`  service: the local sandbox at ${sandbox.url} (a stand-in for memories.ai; a frame window every ${intervalMs / 1000} s, not 5 s)`);
			say(`  camera: ${SANDBOX_RTMP_URL} — the sandbox's scripted kitchen: calm for 6 windows, then the pan boils over`);
			return { apiKey: SANDBOX_KEY, baseUrl: sandbox.url, rtmpUrl: SANDBOX_RTMP_URL, timeScale, sandbox };
		},
		async console() {
			const sink = await startSink();
			demo.onStop(() => sink.close());
			sink.events.on('request', (request) => {
				if (stopping) return;
				const body = /** @type {any} */ (request.json);
				if (request.url.startsWith('/error')) return say(`${time()}  error: ${body?.error?.message ?? body?.message ?? request.body}`);
				// Node-RED's stop node with "every stream" sends a list: one outcome per stream.
				for (const item of Array.isArray(body) ? body : [body]) {
					const line = formatResult(item);
					if (line) say(line);
				}
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

module.exports = { ROOT, SANDBOX_KEY, runDemo, hostPort, formatResult, scaled, say, time };
