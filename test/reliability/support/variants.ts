// Callbacks as the real service may plausibly send them, for both hosts' "variants of the service"
// section: a seeded mix of the sandbox's delivery variants (one per dimension, up to four at once),
// rendered by the sandbox's own code (sandbox/src/variants.ts, which shares nothing with the core),
// each with the item a receiver must make of it. Every case has its own task, frame window and
// text, so none is a duplicate of another.
import { VARIANTS, timestampInstant } from '../../../sandbox/src';
import { callbackJson, callbackUrl, wireBody } from '../../../sandbox/src/variants';
import { prng } from './fuzz';

export interface VariantCase {
	n: number;
	variants: string[];
	/** Path and query, as the service would post to them. */
	path: string;
	headers: Record<string, string>;
	body: Buffer;
	chunked: boolean;
	/** The documented item the receiver emits for it. */
	expected: { event: 'result' | 'stream_ended'; task_id: string; status: number; text: string; timestamp: string | null; ended: boolean };
}


/** The dimensions a callback may vary in (JSON answers are the events suite's). */
export const CALLBACK_DIMENSIONS = [...new Set(VARIANTS.filter((v) => v.targets.includes('callback') && v.dimension !== 'answer').map((v) => v.dimension))];

/**
 * @param callbackPath the receiver's path with its secret, e.g. `/memories/variants?token=…`
 * @param count how many callbacks; the first of them take each variant alone, once
 */
export function variantCases(options: { seed: number; count: number; callbackPath: string; baseTime: number }): VariantCase[] {
	const random = prng(options.seed);
	const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
	const singles = VARIANTS.filter((v) => v.targets.includes('callback') && v.dimension !== 'answer').map((v) => [v.name]);
	const cases: VariantCase[] = [];
	for (let n = 0; n < options.count; n++) {
		let variants: string[];
		if (n < singles.length) {
			variants = singles[n];
		} else {
			const dimensions = [...CALLBACK_DIMENSIONS].sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 4));
			variants = dimensions.map((dimension) => pick(VARIANTS.filter((v) => v.dimension === dimension)).name);
		}
		// data_null concerns final callbacks only; a numeric id is what the sandbox issues for task_id_number.
		const status = variants.includes('data_null') ? 14 : 0;
		const taskId = String(1761134445000000 + options.seed * 100000 + n);
		const timestampMs = options.baseTime + n * 1000;
		const text = `variant callback ${options.seed}-${n}`;
		const json = callbackJson({ status, taskId, text, timestampMs, frame: n, intervalMs: 5000 }, variants);
		const wire = wireBody(json, variants, 'application/json');
		const textless = variants.includes('text_null') || variants.includes('text_missing') || variants.includes('data_null');
		cases.push({
			n,
			variants,
			path: callbackUrl(options.callbackPath, taskId, variants),
			headers: wire.contentType === undefined ? {} : { 'content-type': wire.contentType },
			body: wire.body,
			chunked: wire.chunked,
			expected: {
				event: status === 0 ? 'result' : 'stream_ended',
				task_id: taskId,
				status,
				text: textless ? '' : text,
				timestamp: variants.includes('data_null') ? null : new Date(timestampInstant(timestampMs, variants.find((v) => v.startsWith('ts_')))).toISOString(),
				ended: status !== 0,
			},
		});
	}
	return cases;
}

/** How many cases carried each variant. */
export function variantCounts(cases: VariantCase[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const c of cases) for (const v of c.variants) counts[v] = (counts[v] ?? 0) + 1;
	return counts;
}

/** Sends the cases to `origin` (at most `concurrency` at once, keep-alive); resolves with each one's HTTP status (0: no answer). */
export async function sendVariantCases(origin: string, cases: VariantCase[], concurrency = 8): Promise<number[]> {
	const { Pool } = await import('undici');
	const { Readable } = await import('stream');
	const pool = new Pool(origin, { connections: concurrency });
	const statuses = new Array<number>(cases.length).fill(0);
	let next = 0;
	const worker = async () => {
		while (next < cases.length) {
			const c = cases[next++];
			try {
				const response = await pool.request({
					method: 'POST',
					path: c.path,
					headers: c.headers,
					body: c.chunked ? Readable.from([c.body.subarray(0, Math.ceil(c.body.length / 2)), c.body.subarray(Math.ceil(c.body.length / 2))]) : c.body,
					headersTimeout: 30000,
					bodyTimeout: 30000,
				});
				await response.body.dump();
				statuses[c.n] = response.statusCode;
			} catch {
				statuses[c.n] = 0;
			}
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	await pool.close();
	return statuses;
}

/**
 * The figures of a delivery run, the same for both hosts: how many were sent, answered 200,
 * emitted, and emitted other than the case says (with a sample of those).
 * @param emitted the items the host emitted, by task id
 */
export function deliveryFigures(cases: VariantCase[], statuses: number[], emitted: Map<string, Record<string, unknown>>, ms: number, extra: Record<string, unknown> = {}) {
	const notAsSent = cases.filter((c) => {
		const item = emitted.get(c.expected.task_id);
		return !item || Object.keys(item).length !== Object.keys(c.expected).length || Object.entries(c.expected).some(([key, value]) => item[key] !== value);
	});
	const figures = {
		callbacks: cases.length,
		dimensions: CALLBACK_DIMENSIONS.length,
		variantsCovered: Object.keys(variantCounts(cases)).length,
		answered200: statuses.filter((s) => s === 200).length,
		refused: statuses.filter((s) => s !== 200).length,
		...extra,
		emitted: emitted.size,
		emittedNotAsSent: notAsSent.length,
		requestsPerSecond: Math.round((cases.length / ms) * 1000),
		notAsSentSample: notAsSent.slice(0, 10).map((c) => ({ variants: c.variants.join('+'), expected: JSON.stringify(c.expected), got: JSON.stringify(emitted.get(c.expected.task_id)) })),
	};
	return { figures, notAsSent };
}
