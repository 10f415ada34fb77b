// The results node's HTTP face: what a callback must look like to get into the flow, what every
// other request is answered, and the node's status.
import * as h from './support/harness';
import { callbackUrl, result, send, sendLarge } from './support/http';

const env = h.useSuite();

const url = (token?: string, query?: string) => callbackUrl(h.nodeRedUrl(), h.RESULTS_PATH, { token, query });
const post = (body: unknown, options: { token?: string; contentType?: string | null; method?: string; query?: string } = {}) =>
	send(url('token' in options ? options.token : h.SECRET, options.query), { body, contentType: options.contentType, method: options.method });
const sends = () => h.calls(h.node('res'), 'send');

async function loadResults(results: Record<string, unknown> = {}) {
	await h.load(h.flow(h.configNode(env.sandbox), h.resultsNode(results), h.helperNode('out'), h.helperNode('end')), h.CREDENTIALS);
	return h.inboxes('out', 'end');
}

describe('valid callbacks', () => {
	it('a result goes to output 1 as {event: "result", task_id, status, text, timestamp, ended: false} with topic = task_id', async () => {
		const [out, end] = await loadResults();
		const answer = await post(result('task-1', 'The pan is boiling over.', '2025-10-22T12:00:45Z'));
		expect(answer.status).toBe(200);
		const msg = await out.next();
		expect(msg.payload).toEqual({ event: 'result', task_id: 'task-1', status: 0, text: 'The pan is boiling over.', timestamp: '2025-10-22T12:00:45.000Z', ended: false });
		expect(msg.topic).toBe('task-1');
		expect(end.messages).toHaveLength(0);
		expect(sends()).toEqual([[[expect.objectContaining({ topic: 'task-1' }), null]]]);
	});

	it.each([
		[14, 'Stopped.'],
		[-1, 'The RTMP source ended.'],
		[2001, 'Credit deduction failed: the stream was stopped.'],
	])('a callback with status %s ends the stream: output 2, ended:true', async (status, text) => {
		const [out, end] = await loadResults();
		expect((await post(result('task-2', text, '2025-10-22T12:01:00Z', status))).status).toBe(200);
		const msg = await end.next();
		expect(msg.payload).toEqual({ event: 'stream_ended', task_id: 'task-2', status, text, timestamp: '2025-10-22T12:01:00.000Z', ended: true });
		expect(msg.topic).toBe('task-2');
		expect(out.messages).toHaveLength(0);
	});

	it('an ended callback without data or timestamp still ends the stream', async () => {
		const [, end] = await loadResults();
		expect((await post({ status: 14, task_id: 'task-3' })).status).toBe(200);
		expect((await end.next()).payload).toEqual({ event: 'stream_ended', task_id: 'task-3', status: 14, text: '', timestamp: null, ended: true });
	});

	it('accepts a missing content type and +json types, and odd timestamps become null or ISO', async () => {
		const [out] = await loadResults();
		expect((await post(result('t-a', 'one', 'not a date'), { contentType: null })).status).toBe(200);
		expect((await post(result('t-b', 'two', 1761134445 as unknown as string), { contentType: 'application/vnd.memories+json; charset=utf-8' })).status).toBe(200);
		const [a, b] = await out.waitFor(2);
		expect(a.payload.timestamp).toBeNull();
		expect(b.payload.timestamp).toBe('2025-10-22T12:00:45.000Z');
	});
});

