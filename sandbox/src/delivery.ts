// Posts callbacks to receivers with undici, over a shared keep-alive pool, and keeps a bounded
// record of what was delivered or failed.
import { Readable } from 'stream';
import { Agent, request } from 'undici';

import { WireBody } from './variants';

/** The documented callback payload (what every callback is without delivery variants). */
export interface CallbackPayload {
	status: number;
	task_id: string;
	data: { text: string; timestamp: string };
}

/** One callback as it goes on the wire: where, which headers, which bytes. */
export interface WireCallback extends WireBody {
	url: string;
}

/** What the records say about a callback, beside how its delivery went. */
export interface CallbackMeta {
	taskId: string;
	frame: number;
	status: number;
	/** When the frame window's callback was due. */
	scheduledAt: number;
	fault?: string;
	/** Delivery variants it was sent with. */
	variants?: string[];
	/** The instant its timestamp denotes (ms, UTC); `null` when it carries none. */
	timestampMs: number | null;
}

export interface DeliveryRecord {
	taskId: string;
	frame: number;
	status: number;
	ok: boolean;
	httpStatus?: number;
	error?: string;
	/** When the frame window's callback was due, when it was sent, and when it was answered. */
	scheduledAt: number;
	sentAt: number;
	answeredAt: number;
	driftMs: number;
	fault?: string;
	/** Delivery variants the callback was sent with (absent: the documented shape). */
	variants?: string[];
	/** The instant the callback's timestamp denotes (ms, UTC; seconds forms drop the milliseconds); `null`: none sent. */
	timestampMs?: number | null;
}

export interface DeliveryTotals {
	delivered: number;
	failed: number;
	dropped: number;
	duplicated: number;
}

const RECORD_LIMIT = 20000;
const DRIFT_SAMPLES = 200000;

export class Deliverer {
	private readonly agent: Agent;
	private readonly records: DeliveryRecord[] = [];
	private readonly drift = new Float64Array(DRIFT_SAMPLES);
	private driftCount = 0;
	private inFlight = new Set<Promise<unknown>>();
	readonly totals: DeliveryTotals = { delivered: 0, failed: 0, dropped: 0, duplicated: 0 };

	constructor(
		private readonly timeoutMs: number,
		private readonly onRecord: (record: DeliveryRecord) => void,
	) {
		this.agent = new Agent({
			keepAliveTimeout: 10000,
			connections: 256,
			headersTimeout: timeoutMs,
			bodyTimeout: timeoutMs,
		});
	}

	/** Sends one callback; never throws (a failing receiver is recorded, not fatal). */
	send(wire: WireCallback, meta: CallbackMeta): Promise<void> {
		const sentAt = Date.now();
		const driftMs = Math.max(0, sentAt - meta.scheduledAt);
		this.drift[this.driftCount % DRIFT_SAMPLES] = driftMs;
		this.driftCount++;
		const attempt = this.post(wire).then((outcome) => {
			const record: DeliveryRecord = {
				taskId: meta.taskId,
				frame: meta.frame,
				status: meta.status,
				ok: outcome.ok,
				httpStatus: outcome.httpStatus,
				error: outcome.error,
				scheduledAt: meta.scheduledAt,
				sentAt,
				answeredAt: Date.now(),
				driftMs,
				fault: meta.fault,
				timestampMs: meta.timestampMs,
			};
			if (meta.variants && meta.variants.length > 0) record.variants = meta.variants;
			if (record.ok) this.totals.delivered++;
			else this.totals.failed++;
			this.remember(record);
		});
		this.inFlight.add(attempt);
		void attempt.finally(() => this.inFlight.delete(attempt));
		return attempt;
	}

	recordDropped(taskId: string, frame: number, status: number, scheduledAt: number): void {
		this.totals.dropped++;
		const now = Date.now();
		this.remember({
			taskId,
			frame,
			status,
			ok: false,
			error: 'dropped by fault injection',
			scheduledAt,
			sentAt: now,
			answeredAt: now,
			driftMs: 0,
			fault: 'drop',
		});
	}

	list(filter: { taskId?: string; limit?: number } = {}): DeliveryRecord[] {
		const matching = filter.taskId ? this.records.filter((r) => r.taskId === filter.taskId) : this.records;
		return matching.slice(-(filter.limit ?? RECORD_LIMIT));
	}

	/** Percentiles of how late callbacks left, over the most recent samples. */
	driftStats(): { count: number; p50: number; p99: number; max: number } {
		const n = Math.min(this.driftCount, DRIFT_SAMPLES);
		if (n === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
		const sorted = Array.from(this.drift.subarray(0, n)).sort((a, b) => a - b);
		const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))];
		return { count: this.driftCount, p50: at(0.5), p99: at(0.99), max: sorted[n - 1] };
	}

	reset(): void {
		this.records.length = 0;
		this.driftCount = 0;
		Object.assign(this.totals, { delivered: 0, failed: 0, dropped: 0, duplicated: 0 });
	}

	async settle(): Promise<void> {
		await Promise.allSettled([...this.inFlight]);
	}

	async close(): Promise<void> {
		await this.agent.destroy();
	}

	private remember(record: DeliveryRecord): void {
		this.records.push(record);
		if (this.records.length > RECORD_LIMIT) this.records.splice(0, this.records.length - RECORD_LIMIT);
		this.onRecord(record);
	}

	private async post(wire: WireCallback): Promise<{ ok: boolean; httpStatus?: number; error?: string }> {
		const headers: Record<string, string> = { 'user-agent': 'memories-ai-sandbox' };
		if (wire.contentType !== undefined) headers['content-type'] = wire.contentType;
		try {
			const response = await request(wire.url, {
				method: 'POST',
				headers,
				// A stream goes out chunked, without Content-Length; a Buffer with one.
				body: wire.chunked ? inTwoChunks(wire.body) : wire.body,
				dispatcher: this.agent,
				headersTimeout: this.timeoutMs,
				bodyTimeout: this.timeoutMs,
			});
			await response.body.dump();
			const ok = response.statusCode >= 200 && response.statusCode < 300;
			return { ok, httpStatus: response.statusCode, error: ok ? undefined : `HTTP ${response.statusCode}` };
		} catch (error) {
			const code = (error as { code?: string }).code;
			return { ok: false, error: code ?? (error instanceof Error ? error.message : String(error)) };
		}
	}
}

function inTwoChunks(body: Buffer): Readable {
	const half = Math.ceil(body.length / 2);
	return Readable.from([body.subarray(0, half), body.subarray(half)].filter((chunk) => chunk.length > 0));
}
