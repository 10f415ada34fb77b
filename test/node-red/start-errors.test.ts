// The start node when memories.ai refuses or misbehaves: the error (with the core's message), the
// red status, and never a second task behind the user's back (a start is never retried).
import { interpretRequestFailure, interpretStartResponse } from '../../core';
import type { Fault } from '../../sandbox/src/faults';
import * as h from './support/harness';

const env = h.useSuite();

type ApiError = Error & { name: string; kind: string; code: string; operation: string; mayHaveStarted: boolean; retryable: boolean };

function totals() {
	return (env.sandbox.engine.state() as { totals: { starts: number; rejectedStarts: number } }).totals;
}

/** The error the core makes of an answer, for comparing messages. */
function coreError(httpStatus: number, body: string): Error {
	try {
		interpretStartResponse({ httpStatus, body });
	} catch (error) {
		return error as Error;
	}
	throw new Error('the core accepted the answer');
}

async function loadLoop() {
	await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
	return h.inboxes('started', 'out');
}

describe('business errors', () => {
	it('a fifth stream on one key: 1001, and the four keep running', async () => {
		const [started] = await loadLoop();
		for (let i = 0; i < 4; i++) await h.expectSent('start', started);
		const error = (await h.expectFailure('start', started)) as ApiError;
		expect(error).toMatchObject({ name: 'Error', kind: 'max_streams', code: '1001', operation: 'start', retryable: false });
		const answer = { status: 1001, task_id: null, text: 'Maximum concurrent streams reached: this key already runs 4 of 4.' };
		expect(error.message).toBe(coreError(200, JSON.stringify(answer)).message);
		expect(error.message).toMatch(/already runs the maximum of 4 streams .* Stop one of them/);
		expect(h.lastStatus(h.node('start'))).toEqual({ fill: 'red', shape: 'ring', text: '4 streams already running' });
		expect(env.sandbox.activeTasks(h.KEY)).toHaveLength(4);
		expect(h.registry.list()).toHaveLength(4);
		expect(totals()).toMatchObject({ starts: 4, rejectedStarts: 1 });
	});

	it('1001 with an HTTP error status (429) is the same error', async () => {
		await env.sandbox.close();
		env.sandbox = await h.newSandbox({ businessErrorHttp: 'mapped' });
		const [started] = await loadLoop();
		for (let i = 0; i < 4; i++) await h.expectSent('start', started);
		expect(await h.expectFailure('start', started)).toMatchObject({ kind: 'max_streams', code: '1001', httpStatus: 429 });
		expect(env.sandbox.activeTasks(h.KEY)).toHaveLength(4);
	});

	it('no credits: 2001, nothing running', async () => {
		await env.sandbox.close();
		env.sandbox = await h.newSandbox({ credits: 0 });
		const [started] = await loadLoop();
		const error = (await h.expectFailure('start', started)) as ApiError;
		expect(error).toMatchObject({ kind: 'credits', code: '2001' });
		expect(error.message).toBe(
			coreError(200, JSON.stringify({ status: 2001, task_id: null, text: 'Credit deduction failed: the balance is too low to start a stream.' })).message,
		);
		expect(error.message).toMatch(/Recharge your memories\.ai account/);
		expect(h.lastStatus(h.node('start'))).toEqual({ fill: 'red', shape: 'ring', text: 'no credits left' });
		expect(env.sandbox.activeTasks()).toHaveLength(0);
		expect(h.registry.list()).toHaveLength(0);
	});

	it('an API key from another account is refused: 0401', async () => {
		await h.load(h.loopFlow(env.sandbox), { cfg: { apiKey: 'sk-mavi-some-other-account-key' }, res: { secret: h.SECRET } });
		const [started] = h.inboxes('started');
		const error = (await h.expectFailure('start', started)) as ApiError;
		expect(error).toMatchObject({ kind: 'auth', code: '0401' });
		expect(error.message).toBe(coreError(401, JSON.stringify({ code: '0401', msg: 'Invalid API key.', data: null, success: false })).message);
		expect(h.lastStatus(h.node('start'))?.text).toBe('API key refused');
	});
});

