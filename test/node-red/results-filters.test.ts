// Which results the results node passes on (all, changes, keywords, regex), and its guard
// against repeated deliveries — with callbacks posted directly and from the sandbox.
import * as h from './support/harness';
import { callbackUrl, result, send } from './support/http';

const env = h.useSuite();

let stamp = 0;
/** Posts a callback with a fresh timestamp (so the duplicate guard never interferes). */
async function post(taskId: string, text: string, status = 0) {
	const timestamp = new Date(Date.UTC(2025, 9, 22, 12, 0, ++stamp)).toISOString();
	const answer = await send(callbackUrl(h.nodeRedUrl(), h.RESULTS_PATH, { token: h.SECRET }), { body: result(taskId, text, timestamp, status) });
	expect(answer.status).toBe(200);
}

/** What the results node sent: texts on output 1, and texts on output 2. */
function sent() {
	const outputs = h.calls(h.node('res'), 'send').map((args) => args[0] as [h.Msg | null, h.Msg | null]);
	return {
		results: outputs.filter((o) => o[0]).map((o) => `${o[0]!.topic}:${o[0]!.payload.text}`),
		ended: outputs.filter((o) => o[1]).map((o) => `${o[1]!.topic}:${o[1]!.payload.text}`),
	};
}

async function loadResults(results: Record<string, unknown>) {
	await h.load(h.loopFlow(env.sandbox, { results }), h.CREDENTIALS);
	return h.inboxes('out', 'end', 'started');
}

describe('emit', () => {
	it('all: every result', async () => {
		await loadResults({ emit: 'all' });
		for (const text of ['a', 'a', 'b']) await post('t1', text);
		expect(sent().results).toEqual(['t1:a', 't1:a', 't1:b']);
	});

	it('an empty setting means all', async () => {
		await loadResults({ emit: '' });
		for (const text of ['a', 'a']) await post('t1', text);
		expect(sent().results).toEqual(['t1:a', 't1:a']);
	});

	it('changes: only a text that differs from the same task’s previous one (whitespace ignored); ends always pass', async () => {
		await loadResults({ emit: 'changes' });
		await post('t1', 'The scene is calm.');
		await post('t2', 'The scene is calm.');
		await post('t1', '  The scene   is calm. ');
		await post('t1', 'Smoke is visible.');
		await post('t2', 'The scene is calm.');
		await post('t1', 'The stream ended.', -1);
		await post('t2', 'Smoke is visible.');
		expect(sent()).toEqual({
			results: ['t1:The scene is calm.', 't2:The scene is calm.', 't1:Smoke is visible.', 't2:Smoke is visible.'],
			ended: ['t1:The stream ended.'],
		});
	});

	it('keywords, case-insensitive: any keyword anywhere in the text; ends always pass', async () => {
		await loadResults({ emit: 'keywords', keywords: ' smoke, Boiling over ,', caseSensitive: false });
		await post('t', 'SMOKE rises above the stove.');
		await post('t', 'The pan is boiling over.');
		await post('t', 'The scene is calm.');
		await post('t', 'The scene is calm.', 14);
		expect(sent()).toEqual({ results: ['t:SMOKE rises above the stove.', 't:The pan is boiling over.'], ended: ['t:The scene is calm.'] });
	});

	it('keywords, case-sensitive', async () => {
		await loadResults({ emit: 'keywords', keywords: 'smoke, Boiling over', caseSensitive: true });
		await post('t', 'SMOKE rises.');
		await post('t', 'smoke rises.');
		await post('t', 'Boiling over!');
		await post('t', 'boiling over!');
		expect(sent().results).toEqual(['t:smoke rises.', 't:Boiling over!']);
	});

	it.each([
		['a plain pattern, case-insensitive by default', 'boil(ing|ed)? over', false, ['The pan is BOILING OVER.', 'It boiled over.']],
		['a plain pattern, case-sensitive', 'boil(ing|ed)? over', true, ['It boiled over.']],
		['a /literal/ with its own flags', '/^the pan/i', true, ['The pan is BOILING OVER.']],
		['a /literal/ without flags is case-sensitive', '/Smoke|over\\./', false, ['It boiled over.', 'Smoke!']],
	])('regex: %s', async (_label, regex, caseSensitive, expected) => {
		await loadResults({ emit: 'regex', regex, caseSensitive });
		for (const text of ['The pan is BOILING OVER.', 'It boiled over.', 'Nothing happens.', 'Smoke!']) await post('t', text);
		await post('t', 'Nothing happens.', 14);
		expect(sent()).toEqual({ results: expected.map((text) => `t:${text}`), ended: ['t:Nothing happens.'] });
	});

	it.each([
		['an invalid regex', { emit: 'regex', regex: 'boil(ing over' }, /^Regular Expression is not valid \(.+\)\. Example: boil\(ing\|ed\)\? over$/],
		['an empty regex', { emit: 'regex', regex: '  ' }, /^Regular Expression is empty/],
		['regex flags other than imsu', { emit: 'regex', regex: '/smoke/g' }, /flags may only be i, m, s and u \(got "g"\)/],
		['no keywords', { emit: 'keywords', keywords: ' , ' }, /^Keywords is empty/],
		['an unknown mode', { emit: 'sometimes' }, /^Unknown filter "sometimes": use one of all, changes, keywords, regex\.$/],
	])('%s: node error, red status, no route, and start refuses to use the node', async (_label, results, message) => {
		const [, , started] = await loadResults(results);
		const res = h.node('res');
		const errors = h.calls(res, 'error');
		expect(errors).toHaveLength(1);
		expect(errors[0][0].message).toMatch(message);
		expect(h.lastStatus(res)).toEqual({ fill: 'red', shape: 'ring', text: h.t('memories-live-results.status.bad-filter') });
		const answer = await send(callbackUrl(h.nodeRedUrl(), h.RESULTS_PATH, { token: h.SECRET }), { body: result('t', 'x') });
		expect(answer.status).toBe(404);
		// A stream whose results would go nowhere is not started (it would bill for nothing).
		const error = await h.expectFailure('start', started);
		expect(error.message).toBe(h.t('memories-live-start.errors.no-results-node'));
		expect(env.sandbox.activeTasks()).toHaveLength(0);
	});

	it('changes, end to end: the sandbox sends frame windows in pairs of equal text, only changes come out', async () => {
		const [out, end, started] = await loadResults({ emit: 'changes' });
		const msg = await h.expectSent('start', started, { rtmpUrl: `${h.RTMP}?frames=4` });
		const taskId = msg.task_id!;
		await h.deliveriesOf(env.sandbox, taskId, 5); // 4 frame windows and the final callback
		const final = await end.next((m) => m.topic === taskId);
		expect(final.payload).toMatchObject({ status: -1, ended: true, text: 'The RTMP source ended.' });
		const texts = out.messages.filter((m) => m.topic === taskId).map((m) => m.payload.text as string);
		expect(texts).toHaveLength(2);
		expect(texts[0]).not.toBe(texts[1]);
		expect(h.calls(h.node('res'), 'send').filter((a) => a[0][0]?.topic === taskId)).toHaveLength(2);
	});
});

