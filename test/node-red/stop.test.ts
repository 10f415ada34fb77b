// The stop node: where it takes the task ID from, idempotent outcomes, strictness, stopping every
// stream of an account, and retries.
import * as h from './support/harness';

const env = h.useSuite();

function totals() {
	return (env.sandbox.engine.state() as { totals: { stops: number; notFoundStops: number } }).totals;
}

async function loadLoop(options: Parameters<typeof h.loopFlow>[1] = {}) {
	await h.load(h.loopFlow(env.sandbox, options), h.CREDENTIALS);
	return h.inboxes('started', 'stopped');
}

describe('which task', () => {
	it.each([
		['msg.task_id', (id: string) => ({ task_id: id, payload: { task_id: 'not-this-one' } })],
		['msg.payload.task_id (the start node’s output as is)', (id: string) => ({ payload: { task_id: id, started_at: 'x' } })],
		['a string msg.payload', (id: string) => ({ payload: `  ${id}  ` })],
	])('from %s', async (_label, message) => {
		const [started, stopped] = await loadLoop({ stop: { taskId: 'not-this-one-either' } });
		const id = (await h.expectSent('start', started)).task_id!;
		const msg = await h.expectSent('stop', stopped, message(id));
		expect(msg.payload).toEqual({ task_id: id, outcome: 'stopped', stopped: true, message: h.STOPPED });
		expect(msg.task_id).toBe(id);
		expect(env.sandbox.task(id)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		expect(totals()).toMatchObject({ stops: 1, notFoundStops: 0 });
		expect(h.lastStatus(h.node('stop'))).toEqual({ fill: 'green', shape: 'dot', text: h.t('memories-live-stop.status.done', { stopped: 1, missing: 0 }) });
	});

	it('from the node’s own Task ID when the message has none', async () => {
		const [started] = await loadLoop();
		const id = (await h.expectSent('start', started)).task_id!;
		await h.redeploy(h.loopFlow(env.sandbox, { stop: { taskId: id } }), h.CREDENTIALS, 'nodes');
		const [stopped] = h.inboxes('stopped');
		const msg = await h.expectSent('stop', stopped, { payload: '' });
		expect(msg.payload).toEqual({ task_id: id, outcome: 'stopped', stopped: true, message: h.STOPPED });
		expect(env.sandbox.task(id)!.state).toBe('stopped');
	});

	it('the start node piped into the stop node stops what it started, and forgets it', async () => {
		const [started, stopped] = await loadLoop();
		const msg = await h.expectSent('start', started);
		expect(h.lastStatus(h.node('start'))?.text).toBe(h.t('memories-live-start.status.running', { count: 1 }));
		await h.expectSent('stop', stopped, msg);
		expect(h.registry.list()).toHaveLength(0);
		expect(h.lastStatus(h.node('start'))).toEqual({ fill: 'grey', shape: 'ring', text: h.t('memories-live-start.status.idle') });
	});

	it.each([
		['no task ID anywhere', {}, /^Task ID is empty\. Use the task_id that Start returned\.$/],
		['an object payload without task_id', { payload: { other: 1 } }, /^Task ID is empty/],
		['a task ID with a path in it', { task_id: '../../v1/understand/streamConnect' }, /^Task ID is not one that Start returns/],
		['a task ID that is not text', { task_id: { id: 1 } }, /^Task ID must be text\.$/],
	])('%s: done(err), red status, nothing sent', async (_label, msg, message) => {
		const [, stopped] = await loadLoop();
		const error = await h.expectFailure('stop', stopped, msg);
		expect(error.message).toMatch(message);
		expect(h.lastStatus(h.node('stop'))).toEqual({ fill: 'red', shape: 'ring', text: 'check Task ID' });
		expect(totals()).toMatchObject({ stops: 0, notFoundStops: 0 });
	});
});

describe('outcomes', () => {
	it('a second stop of the same task is "not_found", not an error', async () => {
		const [started, stopped] = await loadLoop();
		const id = (await h.expectSent('start', started)).task_id!;
		await h.expectSent('stop', stopped, { task_id: id });
		const again = await h.expectSent('stop', stopped, { task_id: id });
		expect(again.payload).toEqual({ task_id: id, outcome: 'not_found', stopped: false, message: h.NOT_FOUND });
		expect(h.lastStatus(h.node('stop'))).toEqual({ fill: 'green', shape: 'dot', text: h.t('memories-live-stop.status.done', { stopped: 0, missing: 1 }) });
		expect(h.calls(h.node('stop'), 'error')).toHaveLength(0);
		expect(totals()).toMatchObject({ stops: 1, notFoundStops: 1 });
	});

	it('with "fail if not found", an unknown task is an error', async () => {
		const [, stopped] = await loadLoop({ stop: { failIfNotFound: true } });
		const error = await h.expectFailure('stop', stopped, { task_id: 'never-started-1234' });
		expect(error.message).toBe(h.t('memories-live-stop.errors.not-found', { taskIds: 'never-started-1234' }));
		expect(h.lastStatus(h.node('stop'))).toEqual({ fill: 'red', shape: 'ring', text: 'check Task ID' });
		expect(stopped.messages).toHaveLength(0);
	});

	it('with "fail if not found", a running task still stops normally', async () => {
		const [started, stopped] = await loadLoop({ stop: { failIfNotFound: true } });
		const id = (await h.expectSent('start', started)).task_id!;
		expect((await h.expectSent('stop', stopped, { task_id: id })).payload.outcome).toBe('stopped');
	});

	it('a task of another API key is "not found" for this one (and keeps running)', async () => {
		await h.load(
			h.flow(
				h.configNode(env.sandbox),
				h.configNode(env.sandbox, { id: 'cfg2' }),
				h.resultsNode(),
				h.startNode({ config: 'cfg2' }),
				h.stopNode(),
				...['out', 'end', 'started', 'stopped'].map(h.helperNode),
			),
			{ ...h.CREDENTIALS, cfg2: { apiKey: h.OTHER_KEY } },
		);
		const [started, stopped] = h.inboxes('started', 'stopped');
		const id = (await h.expectSent('start', started)).task_id!;
		expect((await h.expectSent('stop', stopped, { task_id: id })).payload.outcome).toBe('not_found');
		expect(env.sandbox.task(id)!.state).toBe('running');
	});
});

describe('target: all', () => {
	it('stops every stream started with this account, and none of another account', async () => {
		await h.load(
			h.flow(
				h.configNode(env.sandbox),
				h.configNode(env.sandbox, { id: 'cfg2' }),
				h.resultsNode(),
				h.startNode(),
				h.startNode({ id: 'start-b' }),
				h.startNode({ id: 'start-other', config: 'cfg2' }),
				h.stopNode({ target: 'all' }),
				...['out', 'end', 'started', 'stopped'].map(h.helperNode),
			),
			{ ...h.CREDENTIALS, cfg2: { apiKey: h.OTHER_KEY } },
		);
		const [started, stopped] = h.inboxes('started', 'stopped');
		const mine = [(await h.expectSent('start', started)).task_id!, (await h.expectSent('start-b', started)).task_id!];
		const other = (await h.expectSent('start-other', started)).task_id!;
		const msg = await h.expectSent('stop', stopped, { task_id: other }); // ignored: "all" means all of this account
		expect(msg.payload).toEqual(expect.arrayContaining(mine.map((id) => ({ task_id: id, outcome: 'stopped', stopped: true, message: h.STOPPED }))));
		expect(msg.payload).toHaveLength(2);
		expect(env.sandbox.activeTasks().map((t) => t.taskId)).toEqual([other]);
		expect(h.registry.list().map((t) => t.taskId)).toEqual([other]);
		expect(h.lastStatus(h.node('stop'))?.text).toBe(h.t('memories-live-stop.status.done', { stopped: 2, missing: 0 }));
		for (const id of ['start', 'start-b']) expect(h.lastStatus(h.node(id))?.text).toBe(h.t('memories-live-start.status.idle'));
		expect(h.lastStatus(h.node('start-other'))?.text).toBe(h.t('memories-live-start.status.running', { count: 1 }));
	});

	it('reports streams that had already ended at the service as not running', async () => {
		const [started, stopped] = await loadLoop({ stop: { target: 'all' } });
		const running = (await h.expectSent('start', started)).task_id!;
		const gone = (await h.expectSent('start', started, { callbackUrl: 'http://127.0.0.1:9/nowhere' })).task_id!;
		expect(env.sandbox.engine.stop(h.KEY, gone)).toBe(true); // ended without a callback reaching us
		const msg = await h.expectSent('stop', stopped);
		expect(msg.payload).toEqual(
			expect.arrayContaining([
				{ task_id: running, outcome: 'stopped', stopped: true, message: h.STOPPED },
				{ task_id: gone, outcome: 'not_found', stopped: false, message: h.NOT_FOUND },
			]),
		);
		expect(h.lastStatus(h.node('stop'))?.text).toBe(h.t('memories-live-stop.status.done', { stopped: 1, missing: 1 }));
		expect(h.registry.list()).toHaveLength(0);
	});

	it('stops every stream even when one stop keeps failing: each outcome listed, and done(err) for Catch nodes', async () => {
		const [started, stopped] = await loadLoop({ stop: { target: 'all' } });
		const ids = [(await h.expectSent('start', started)).task_id!, (await h.expectSent('start', started)).task_id!];
		// Two concurrent stops of 3 tries each: 5 failures leave exactly one of them failed.
		env.sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 5 });
		const outcome = await h.run('stop', stopped, {}, 15000);
		if (outcome.ok) throw new Error('expected the stop node to fail');
		expect(outcome.error).toMatchObject({ kind: 'server', code: '5000' });
		const payload = outcome.msg.payload as Array<{ task_id: string; outcome: string; stopped: boolean; error?: string }>;
		expect(payload.map((r) => r.task_id).sort()).toEqual([...ids].sort());
		const failed = payload.filter((r) => r.outcome === 'failed');
		expect(failed).toEqual([{ task_id: expect.any(String), outcome: 'failed', stopped: false, message: h.NOT_STOPPED, error: expect.stringMatching(/status 5000/) }]);
		const done = payload.find((r) => r.outcome === 'stopped')!;
		expect(env.sandbox.task(done.task_id)!.state).toBe('stopped');
		expect(env.sandbox.task(failed[0].task_id)!.state).toBe('running');
		expect(h.registry.list().map((t) => t.taskId)).toEqual([failed[0].task_id]); // still known, so it can be stopped again
		expect(env.sandbox.engine.stop(h.KEY, failed[0].task_id)).toBe(true); // clean up
	}, 20000);

	it('with nothing running: an empty list', async () => {
		const [, stopped] = await loadLoop({ stop: { target: 'all' } });
		expect((await h.expectSent('stop', stopped)).payload).toEqual([]);
		expect(h.lastStatus(h.node('stop'))?.text).toBe(h.t('memories-live-stop.status.done', { stopped: 0, missing: 0 }));
		expect(totals()).toMatchObject({ stops: 0, notFoundStops: 0 });
	});
});

