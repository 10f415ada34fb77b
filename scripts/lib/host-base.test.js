'use strict';
// The shared harness machinery (host-base.js) with tiny stand-in hosts instead of n8n or Node-RED: process groups,
// graceful and hard stops, what happens to a host whose harness died, the install lock. Fast (no real host).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const base = require('./host-base');

let work;
beforeEach(() => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'host-base-'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** A stand-in host: prints "ready <pid>", starts a grandchild, on SIGINT/SIGTERM writes <signal> to a file after delayMs and exits. */
function hostScript({ delayMs = 50, ignoreSignals = false } = {}) {
	const file = path.join(work, 'host.js');
	fs.writeFileSync(
		file,
		`const { spawn } = require('node:child_process');
const fs = require('node:fs');
const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
const stop = (signal) => {
  if (${ignoreSignals}) return;
  setTimeout(() => { fs.writeFileSync(process.argv[2], signal); process.exit(0); }, ${delayMs});
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
console.log('ready ' + process.pid + ' ' + grandchild.pid);
setInterval(() => {}, 1000);`,
	);
	return file;
}

/** Resolves with the pids the stand-in host prints once it is up. */
function whenReady(onOutputHolder) {
	return new Promise((resolve) => {
		let text = '';
		onOutputHolder.fn = (chunk) => {
			text += chunk;
			const m = text.match(/ready (\d+) (\d+)/);
			if (m) resolve({ host: Number(m[1]), grandchild: Number(m[2]) });
		};
	});
}

/** A process that is not our child has no exit event: wait for it to be gone. */
async function gone(pid, timeoutMs = 10_000) {
	const deadline = Date.now() + timeoutMs;
	while (base.isAlive(pid)) {
		if (Date.now() > deadline) throw new Error(`process ${pid} still alive`);
		await base.sleep(25);
	}
}

it('runs a host in its own group behind the watchdog: output, its pid, a graceful stop that takes the group down', async () => {
	const holder = {};
	const ready = whenReady(holder);
	const outcome = path.join(work, 'outcome');
	const proc = base.startProcess(process.execPath, [hostScript(), outcome], { onOutput: (t) => holder.fn(t) });
	const pids = await ready;
	expect(proc.pgid).not.toBe(pids.host); // the watchdog leads the group
	expect(proc.pid()).toBe(pids.host);
	expect(proc.running()).toBe(true);
	const result = await proc.stop({ signal: 'SIGTERM' });
	expect(result).toEqual({ code: 0, signal: null, killed: false });
	expect(fs.readFileSync(outcome, 'utf8')).toBe('SIGTERM');
	expect(base.isAlive(pids.grandchild)).toBe(false);
	expect(base.groupAlive(proc.pgid)).toBe(false);
	expect(proc.running()).toBe(false);
	expect(await proc.stop()).toMatchObject({ code: 0, killed: false }); // idempotent
});

it('kills the whole group when the host does not stop within the grace time', async () => {
	const holder = {};
	const ready = whenReady(holder);
	const proc = base.startProcess(process.execPath, [hostScript({ ignoreSignals: true }), path.join(work, 'x')], {
		onOutput: (t) => holder.fn(t),
		killAfterMs: 60_000,
	});
	const pids = await ready;
	const result = await proc.stop({ signal: 'SIGTERM', graceMs: 300 });
	expect(result.killed).toBe(true);
	expect(base.isAlive(pids.host)).toBe(false);
	expect(base.isAlive(pids.grandchild)).toBe(false);
});

it("the watchdog's own time limit after a signal ends a host that ignores it", async () => {
	const holder = {};
	const ready = whenReady(holder);
	const proc = base.startProcess(process.execPath, [hostScript({ ignoreSignals: true }), path.join(work, 'x')], {
		onOutput: (t) => holder.fn(t),
		killAfterMs: 200,
	});
	await ready;
	const result = await proc.stop({ signal: 'SIGINT', graceMs: 30_000 });
	expect(result).toMatchObject({ signal: 'SIGKILL', killed: false });
});

describe('a host whose harness died', () => {
	/** A harness process (plain node) that starts the stand-in host through host-base, then is SIGKILLed. */
	async function orphan(orphanSignal) {
		const outcome = path.join(work, 'outcome');
		const cleanupDir = path.join(work, 'userdir');
		fs.mkdirSync(cleanupDir);
		const harness = spawn(
			process.execPath,
			[
				'-e',
				`const base = require(${JSON.stringify(path.join(__dirname, 'host-base.js'))});
base.startProcess(process.execPath, [${JSON.stringify(hostScript())}, ${JSON.stringify(outcome)}], {
  orphanSignal: ${JSON.stringify(orphanSignal)}, cleanupDir: ${JSON.stringify(cleanupDir)},
  onOutput: (t) => process.stdout.write(t),
});`,
			],
			{ stdio: ['ignore', 'pipe', 'inherit'] },
		);
		const pids = await new Promise((resolve) => {
			let text = '';
			harness.stdout.on('data', (d) => {
				text += d;
				const m = text.match(/ready (\d+) (\d+)/);
				if (m) resolve({ host: Number(m[1]), grandchild: Number(m[2]) });
			});
		});
		const harnessGone = new Promise((resolve) => harness.once('exit', resolve));
		harness.kill('SIGKILL');
		await harnessGone;
		await gone(pids.host);
		await gone(pids.grandchild);
		// The watchdog removes the folder after the host exited; then it ends itself.
		const deadline = Date.now() + 5000;
		while (fs.existsSync(cleanupDir) && Date.now() < deadline) await base.sleep(25);
		return { outcome: fs.existsSync(outcome) ? fs.readFileSync(outcome, 'utf8') : null, cleanedUp: !fs.existsSync(cleanupDir) };
	}

	it('is stopped gracefully with orphanSignal SIGINT (Node-RED stops its streams), its folder removed', async () => {
		expect(await orphan('SIGINT')).toEqual({ outcome: 'SIGINT', cleanedUp: true });
	});

	it('is killed at once with orphanSignal SIGKILL (n8n), its folder removed', async () => {
		expect(await orphan('SIGKILL')).toEqual({ outcome: null, cleanedUp: true });
	});
});

describe('withLock', () => {
	let previous;
	beforeEach(() => {
		previous = process.env.MLV_CACHE_DIR;
		process.env.MLV_CACHE_DIR = work;
	});
	afterEach(() => {
		if (previous === undefined) delete process.env.MLV_CACHE_DIR;
		else process.env.MLV_CACHE_DIR = previous;
	});

	it('lets one holder in at a time', async () => {
		const events = [];
		let releaseFirst;
		const first = base.withLock('node24', async () => {
			events.push('first in');
			await new Promise((resolve) => (releaseFirst = resolve));
			events.push('first out');
		});
		const second = base.withLock('node24', async () => events.push('second in'), { pollMs: 20 });
		await new Promise((resolve) => setImmediate(resolve));
		expect(events).toEqual(['first in']);
		releaseFirst();
		await Promise.all([first, second]);
		expect(events).toEqual(['first in', 'first out', 'second in']);
		expect(fs.existsSync(path.join(work, 'node24.lock'))).toBe(false);
	});

	it('takes over the lock of a process that died holding it', async () => {
		const dead = spawn(process.execPath, ['-e', '0']);
		await new Promise((resolve) => dead.once('exit', resolve));
		fs.mkdirSync(path.join(work, 'n8n-0.0.0.lock'));
		fs.writeFileSync(path.join(work, 'n8n-0.0.0.lock', 'pid'), String(dead.pid));
		expect(await base.withLock('n8n-0.0.0', async () => 'got it', { timeoutMs: 5000 })).toBe('got it');
	});
});

it('run() kills the whole group of a command that outlives its time limit', async () => {
	const pidFile = path.join(work, 'pid');
	const r = await base.run(
		process.execPath,
		['-e', `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setInterval(() => {}, 1000);`],
		{ timeoutMs: 500 },
	);
	expect(r.signal).toBe('SIGKILL');
	await gone(Number(fs.readFileSync(pidFile, 'utf8')));
});
