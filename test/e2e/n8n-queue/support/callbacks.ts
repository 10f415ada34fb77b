// Callbacks as the balancer saw them and executions as Postgres holds them: which callback ran how often, and the
// reference rules the measurements compare n8n with.
import type { SinkRequest } from '../../../../scripts/lib/sink';
import type { LogEntry, QueueN8n } from './deployment';

export interface Callback {
	/** "<task id>|<timestamp>|<status>", the balancer's label. */
	key: string;
	taskId: string;
	timestamp: string;
	/** Each delivery of it: which webhook processor answered what. */
	deliveries: Array<{ backend: string | null; status: number }>;
}

/** The balancer's log of one task's callbacks, grouped per callback (a duplicate delivery is one callback). */
export function callbacksOf(log: LogEntry[], taskId: string): Callback[] {
	const byKey = new Map<string, Callback>();
	for (const entry of log) {
		if (!entry.label?.startsWith(`${taskId}|`)) continue;
		const [, timestamp] = entry.label.split('|');
		const callback = byKey.get(entry.label) ?? { key: entry.label, taskId, timestamp, deliveries: [] };
		callback.deliveries.push({ backend: entry.backend, status: entry.status });
		byKey.set(entry.label, callback);
	}
	return [...byKey.values()];
}

export interface Audit {
	callbacks: number;
	deliveries: number;
	/** Callbacks with at least one delivery answered 200. */
	answered200: number;
	/** Statuses of deliveries not answered 200. */
	notAnswered200: Record<string, number>;
	executions: number;
	executionsNotSucceeded: number;
	/** Callbacks answered 200 with exactly one execution, more than one, none. */
	executedOnce: number;
	executedMoreThanOnce: number;
	answered200NotExecuted: number;
	/** Callbacks never answered 200 that were executed anyway (a sender that retries would run them twice). */
	notAnsweredButExecuted: number;
	sinkArrivals: number;
	sinkDuplicates: number;
	/** Per callback: its executions and the distinct webhook processors that answered it 200. */
	perCallback: Array<{ key: string; executions: number; processors: number }>;
}

/** How often each callback of the task ran: counted in Postgres (execution data holding its timestamp) and at the sink. */
export async function audit(n8n: QueueN8n, workflowId: string, callbacks: Callback[], sink: SinkRequest[]): Promise<Audit> {
	const rows = await n8n.executionData(workflowId);
	const notAnswered200: Record<string, number> = {};
	const perCallback = callbacks.map((c) => {
		for (const d of c.deliveries) if (d.status !== 200) notAnswered200[d.status] = (notAnswered200[d.status] ?? 0) + 1;
		const executions = rows.filter((r) => r.data.includes(`"${c.timestamp}"`)).length;
		const processors = new Set(c.deliveries.filter((d) => d.status === 200).map((d) => d.backend)).size;
		return { key: c.key, executions, processors, answered: processors > 0 };
	});
	const timestamps = new Set(callbacks.map((c) => c.timestamp));
	const arrivals = sink.filter((r) => timestamps.has(String((r.json as { timestamp?: unknown })?.timestamp)));
	const answered = perCallback.filter((c) => c.answered);
	return {
		callbacks: callbacks.length,
		deliveries: callbacks.reduce((n, c) => n + c.deliveries.length, 0),
		answered200: answered.length,
		notAnswered200,
		executions: rows.filter((r) => callbacks.some((c) => r.data.includes(`"${c.timestamp}"`))).length,
		executionsNotSucceeded: rows.filter((r) => r.status !== 'success').length,
		executedOnce: answered.filter((c) => c.executions === 1).length,
		executedMoreThanOnce: answered.filter((c) => c.executions > 1).length,
		answered200NotExecuted: answered.filter((c) => c.executions === 0).length,
		notAnsweredButExecuted: perCallback.filter((c) => !c.answered && c.executions > 0).length,
		sinkArrivals: arrivals.length,
		sinkDuplicates: arrivals.length - new Set(arrivals.map((r) => (r.json as { timestamp: string }).timestamp)).size,
		perCallback: perCallback.map(({ key, executions, processors }) => ({ key, executions, processors })),
	};
}

export async function sendCallback(url: string, payload: unknown): Promise<number> {
	const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
	await res.arrayBuffer();
	return res.status;
}

/**
 * "Only on change" as the core's filter decides it, per memory: `perProcessor` gives each webhook processor its own
 * memory of the last text (what runs today), otherwise one memory for all (the exact rule). Returns which results pass.
 */
export function onlyOnChange(sequence: Array<{ text: string; backend: string }>, perProcessor: boolean): boolean[] {
	const last = new Map<string, string>();
	return sequence.map(({ text, backend }) => {
		const memory = perProcessor ? backend : 'one';
		const normalised = text.trim().replace(/\s+/g, ' ');
		const passes = last.get(memory) !== normalised;
		last.set(memory, normalised);
		return passes;
	});
}

/** Resolves once `count` more deliveries of the task were answered (whatever the answer). */
export function deliveries(
	engine: import('events').EventEmitter,
	taskId: string,
	count: number,
	timeoutMs = 60_000,
): Promise<Array<{ httpStatus?: number }>> {
	return new Promise((resolve, reject) => {
		const seen: Array<{ httpStatus?: number }> = [];
		const timer = setTimeout(() => {
			engine.off('delivery', listener);
			reject(new Error(`only ${seen.length} of ${count} deliveries of ${taskId} within ${timeoutMs} ms`));
		}, timeoutMs);
		function listener(record: { taskId: string; httpStatus?: number }) {
			if (record.taskId !== taskId) return;
			seen.push(record);
			if (seen.length < count) return;
			clearTimeout(timer);
			engine.off('delivery', listener);
			resolve(seen);
		}
		engine.on('delivery', listener);
	});
}