describe('duplicate deliveries', () => {
	const body = result('dup-task', 'Smoke is visible.', '2025-10-22T12:00:45Z');
	const postBody = (b: unknown) => send(callbackUrl(h.nodeRedUrl(), h.RESULTS_PATH, { token: h.SECRET }), { body: b });

	it('are dropped by default: same task, frame window and status', async () => {
		await loadResults({ ignoreDuplicates: undefined });
		expect((await postBody(body)).status).toBe(200);
		expect((await postBody(body)).status).toBe(200); // still acknowledged, so the sender stops
		expect((await postBody({ ...body, data: { ...body.data, timestamp: '2025-10-22T12:00:50Z' } })).status).toBe(200);
		expect((await postBody({ ...body, status: 14 })).status).toBe(200); // same window, but the end
		expect(sent()).toEqual({ results: ['dup-task:Smoke is visible.', 'dup-task:Smoke is visible.'], ended: ['dup-task:Smoke is visible.'] });
		expect(h.calls(h.node('res'), 'send')).toHaveLength(3);
	});

	it('results without a timestamp cannot be told apart and all pass', async () => {
		await loadResults({ ignoreDuplicates: true });
		const noTime = { status: 0, task_id: 'x', data: { text: 'same' } };
		await postBody(noTime);
		await postBody(noTime);
		expect(sent().results).toEqual(['x:same', 'x:same']);
	});

	it('are passed on when the guard is off', async () => {
		await loadResults({ ignoreDuplicates: false });
		await postBody(body);
		await postBody(body);
		expect(sent().results).toEqual(['dup-task:Smoke is visible.', 'dup-task:Smoke is visible.']);
	});

	it.each([
		[true, 1],
		[false, 2],
	])('a sandbox delivering a frame window twice (guard %s): it comes out %s time(s)', async (ignoreDuplicates, copies) => {
		const [out, , started] = await loadResults({ ignoreDuplicates });
		env.sandbox.injectFault({ on: 'callback', kind: 'duplicate', times: 1 });
		const taskId = (await h.expectSent('start', started)).task_id!;
		const deliveries = await h.deliveriesOf(env.sandbox, taskId, 3);
		const firstFrame = deliveries.filter((d) => d.frame === 1);
		expect(firstFrame).toHaveLength(2);
		expect(firstFrame.every((d) => d.ok && d.fault === 'duplicate')).toBe(true);
		// Both copies were answered, and the node answers only after handing a result to the flow.
		const stamps = h
			.calls(h.node('res'), 'send')
			.map((args) => args[0][0] as h.Msg | null)
			.filter((m) => m?.topic === taskId)
			.map((m) => m!.payload.timestamp);
		expect(new Set(stamps).size).toBeGreaterThanOrEqual(2);
		// Every copy that came out also reaches the flow.
		await out.waitFor(stamps.length, (m) => m.topic === taskId);
		expect(stamps.filter((s) => s === stamps[0])).toHaveLength(copies);
	});
});
