// A ladder of sustained callback rates against a Receive trigger: each step sends valid, unique
// callbacks at a fixed rate (an open loop) for some seconds, then waits for the workflow's items
// at the sink. Lost: answered with anything but 200 (or not within the sender's patience: it
// would send again), or answered 200 without ever reaching the sink (the worst kind). The ladder
// stops at the first step that loses a callback or that n8n cannot keep up with (its executions
// fall behind: higher steps would only pile up a longer backlog). The sustained rate is the
// highest step n8n kept up with, losing nothing.
import type { Sink } from '../../../../scripts/lib/sink';
import type { N8nInstance } from './host';
import { histogram, openPool, percentile, sendAtRate } from './send';

/** A sender that waits longer than this for an answer gives up (the sandbox's own receiver timeout). */
export const SENDER_TIMEOUT_MS = 10_000;
/** After the last send, a step ends when nothing has reached the sink for this long. */
export const DRAIN_QUIET_MS = 30_000;
/**
 * n8n keeps up with a rate when it runs at least this share of it and half the results reach the
 * sink within a second: otherwise a backlog builds up and the rate is not sustainable.
 */
const KEEPS_UP = { share: 0.9, endToEndP50Ms: 1000 };

export interface LoadStep {
	rate: number;
	seconds: number;
	sent: number;
	answered200: number;
	notAnswered200: number;
	errors: Record<string, number>;
	executions: number;
	sinkArrivals: number;
	/** The same callback at the sink twice (must stay 0). */
	duplicatesAtSink: number;
	/** Answered 200 but never reached the sink: a result lost although the sender was told it arrived. */
	lostAfter200: number;
	/** Not answered 200 within the sender's patience (a sender would retry), plus lostAfter200. */
	lost: number;
	executionsPerSecond: number;
	keptUp: boolean;
	answerMs: { p50: number; p99: number };
	endToEndMs: { p50: number; p99: number };
}

export async function loadLadder(
	n8n: N8nInstance,
	options: { path: string; sink: Sink; sinkPath: string; workflowId: string; rates: number[]; seconds: number },
): Promise<{ steps: LoadStep[]; highestRateWithoutLoss: number; sustainedRate: number; stoppedBecause: string; senderTimeoutMs: number; drainQuietMs: number }> {
	const pool = openPool(n8n.baseUrl, 256);
	const steps: LoadStep[] = [];
	let highestRateWithoutLoss = 0;
	let sustainedRate = 0;
	let stoppedBecause = 'all steps passed';
	try {
		for (const rate of options.rates) {
			const tag = `load-${rate}-${Date.now()}`;
			const sentAt = new Map<string, number>();
			const executionsBefore = (await n8n.listExecutions(options.workflowId)).length;
			const answers = await sendAtRate(
				pool,
				rate,
				options.seconds,
				(i) => {
					const taskId = `${tag}-${i}`;
					sentAt.set(taskId, Date.now());
					return {
						method: 'POST',
						path: options.path,
						headers: { 'content-type': 'application/json' },
						body: JSON.stringify({ status: 0, task_id: taskId, data: { text: `frame ${i}`, timestamp: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString() } }),
					};
				},
				SENDER_TIMEOUT_MS,
			);
			const ok = answers.filter((a) => a.status === 200).length;
			const arrived = (r: { url: string; json: unknown }) =>
				r.url === options.sinkPath && String((r.json as { task_id?: string } | undefined)?.task_id).startsWith(`${tag}-`);
			// Drain: until every callback reached the sink, or nothing more arrives for a while (an
			// answer the sender gave up on may still have started an execution).
			for (;;) {
				const now = options.sink.received.filter(arrived).length;
				if (now >= answers.length) break;
				const progressed = await options.sink.waitFor(now + 1, arrived, DRAIN_QUIET_MS).then(
					() => true,
					() => false,
				);
				if (!progressed) break;
			}
			const arrivals = options.sink.received.filter(arrived);
			const arrivedIds = new Set(arrivals.map((r) => String((r.json as { task_id: string }).task_id)));
			await n8n.waitForExecutions(options.workflowId, executionsBefore + arrivals.length, 60_000).catch(() => undefined);
			const executions = (await n8n.listExecutions(options.workflowId)).length - executionsBefore;
			const endToEnd = arrivals.map((r) => r.at - (sentAt.get(String((r.json as { task_id: string }).task_id)) ?? r.at));
			const firstSend = Math.min(...answers.map((a) => a.sentAt));
			const lastArrival = Math.max(...arrivals.map((r) => r.at));
			const executionsPerSecond = arrivals.length ? Math.round((arrivals.length / Math.max(options.seconds, (lastArrival - firstSend) / 1000)) * 10) / 10 : 0;
			const step: LoadStep = {
				rate,
				seconds: options.seconds,
				sent: answers.length,
				answered200: ok,
				notAnswered200: answers.length - ok,
				errors: histogram(answers.filter((a) => a.status !== 200).map((a) => a.error ?? a.status)),
				executions,
				sinkArrivals: arrivals.length,
				duplicatesAtSink: arrivals.length - arrivedIds.size,
				lostAfter200: answers.filter((a, i) => a.status === 200 && !arrivedIds.has(`${tag}-${i}`)).length,
				lost: answers.filter((a, i) => a.status !== 200 || !arrivedIds.has(`${tag}-${i}`)).length,
				executionsPerSecond,
				keptUp: executionsPerSecond >= KEEPS_UP.share * rate && percentile(endToEnd, 0.5) < KEEPS_UP.endToEndP50Ms,
				answerMs: { p50: Math.round(percentile(answers.map((a) => a.ms), 0.5)), p99: Math.round(percentile(answers.map((a) => a.ms), 0.99)) },
				endToEndMs: { p50: Math.round(percentile(endToEnd, 0.5)), p99: Math.round(percentile(endToEnd, 0.99)) },
			};
			steps.push(step);
			process.stdout.write(`load step ${JSON.stringify(step)}\n`);
			if (step.lost > 0) {
				stoppedBecause = `${step.lost} callbacks lost at ${rate}/s`;
				break;
			}
			highestRateWithoutLoss = rate;
			if (!step.keptUp) {
				stoppedBecause = `n8n ran ${executionsPerSecond} executions/s at ${rate}/s offered (end-to-end p50 ${step.endToEndMs.p50} ms): behind, nothing lost; higher rates only grow the backlog`;
				break;
			}
			sustainedRate = rate;
		}
	} finally {
		await pool.close();
	}
	return { steps, highestRateWithoutLoss, sustainedRate, stoppedBecause, senderTimeoutMs: SENDER_TIMEOUT_MS, drainQuietMs: DRAIN_QUIET_MS };
}