describe('refused requests', () => {
	it.each([
		['a wrong token', { token: 'results-secret-0123456789-abcdeX' }],
		['no token', { token: undefined }],
		['a truncated token', { token: h.SECRET.slice(0, -1) }],
		['an empty token', { token: '' }],
		['the token twice', { token: h.SECRET, query: `token=${h.SECRET}` }],
		['the token under another name', { token: undefined, query: `secret=${h.SECRET}` }],
	])('%s: 401 and nothing sent', async (_label, options) => {
		await loadResults();
		const answer = await post(result('task-x', 'intruder'), options);
		expect(answer.status).toBe(401);
		expect(answer.json).toEqual({ error: 'Missing or wrong "token" in the callback URL.' });
		expect(sends()).toHaveLength(0);
	});

	it.each([
		['malformed JSON', '{"status": 0, "task_id": ', 'The body is not valid JSON.'],
		['an empty body', '', 'The body is empty.'],
		['an array', '[]', 'The body must be a JSON object.'],
		['no task_id', JSON.stringify({ status: 0, data: { text: 'x' } }), 'task_id is missing.'],
		['a task_id with a slash', JSON.stringify({ status: 0, task_id: '../x', data: { text: 'x' } }), 'task_id must be a task id: letters, digits, "-", "_", "." or "~".'],
		['a status that is no number', JSON.stringify({ status: 'ok', task_id: 't', data: { text: 'x' } }), 'status must be an integer (0 for a result).'],
	])('%s: 400 and nothing sent', async (_label, body, reason) => {
		await loadResults();
		const answer = await post(body);
		expect(answer).toMatchObject({ status: 400, json: { error: reason } });
		expect(sends()).toHaveLength(0);
	});

	it.each([
		['text/plain', 'text/plain'],
		['form data', 'application/x-www-form-urlencoded'],
		['octet-stream', 'application/octet-stream'],
	])('a JSON body declared as %s: read (the secret matched), 200 and sent', async (_label, contentType) => {
		const [out] = await loadResults();
		const answer = await post(JSON.stringify(result('t', 'x + y')), { contentType });
		expect(answer.status).toBe(200);
		expect((await out.next()).payload).toMatchObject({ task_id: 't', text: 'x + y' });
	});

	it('a multipart body: 415 and nothing sent', async () => {
		await loadResults();
		const answer = await post('--b\r\nContent-Disposition: form-data; name="p"\r\n\r\n{}\r\n--b--\r\n', { contentType: 'multipart/form-data; boundary=b' });
		expect(answer).toMatchObject({ status: 415, json: { error: 'A multipart body cannot be read: send the JSON payload as the body.' } });
		expect(sends()).toHaveLength(0);
	});

	it.each([
		['with a Content-Length', false],
		['chunked, without a Content-Length', true],
	])('a body over 256 KiB %s: read to its end, 413 and nothing sent', async (_label, chunked) => {
		await loadResults();
		// Read to its end: the connection stays usable, and a sender still writing sees the 413, not a reset.
		expect(await sendLarge(url(h.SECRET), 300 * 1024, { chunked })).toEqual({ status: 413, closes: false });
		expect(sends()).toHaveLength(0);
		// The route still serves the next callback.
		expect((await post(result('after-413', 'fine'))).status).toBe(200);
	});

	it('a body declared over 4 MiB: 413 before it is read, and the connection closed', async () => {
		await loadResults();
		expect(await sendLarge(url(h.SECRET), 5 * 1024 * 1024, { declaredOnly: true })).toEqual({ status: 413, closes: true });
		expect(sends()).toHaveLength(0);
	});

	it('a text longer than the limit: 413', async () => {
		await loadResults();
		const answer = await post(result('t', 'x'.repeat(100001)));
		expect(answer.status).toBe(413);
		expect(sends()).toHaveLength(0);
	});

	it.each(['GET', 'PUT', 'DELETE'])('%s: 405, with or without the token', async (method) => {
		await loadResults();
		expect((await send(url(h.SECRET), { method })).status).toBe(405);
		expect((await send(url(), { method })).status).toBe(405);
		expect(sends()).toHaveLength(0);
	});

	it('__proto__ payloads reach nothing: read by their own fields only, and pollute nothing', async () => {
		const [out] = await loadResults({ ignoreDuplicates: false });
		expect((await post('{"__proto__": {"status": 0, "task_id": "evil", "data": {"text": "x"}}}')).status).toBe(400);
		const bodies = [
			'{"status": 0, "task_id": "evil", "data": {"__proto__": {"text": "polluted"}}}',
			'{"status": 0, "task_id": "evil", "__proto__": {"data": {"text": "x"}}}',
			'{"constructor": {"prototype": {"polluted": true}}, "status": 0, "task_id": "evil"}',
		];
		// Readable results with no text of their own (the secret matched: never refused on form).
		for (const body of bodies) {
			expect((await post(body)).status).toBe(200);
			expect((await out.next()).payload).toMatchObject({ task_id: 'evil', text: '' });
		}
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		expect(({} as Record<string, unknown>).text).toBeUndefined();
		expect(({} as Record<string, unknown>).task_id).toBeUndefined();
	});

	it('a result for task "__proto__" is just a task id', async () => {
		const [out] = await loadResults({ emit: 'changes' });
		expect((await post(result('__proto__', 'still fine'))).status).toBe(200);
		expect((await out.next()).payload).toMatchObject({ task_id: '__proto__', text: 'still fine' });
	});
});

