// Stops made while a start node closes must end before Node-RED stops waiting for it (15 s),
// whatever the service answers: lost answers, 429s with a Retry-After.
import { ApiResponse, TransportFailure, createStreamClient } from '../../core';
import { CLOSE_BUDGET_MS, stopOptionsBefore } from '../../node-red/src/lib/close-budget';

/** A client on a fake clock: each answer takes `ms` of it, each wait advances it. */
function clocked(answers: Array<{ ms: number; answer: ApiResponse | TransportFailure }>) {
	let now = 0;
	const waits: number[] = [];
	const timeouts: number[] = [];
	const client = createStreamClient({
		baseUrl: 'http://127.0.0.1:4010',
		apiKey: 'sk-close-budget-0001',
		transport: async (request) => {
			timeouts.push(request.timeoutMs);
			const next = answers.shift() ?? { ms: 30000, answer: { errorCode: 'UND_ERR_HEADERS_TIMEOUT' } };
			now += Math.min(next.ms, request.timeoutMs);
			return next.ms > request.timeoutMs ? { errorCode: 'UND_ERR_HEADERS_TIMEOUT' } : next.answer;
		},
		sleep: async (ms) => {
			waits.push(ms);
			now += ms;
		},
		now: () => now,
	});
	return { client, waits, timeouts, clock: () => now };
}

const rateLimited = (retryAfter: string): ApiResponse => ({ httpStatus: 429, body: { code: 429, msg: 'Rate limit exceeded' }, retryAfter });

describe('stopOptionsBefore', () => {
	it('three tries of at most 6 s within the deadline when the whole budget is left', () => {
		expect(stopOptionsBefore(1000 + CLOSE_BUDGET_MS, 1000)).toEqual({ timeoutMs: 6000, attempts: 3, deadline: 1000 + CLOSE_BUDGET_MS });
	});

	it('the client’s own retries once the close is over (Node-RED no longer waits; a redeploy goes on)', () => {
		expect(stopOptionsBefore(1000, 1000)).toEqual({});
		expect(stopOptionsBefore(1000, 5000)).toEqual({});
	});

	it('stays under Node-RED’s 15 s', () => {
		expect(CLOSE_BUDGET_MS).toBeLessThan(15000);
	});

	it.each([
		['every answer lost', []],
		['429 with Retry-After: 3, then stopped', [{ ms: 5, answer: rateLimited('3') }, { ms: 5, answer: { httpStatus: 200, body: { status: 14 } } }]],
		['429 with Retry-After: 30 (longer than the close window)', [{ ms: 5, answer: rateLimited('30') }]],
		['a slow 429 asking for 5 s, then lost answers', [{ ms: 5000, answer: rateLimited('5') }]],
	])('ends within the budget: %s', async (_name, answers) => {
		const { client, clock } = clocked([...answers]);
		const options = stopOptionsBefore(CLOSE_BUDGET_MS, 0);
		await client.stop('task-1', options).catch(() => undefined);
		expect(clock()).toBeLessThanOrEqual(CLOSE_BUDGET_MS);
	});

	it('honours a Retry-After that fits: waits 3 s, not the 1 s back-off', async () => {
		const { client, waits } = clocked([{ ms: 5, answer: rateLimited('3') }, { ms: 5, answer: { httpStatus: 200, body: { status: 14 } } }]);
		await expect(client.stop('task-1', stopOptionsBefore(CLOSE_BUDGET_MS, 0))).resolves.toEqual({ outcome: 'stopped', taskId: 'task-1' });
		expect(waits).toEqual([3000]);
	});

	it('gives up at once when the Retry-After does not fit, and says how long the service asked for', async () => {
		const { client, waits } = clocked([{ ms: 5, answer: rateLimited('30') }]);
		const error = await client.stop('task-1', stopOptionsBefore(CLOSE_BUDGET_MS, 0)).catch((e: unknown) => e);
		expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 30000 });
		expect((error as Error).message).toMatch(/wait 30 s before the next try \(Retry-After\)/);
		expect(waits).toEqual([]);
	});
});
