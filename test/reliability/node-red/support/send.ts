// Sends callback requests the way a busy sender does: undici keep-alive pools, bounded
// concurrency or a paced open loop; raw sockets for what no HTTP client would send.
import net from 'net';
import { Readable } from 'stream';
import { Pool } from 'undici';

import type { FuzzCase } from '../../support/fuzz';

export interface Answer {
	n: number;
	/** HTTP status; 0 when nothing (or no parsable status line) came back. */
	status: number;
	error?: string;
	/** From sending to the end of the answer. */
	ms: number;
	startedAt: number;
}

export async function sendHttp(pool: Pool, c: FuzzCase): Promise<Answer> {
	const startedAt = performance.now();
	try {
		const headers = { ...c.headers };
		const response = await pool.request({
			method: c.method as 'POST',
			path: c.path,
			headers,
			body: c.body === undefined ? undefined : c.chunked ? Readable.from([c.body]) : c.body,
			headersTimeout: 20000,
			bodyTimeout: 20000,
		});
		await response.body.dump();
		return { n: c.n, status: response.statusCode, ms: performance.now() - startedAt, startedAt };
	} catch (error) {
		const e = error as { code?: string; message?: string };
		return { n: c.n, status: 0, error: e.code ?? e.message ?? String(error), ms: performance.now() - startedAt, startedAt };
	}
}

/** Writes raw bytes; reads the status line of whatever answer comes before the connection closes. */
export function sendRaw(port: number, c: FuzzCase, timeoutMs = 5000): Promise<Answer> {
	const startedAt = performance.now();
	return new Promise((resolve) => {
		const socket = net.connect(port, '127.0.0.1');
		let received = '';
		let settled = false;
		const finish = (error?: string) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			socket.destroy();
			const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
			resolve({ n: c.n, status: match ? Number(match[1]) : 0, error: match ? undefined : error, ms: performance.now() - startedAt, startedAt });
		};
		const timer = setTimeout(() => finish('no answer'), timeoutMs);
		socket.setEncoding('latin1');
		socket.on('data', (chunk: string) => {
			received += chunk;
			if (/\r\n\r\n/.test(received)) finish();
		});
		socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
		socket.on('close', () => finish('closed'));
		socket.on('connect', () => {
			if (c.verdict.kind === 'abort') socket.end(c.raw!);
			else socket.write(c.raw!);
		});
	});
}

/** Sends every case with at most `concurrency` in flight over keep-alive connections. */
export async function sendWithConcurrency(
	origin: string,
	cases: FuzzCase[],
	concurrency: number,
): Promise<{ answers: Answer[]; ms: number; connections: number }> {
	const port = Number(new URL(origin).port);
	const pool = new Pool(origin, { connections: concurrency, keepAliveTimeout: 30000, pipelining: 1 });
	let connects = 0;
	pool.on('connect', () => {
		connects++;
	});
	const answers: Answer[] = new Array(cases.length);
	let next = 0;
	const started = performance.now();
	const worker = async () => {
		while (next < cases.length) {
			const index = next++;
			const c = cases[index];
			answers[index] = c.raw ? await sendRaw(port, c) : await sendHttp(pool, c);
		}
	};
	try {
		await Promise.all(Array.from({ length: concurrency }, worker));
	} finally {
		await pool.close();
	}
	return { answers, ms: performance.now() - started, connections: connects };
}

/**
 * An open loop: request i leaves at start + i / ratePerSecond, whether or not earlier ones were
 * answered (a real sender does not wait for the receiver).
 */
export async function sendPaced(
	origin: string,
	cases: FuzzCase[],
	ratePerSecond: number,
	connections: number,
): Promise<{ answers: Answer[]; sendMs: number; totalMs: number; connections: number; maxInFlight: number }> {
	const pool = new Pool(origin, { connections, keepAliveTimeout: 30000, pipelining: 1 });
	let connects = 0;
	pool.on('connect', () => {
		connects++;
	});
	const answers: Answer[] = new Array(cases.length);
	const pending: Promise<void>[] = [];
	let inFlight = 0;
	let maxInFlight = 0;
	const started = performance.now();
	let sent = 0;
	let lastSendAt = started;
	await new Promise<void>((resolve) => {
		const tick = () => {
			const due = Math.min(cases.length, Math.floor(((performance.now() - started) * ratePerSecond) / 1000) + 1);
			while (sent < due) {
				const index = sent++;
				inFlight++;
				maxInFlight = Math.max(maxInFlight, inFlight);
				pending.push(
					sendHttp(pool, cases[index]).then((answer) => {
						inFlight--;
						answers[index] = answer;
					}),
				);
			}
			lastSendAt = performance.now();
			if (sent >= cases.length) resolve();
			else setTimeout(tick, 2);
		};
		tick();
	});
	const sendMs = lastSendAt - started;
	await Promise.all(pending);
	const totalMs = performance.now() - started;
	await pool.close();
	return { answers, sendMs, totalMs, connections: connects, maxInFlight };
}

export function percentile(values: number[], q: number): number {
	if (values.length === 0) return 0;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