describe('API errors', () => {
	it('a 5000 is retried after the documented back-off, then the stop succeeds', async () => {
		const [started, stopped] = await loadLoop();
		const id = (await h.expectSent('start', started)).task_id!;
		env.sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 1 });
		const before = Date.now();
		const msg = await h.expectSent('stop', stopped, { task_id: id });
		expect(Date.now() - before).toBeGreaterThanOrEqual(900);
		expect(msg.payload).toEqual({ task_id: id, outcome: 'stopped', stopped: true, message: h.STOPPED });
		expect(env.sandbox.task(id)!.state).toBe('stopped');
		expect(h.calls(h.node('stop'), 'error')).toHaveLength(0);
	});

	it('a refused key is not retried: done(err) with the core’s message, and the stream keeps running', async () => {
		const [started, stopped] = await loadLoop();
		const id = (await h.expectSent('start', started)).task_id!;
		env.sandbox.injectFault({ on: 'stop', kind: 'legacy', code: '0401', httpStatus: 401 });
		const error = (await h.expectFailure('stop', stopped, { task_id: id })) as Error & { kind?: string; operation?: string };
		expect(error).toMatchObject({ kind: 'auth', operation: 'stop', code: '0401' });
		expect(error.message).toMatch(/^memories\.ai did not accept the API key \(code 0401\)/);
		expect(h.lastStatus(h.node('stop'))).toEqual({ fill: 'red', shape: 'ring', text: 'API key refused' });
		expect(env.sandbox.task(id)!.state).toBe('running');
		expect(h.registry.list().map((t) => t.taskId)).toEqual([id]);
	});
});
