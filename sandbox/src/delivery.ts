// Posts callbacks to receivers with undici, over a shared keep-alive pool, and keeps a bounded
// record of what was delivered or failed.
import { Agent, request } from 'undici';

export interface CallbackPayload {
	status: number;
	task_id: string;
	data: { text: string; timestamp: string };
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
	send(url: string, payload: CallbackPayload, frame: number, scheduledAt: number, fault?: string): Promise<void> {
		const sentAt = Date.now();
		const driftMs = Math.max(0, sentAt - scheduledAt);
		this.drift[this.driftCount % DRIFT_SAMPLES] = driftMs;
		this.driftCount++;
		const attempt = this.post(url, payload).then((outcome) => {
			const record: DeliveryRecord = {
				taskId: payload.task_id,
				frame,
				status: payload.status,
				ok: outcome.ok,
				httpStatus: outcome.httpStatus,
				error: outcome.error,
				scheduledAt,
				sentAt,
				answeredAt: Date.now(),
				driftMs,
				fault,
			};
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

	private async post(url: string, payload: CallbackPayload): Promise<{ ok: boolean; httpStatus?: number; error?: string }> {
		try {
			const response = await request(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'user-agent': 'memories-ai-sandbox' },
				body: JSON.stringify(payload),
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
