// Sends requests to n8n over a keep-alive undici pool: a bounded number in flight (fuzz), or at a
// fixed rate whatever the answers do (load: an open loop, as a busy sender behaves).
import { Readable } from 'stream';

import { Pool } from 'undici';

export interface OutgoingRequest {
	method: string;
	/** Path and query. */
	path: string;
	headers: Record<string, string>;
	body?: string | Buffer;
	/** Send the body with Transfer-Encoding: chunked (no Content-Length). */
	chunked?: boolean;
}

export interface Answer {
	/** HTTP status; 0 when no answer came (then `error` says why). */
	status: number;
	error?: string;
	/** From sending to the end of the answer, in ms. */
	ms: number;
	sentAt: number;
}

export function openPool(baseUrl: string, connections: number): Pool {
	return new Pool(baseUrl, { connections, keepAliveTimeout: 10_000, pipelining: 1 });
}

export async function send(pool: Pool, request: OutgoingRequest, timeoutMs = 30_000): Promise<Answer> {
	const sentAt = Date.now();
	const started = performance.now();
	try {
		const response = await pool.request({
			method: request.method as 'POST',
			path: request.path,
			headers: request.headers,
			body: request.body !== undefined && request.chunked ? Readable.from([request.body]) : request.body,
			headersTimeout: timeoutMs,
			bodyTimeout: timeoutMs,
		});
		await response.body.dump();
		return { status: response.statusCode, ms: performance.now() - started, sentAt };
	} catch (error) {
		const e = error as { code?: string; message?: string };
		return { status: 0, error: e.code ?? e.message ?? String(error), ms: performance.now() - started, sentAt };
	}
}

/** Sends all requests in order with at most `concurrency` in flight; answers in request order. */
export async function sendAll<T extends OutgoingRequest>(pool: Pool, requests: T[], concurrency: number): Promise<Answer[]> {
	const answers: Answer[] = new Array(requests.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < requests.length) {
				const index = next++;
				answers[index] = await send(pool, requests[index]);
			}
		}),
	);
	return answers;
}

/**
 * Sends `make(i)` at `ratePerSecond` for `seconds`, on schedule whether or not earlier requests
 * were answered; resolves with every answer once all are in.
 */
export async function sendAtRate(
	pool: Pool,
	ratePerSecond: number,
	seconds: number,
	make: (i: number) => OutgoingRequest,
	timeoutMs: number,
): Promise<Answer[]> {
	const total = Math.round(ratePerSecond * seconds);
	const start = performance.now();
	const pending: Array<Promise<Answer>> = [];
	for (let i = 0; i < total; i++) {
		const due = start + (i * 1000) / ratePerSecond;
		const wait = due - performance.now();
		// Pacing an open loop: the schedule itself is what is being tested, not a synchronisation.
		if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
		pending.push(send(pool, make(i), timeoutMs));
	}
	return Promise.all(pending);
}

export function percentile(values: number[], q: number): number {
	if (values.length === 0) return 0;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function histogram(values: Array<string | number>): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
	return counts;
}
