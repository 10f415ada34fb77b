'use strict';
// Shared helpers of the benchmarks: child processes (every one is killed by id when its section
// ends, and on exit as a last resort), the load generator, statistics and formatting.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
process.on('exit', () => {
	for (const c of children) {
		try {
			c.kill('SIGKILL');
		} catch {
			/* gone */
		}
	}
});

/**
 * Starts `node script ...args` with an IPC channel and resolves with its first stdout line (JSON).
 * @returns {Promise<{proc: import('node:child_process').ChildProcess, info: any, stop: () => Promise<void>}>}
 */
function startChild(script, args = [], { execArgv = [], env = process.env, timeoutMs = 30000 } = {}) {
	return new Promise((resolve, reject) => {
		const proc = spawn(process.execPath, [...execArgv, script, ...args], {
			stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
			env,
		});
		children.add(proc);
		const exited = new Promise((r) => proc.once('exit', r));
		void exited.then(() => children.delete(proc));
		let buffer = '';
		let done = false;
		const timer = setTimeout(() => fail(new Error(`${path.basename(script)}: no start line in ${timeoutMs} ms`)), timeoutMs);
		const fail = (err) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			proc.kill('SIGKILL');
			reject(err);
		};
		proc.once('exit', (code) => fail(new Error(`${path.basename(script)} exited (${code}) before it started`)));
		proc.stdout.setEncoding('utf8').on('data', (d) => {
			if (done) return;
			buffer += d;
			const nl = buffer.indexOf('\n');
			if (nl < 0) return;
			done = true;
			clearTimeout(timer);
			const stop = async () => {
				if (proc.exitCode === null && proc.signalCode === null) {
					proc.kill('SIGTERM');
					const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
					await exited;
					clearTimeout(t);
				}
			};
			resolve({ proc, info: JSON.parse(buffer.slice(0, nl)), stop });
		});
	});
}

/** Asks a child (IPC) and resolves with its next message. */
function ask(proc, message) {
	return new Promise((resolve) => {
		proc.once('message', resolve);
		proc.send(message);
	});
}

/**
 * Runs autocannon in its own process against `url` and resolves with its figures.
 * @param {{url: string, duration?: number, connections?: number, taskId?: string}} opts
 */
async function runLoad(opts) {
	const { info, proc } = await startChild(path.join(__dirname, 'load-worker.js'), [JSON.stringify(opts)], {
		timeoutMs: ((opts.duration || 10) + 60) * 1000,
	});
	await new Promise((r) => (proc.exitCode === null ? proc.once('exit', r) : r()));
	if (info.error) throw new Error(`autocannon: ${info.error}`);
	return info;
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
function cpuMs(pid) {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// fields[11], fields[12]: utime, stime (fields 14 and 15 of proc(5)), in clock ticks.
	return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = (() => {
	try {
		return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
	} catch {
		return 100;
	}
})();

/** runLoad, plus the CPU time the server process `pid` spent per answered request (µs). */
async function runLoadWithCpu(pid, opts) {
	const before = cpuMs(pid);
	const r = await runLoad(opts);
	const used = cpuMs(pid) - before;
	return { ...r, cpuUsPerReq: r.total > 0 ? (used * 1000) / r.total : NaN };
}

function median(values) {
	const s = [...values].sort((a, b) => a - b);
	if (s.length === 0) return NaN;
	const m = Math.floor(s.length / 2);
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function percentile(values, q) {
	const s = [...values].sort((a, b) => a - b);
	return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');
const ratio = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const verdict = (ok) => (ok ? '**met**' : '**missed**');

/** A markdown table from a header row and rows. */
function table(header, rows) {
	const line = (cells) => `| ${cells.join(' | ')} |`;
	return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function loadAverage() {
	return os.loadavg().map((l) => l.toFixed(2)).join(' / ');
}

function machine() {
	let osName = `${os.type()} ${os.release()}`;
	try {
		const rel = fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]+)"?/m);
		if (rel) osName = `${rel[1]} (${os.type()} ${os.release()})`;
	} catch {
		/* not Linux */
	}
	const cpus = os.cpus();
	return {
		cpu: cpus[0]?.model?.trim() || 'unknown',
		cores: cpus.length,
		ramGb: os.totalmem() / 1024 ** 3,
		os: osName,
		node: process.version,
	};
}

/** `npm pack` of a package folder into `dest`; resolves with npm's JSON entry plus the file path. */
function npmPack(dir, dest) {
	const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dest], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	const entry = JSON.parse(out)[0];
	return { ...entry, file: path.join(dest, entry.filename) };
}

module.exports = { ROOT, sleep, startChild, ask, runLoad, runLoadWithCpu, cpuMs, median, percentile, fmt, ratio, verdict, table, loadAverage, machine, npmPack };
