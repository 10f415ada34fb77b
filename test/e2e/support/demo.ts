// A demo (`npm run demo`, `npm run demo:n8n`) run as a new user runs it: through npm, whose script builds and then
// execs node. The tests signal the npm process alone, as a supervisor or a script does (not its process group).
import { ChildProcess, spawn } from 'child_process';
import net from 'net';
import path from 'path';

import type { Scenario } from '../../../sandbox/src';
import { expectedEpisodes } from './episodes';

// What the demos print for the "Alert once when the pan boils over" examples (scripts/lib/demo-kit.js formatResult).
export const STREAM_STARTED_LINE = /^\d\d:\d\d:\d\d {2}stream ([0-9a-f]{8})… started: rtmp:\/\/\S+\?scenario=boil$/gm;
export const EPISODE_STARTED_LINE = /^\d\d:\d\d:\d\d {2}([0-9a-f]{8})… {2}episode (\d+) started at \d\d:\d\d:\d\d — boiling_over=true, state=boiling, note="[^"]+"$/gm;
export const EPISODE_ENDED_LINE = /^\d\d:\d\d:\d\d {2}([0-9a-f]{8})… {2}episode (\d+) ended at \d\d:\d\d:\d\d after \d+ s, (\d+) windows? \((calm again|the stream ended)\)$/gm;
export const SUMMARY_LINE =
	/^\d\d:\d\d:\d\d {2}([0-9a-f]{8})… {2}summary \((\w+)\): (\d+) windows?, (\d+) matched, (\d+) episodes?; billed ≈ (\d+) s = ([\d.]+) min \(estimate\)$/gm;

/** Every match of a line pattern in `text`, as its capture groups. */
export function lines(re: RegExp, text: string): string[][] {
	return [...text.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`))].map((m) => m.slice(1));
}

/** The episode and summary lines of one task (by its 8-character prefix) say what the scenario script implies. */
export function expectEpisodesOf(
	output: string,
	task: string,
	script: Scenario,
	options: { startAfter: number; endAfter: number; cooldownWindows: number },
): { windows: number; episodes: number } {
	const [summary] = lines(SUMMARY_LINE, output).filter(([t]) => t === task);
	expect(summary).toBeDefined();
	const [, , windowsText, matchedText, episodesText, billedText, minutesText] = summary;
	const windows = Number(windowsText);
	const expected = expectedEpisodes(script, windows, options);
	const matched = Array.from({ length: windows }, (_, i) => script.windows[i % script.cycle].event).filter(Boolean).length;
	expect(windows).toBeGreaterThan(0);
	expect(Number(matchedText)).toBe(matched);
	expect(Number(episodesText)).toBe(expected.length);
	expect(Number(billedText) % 5).toBe(0); // whole 5 s billing windows
	expect(Number(billedText)).toBeGreaterThan(0);
	expect(Number(minutesText)).toBe(Math.round((Number(billedText) / 60) * 100) / 100);
	const started = lines(EPISODE_STARTED_LINE, output).filter(([t]) => t === task).map(([, n]) => Number(n));
	const ended = lines(EPISODE_ENDED_LINE, output).filter(([t]) => t === task).map(([, n]) => Number(n));
	expect(started).toEqual(expected.map((_, i) => i + 1));
	expect(ended).toEqual(expected.map((_, i) => i + 1));
	return { windows, episodes: expected.length };
}

export interface DemoRun {
	npm: ChildProcess;
	output(): string;
	/**
	 * Resolves once the output matches `re` (counted from `from`) `count` times; rejects if the demo exits first or,
	 * with the output so far, after `timeoutMs` (a line that never comes fails the test saying what was printed).
	 */
	waitFor(re: RegExp, count?: number, from?: number, timeoutMs?: number): Promise<void>;
	exited: Promise<number | null>;
}

const started = new Set<DemoRun>();

/** For afterEach: a failed expectation must not leave a demo (a host, the sandbox, a stream) running. */
export async function stopDemosLeftRunning(): Promise<void> {
	for (const run of started) {
		if (run.npm.exitCode === null && run.npm.signalCode === null) {
			run.npm.kill('SIGINT');
			await run.exited;
		}
	}
	started.clear();
}

export function startDemo(script: 'demo' | 'demo:n8n', env: Record<string, string>): DemoRun {
	const root = path.join(__dirname, '../../..');
	const npm = spawn('npm', ['run', script], {
		cwd: root,
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	const waiters = new Set<() => void>();
	const onData = (chunk: Buffer) => {
		output += chunk.toString();
		for (const check of waiters) check();
	};
	npm.stdout!.on('data', onData);
	npm.stderr!.on('data', onData);
	const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
	const run: DemoRun = {
		npm,
		output: () => output,
		exited,
		waitFor(re, count = 1, from = 0, timeoutMs = 120_000) {
			const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
			return new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => {
					if (waiters.delete(check)) reject(new Error(`no ${count}× ${re} within ${timeoutMs / 1000} s:\n${output}`));
				}, timeoutMs);
				const check = () => {
					if ((output.slice(from).match(global) ?? []).length >= count) {
						waiters.delete(check);
						clearTimeout(timer);
						resolve();
					}
				};
				waiters.add(check);
				void exited.then((code) => {
					if (waiters.delete(check)) {
						clearTimeout(timer);
						reject(new Error(`demo exited (${code}) before ${count}× ${re}:\n${output}`));
					}
				});
				check();
			});
		},
	};
	started.add(run);
	return run;
}

/** Whether anything still accepts connections on the port (a host or sandbox left behind). */
export function listening(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = net.connect(port, '127.0.0.1');
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
	});
}

/** Processes whose command line mentions `needle` (Linux /proc), e.g. a user folder or a port. */
export function processesMentioning(needle: string): number[] {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const fs = require('fs') as typeof import('fs');
	const found: number[] = [];
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
		try {
			const text = `${fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8')}\0${fs.readFileSync(`/proc/${entry}/environ`, 'utf8')}`;
			if (text.includes(needle)) found.push(Number(entry));
		} catch {
			// gone while we looked, or not ours to read
		}
	}
	return found;
}
