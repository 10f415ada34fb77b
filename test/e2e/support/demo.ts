// A demo (`npm run demo`, `npm run demo:n8n`) run as a new user runs it: through npm, whose script builds and then
// execs node. The tests signal the npm process alone, as a supervisor or a script does (not its process group).
import { ChildProcess, spawn } from 'child_process';
import net from 'net';
import path from 'path';

export const RESULT_LINE = /^\d\d:\d\d:\d\d {2}[0-9a-f]{8}… {2}\S.*$/gm;

export interface DemoRun {
	npm: ChildProcess;
	output(): string;
	/** Resolves once the output matches `re` (counted from `from`) `count` times; rejects if the demo exits first. */
	waitFor(re: RegExp, count?: number, from?: number): Promise<void>;
	exited: Promise<number | null>;
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
	return {
		npm,
		output: () => output,
		exited,
		waitFor(re, count = 1, from = 0) {
			const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
			return new Promise<void>((resolve, reject) => {
				const check = () => {
					if ((output.slice(from).match(global) ?? []).length >= count) {
						waiters.delete(check);
						resolve();
					}
				};
				waiters.add(check);
				void exited.then((code) => {
					if (waiters.delete(check)) reject(new Error(`demo exited (${code}) before ${count}× ${re}:\n${output}`));
				});
				check();
			});
		},
	};
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