describe('faults', () => {
	const cases: Array<[string, Fault, { kind: string; code: string | RegExp; status: string | RegExp; mayHaveStarted: boolean; expected?: () => Error }]> = [
		[
			'status 5000',
			{ on: 'start', kind: 'status', status: 5000 },
			{ kind: 'server', code: '5000', status: 'server (5000)', mayHaveStarted: false, expected: () => coreError(200, JSON.stringify({ status: 5000, task_id: null, text: 'Injected status 5000.' })) },
		],
		[
			'HTTP 429',
			{ on: 'start', kind: 'http429' },
			{ kind: 'rate_limited', code: '429', status: 'rate limited (429)', mayHaveStarted: false, expected: () => coreError(429, JSON.stringify({ code: 429, msg: 'Rate limit exceeded' })) },
		],
		[
			'capacity (16) with HTTP 503',
			{ on: 'start', kind: 'status', status: 16, httpStatus: 503 },
			{ kind: 'capacity', code: '16', status: 'capacity (16)', mayHaveStarted: false },
		],
		[
			'permission denied (9009)',
			{ on: 'start', kind: 'legacy', code: '9009' },
			{ kind: 'permission', code: '9009', status: 'permission (9009)', mayHaveStarted: false },
		],
		[
			'a gateway’s HTML 502 page',
			{ on: 'start', kind: 'html502' },
			{ kind: 'server', code: 'HTTP 502', status: 'server (HTTP 502)', mayHaveStarted: true, expected: () => coreError(502, '<html><body>502</body></html>') },
		],
		[
			'truncated JSON',
			{ on: 'start', kind: 'invalid_json' },
			{ kind: 'bad_response', code: 'HTTP 200', status: 'bad response (HTTP 200)', mayHaveStarted: true, expected: () => coreError(200, '{"status": 0, "task_id": ') },
		],
		[
			'an empty body',
			{ on: 'start', kind: 'empty' },
			{ kind: 'bad_response', code: 'HTTP 200', status: 'bad response (HTTP 200)', mayHaveStarted: true, expected: () => coreError(200, '') },
		],
		[
			'a dropped connection',
			{ on: 'start', kind: 'reset' },
			{ kind: 'network', code: /^(UND_ERR_SOCKET|ECONNRESET)$/, status: /^network \((UND_ERR_SOCKET|ECONNRESET)\)$/, mayHaveStarted: true },
		],
	];

	it.each(cases)('%s: done(err) with the core’s message, red status, no task; the next start makes exactly one', async (_label, fault, expected) => {
		const [started, out] = await loadLoop();
		env.sandbox.injectFault(fault);
		const error = (await h.expectFailure('start', started)) as ApiError;
		expect(error.name).toBe('Error'); // Node-RED shows err.toString(): "Error: <advice>"
		expect(error.kind).toBe(expected.kind);
		expect(error.code).toEqual(typeof expected.code === 'string' ? expected.code : expect.stringMatching(expected.code));
		expect(error.mayHaveStarted).toBe(expected.mayHaveStarted);
		if (expected.expected) expect(error.message).toBe(expected.expected().message);
		if (expected.kind === 'network') expect(error.message).toBe(interpretRequestFailure('start', error.code).message);
		if (expected.mayHaveStarted) expect(error.message).toMatch(/The stream may have started anyway/);
		const status = h.lastStatus(h.node('start'));
		expect(status?.fill).toBe('red');
		expect(status?.text).toEqual(typeof expected.status === 'string' ? expected.status : expect.stringMatching(expected.status));
		expect(env.sandbox.activeTasks()).toHaveLength(0);
		expect(h.registry.list()).toHaveLength(0);
		expect(started.messages).toHaveLength(0);

		// Nothing was retried behind the flow's back; the next message starts one stream.
		const msg = await h.expectSent('start', started);
		expect(env.sandbox.activeTasks().map((t) => t.taskId)).toEqual([msg.task_id]);
		expect(h.lastStatus(h.node('start'))?.text).toBe(h.t('memories-live-start.status.running', { count: 1 }));
		await out.next((m) => m.topic === msg.task_id);
	});

	it('a slow answer within the time-out: the stream starts once, the node shows "starting" meanwhile', async () => {
		const [started] = await loadLoop();
		env.sandbox.injectFault({ on: 'start', kind: 'slow', delayMs: 300 });
		const taskStarted = env.sandbox.waitFor('task-started');
		const outcome = h.run('start', started);
		await taskStarted;
		// The service has created the task but not answered yet.
		expect(h.lastStatus(h.node('start'))?.text).toBe(h.t('memories-live-start.status.starting'));
		expect(started.messages).toHaveLength(0);
		const result = await outcome;
		expect(result.ok).toBe(true);
		expect(env.sandbox.activeTasks()).toHaveLength(1);
		expect(result.ok && result.msg.task_id).toBe(env.sandbox.activeTasks()[0].taskId);
	});

	it('messages handled at the same time each start their own stream, in any order of answers', async () => {
		const [started] = await loadLoop();
		env.sandbox.injectFault({ on: 'start', kind: 'slow', delayMs: 150 });
		const outcomes = await Promise.all([h.run('start', started), h.run('start', started), h.run('start', started)]);
		expect(outcomes.every((o) => o.ok)).toBe(true);
		const ids = outcomes.map((o) => (o.ok ? o.msg.task_id : undefined));
		expect(new Set(ids).size).toBe(3);
		expect(env.sandbox.activeTasks().map((t) => t.taskId).sort()).toEqual([...ids].sort());
		expect(h.lastStatus(h.node('start'))?.text).toBe(h.t('memories-live-start.status.running', { count: 3 }));
	});
});