describe('refusals are visible', () => {
	it('the status shows the count and the last reason at once; a result brings the usual status back', async () => {
		const [out] = await loadResults();
		const res = h.node('res');
		expect((await post(result('t', 'x'), { token: 'wrong-token-wrong-token' })).status).toBe(401);
		expect(h.lastStatus(res)).toEqual({ fill: 'red', shape: 'ring', text: h.t('memories-live-results.status.refused', { rejected: 1, reason: 'token' }) });
		expect(h.lastStatus(res)?.text).toBe('1 refused (token)');
		expect((await post(result('t', 'first'))).status).toBe(200);
		await out.next();
		expect((await post('[1, 2]')).status).toBe(400);
		// Within a second of the last status: shown by the next refresh (at most once a second).
		expect(await h.waitForStatus(res, (st) => st.fill === 'yellow')).toEqual({ fill: 'yellow', shape: 'ring', text: '2 refused (body)' });
		expect((await post(result('t', 'second', '2025-10-22T12:00:50Z'))).status).toBe(200);
		await out.next();
		await h.waitForStatus(res, (st) => st.text === '2 results, 0s ago' || st.text === '2 ok, 2 refused');
		expect(h.lastStatus(res)).toEqual({ fill: 'green', shape: 'dot', text: '2 ok, 2 refused' });
	});

	it('a throttled warning in the log says what to check: one per burst of strangers, one per burst of lost results', async () => {
		await loadResults();
		for (let i = 0; i < 5; i++) expect((await post(result('t', 'x'))).status).toBe(200);
		for (let i = 0; i < 5; i++) expect((await post(result('t', 'x'), { token: undefined })).status).toBe(401);
		expect((await post('{"status":"soon","task_id":"t"}')).status).toBe(400);
		const warnings = h.calls(h.node('res'), 'warn').map(([message]) => String(message));
		expect(warnings).toEqual([
			h.t('memories-live-results.warn.refused-token', { path: h.RESULTS_PATH, httpStatus: 401, reason: 'Missing or wrong "token" in the callback URL.', since: 1, total: 1 }),
			h.t('memories-live-results.warn.refused-body', { path: h.RESULTS_PATH, httpStatus: 400, reason: 'status must be an integer (0 for a result).', since: 1, total: 1 }),
		]);
		expect(warnings[0]).toMatch(/still carries \?token=.*drop the query string.*Public URL/);
	});
});

describe('status', () => {
	it('shows waiting, then the last result with counts, then the end of the stream', async () => {
		const [out, end] = await loadResults();
		const res = h.node('res');
		expect(h.statuses(res)).toEqual([{ fill: 'grey', shape: 'ring', text: h.t('memories-live-results.status.waiting', { path: h.RESULTS_PATH }) }]);

		expect((await post(result('t', 'x'), { token: 'wrong-token-wrong-token' })).status).toBe(401);
		expect((await post('not json')).status).toBe(400);
		expect((await post(result('t', 'first', '2025-10-22T12:00:00Z'))).status).toBe(200);
		await out.next();
		expect(h.lastStatus(res)).toEqual({ fill: 'green', shape: 'dot', text: h.t('memories-live-results.status.last-refused', { ago: '0s', received: 1, rejected: 2 }) });
		expect(h.lastStatus(res)?.text).toMatch(/1 .*2/);

		expect((await post(result('t', 'done', '2025-10-22T12:00:05Z', 14))).status).toBe(200);
		await end.next();
		expect(h.lastStatus(res)).toEqual({ fill: 'blue', shape: 'ring', text: h.t('memories-live-results.status.ended', { ago: '0s', received: 2, rejected: 2 }) });

		// A new result after an end is "running" again.
		expect((await post(result('t2', 'new stream', '2025-10-22T12:00:10Z'))).status).toBe(200);
		await out.next((m) => m.topic === 't2');
		expect(h.lastStatus(res)?.fill).toBe('green');
	});

	it('clears its status when closed', async () => {
		await loadResults();
		const res = h.node('res');
		await h.redeploy(h.flow());
		expect(h.lastStatus(res)).toEqual({});
	});
});

describe('runtime settings', () => {
	it.each([
		['express.json()', () => require('express').json()],
		['[express.json()]', () => [require('express').json()]],
		['a middleware that does not read the body', () => (_req: unknown, res: { setHeader(n: string, v: string): void }, next: () => void) => {
			res.setHeader('x-middleware', 'ran');
			next();
		}],
	])('httpNodeMiddleware %s: callbacks still get through, bad ones are still refused', async (_label, middleware) => {
		h.useSettings({ httpNodeMiddleware: middleware() });
		const [out] = await loadResults();
		const ok = await post(result('mw', 'through the middleware'));
		expect(ok.status).toBe(200);
		expect((await out.next()).payload).toMatchObject({ task_id: 'mw', text: 'through the middleware' });
		expect((await post(result('mw', 'x'), { token: 'wrong-token-wrong-token' })).status).toBe(401);
		expect((await post('<not-json/>', { contentType: 'application/xml' })).status).toBe(415);
		// Malformed JSON: refused, by the body parser or by the node.
		expect((await post('{"status": 0,')).status).toBe(400);
		expect((await post({ status: 'ok', task_id: 'mw' })).status).toBe(400);
		expect(h.calls(h.node('res'), 'send')).toHaveLength(1);
	});

	it('a body already parsed upstream (as the editor API does on a real Node-RED) still obeys the size limit', async () => {
		h.useSettings({ httpNodeMiddleware: require('express').json({ limit: '5mb' }) });
		const [out] = await loadResults();
		const big = { ...result('big', 'small text'), padding: 'x'.repeat(300 * 1024) };
		expect((await post(big)).status).toBe(413);
		expect(sends()).toHaveLength(0);
		expect((await post(result('big', 'after'))).status).toBe(200);
		expect((await out.next()).payload).toMatchObject({ task_id: 'big', text: 'after' });
	});

	it('httpNodeRoot: the route lives under it, and the callback URL says so', async () => {
		h.useSettings({ httpNodeRoot: '/hooks/' });
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const [out, started] = h.inboxes('out', 'started');
		const msg = await h.expectSent('start', started);
		const callback = env.sandbox.task(msg.task_id!)!.callback;
		expect(h.withoutStartId(callback)).toBe(`${h.nodeRedUrl()}/hooks${h.RESULTS_PATH}?token=${h.SECRET}`);
		expect((await out.next((m) => m.topic === msg.task_id)).payload.task_id).toBe(msg.task_id);
		expect((await send(callbackUrl(h.nodeRedUrl(), `/hooks${h.RESULTS_PATH}`, { token: h.SECRET }), { body: result('r', 'x') })).status).toBe(200);
		expect((await send(url(h.SECRET), { body: result('r', 'x') })).status).toBe(404);
	});

	it('httpNodeRoot false: the node reports that it cannot receive, and no stream is started for it', async () => {
		h.useSettings({ httpNodeRoot: false });
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const res = h.node('res');
		expect(h.calls(res, 'error')[0][0].message).toMatch(/httpNodeRoot is false/);
		expect(h.lastStatus(res)).toEqual({ fill: 'red', shape: 'ring', text: h.t('memories-live-results.status.no-http') });
		const [started] = h.inboxes('started');
		const error = await h.expectFailure('start', started);
		expect(error.message).toBe(h.t('memories-live-start.errors.no-results-node'));
		expect(env.sandbox.activeTasks()).toHaveLength(0);
	});

	it('a runtime without RED.httpNode: the node reports it', async () => {
		await h.load(h.flow(h.configNode(env.sandbox), h.resultsNode(), h.helperNode('out'), h.helperNode('end')), h.CREDENTIALS, { httpNode: false });
		expect(h.lastStatus(h.node('res'))).toEqual({ fill: 'red', shape: 'ring', text: h.t('memories-live-results.status.no-http') });
		expect(h.calls(h.node('res'), 'error')).toHaveLength(1);
	});
});
