// The account (config node): API key credential, Base URL, and the key never showing anywhere.
import http from 'http';
import { AddressInfo } from 'net';

import * as h from './support/harness';

const env = h.useSuite();
const catchNode = { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] };

function totals() {
	return (env.sandbox.engine.state() as { totals: { starts: number; rejectedStarts: number; stops: number; notFoundStops: number } }).totals;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
	const server = http.createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

describe('API key', () => {
	it('without a key, start and stop fail with a clear error that Catch nodes get, and nothing is sent', async () => {
		await h.load(h.loopFlow(env.sandbox, { extra: [catchNode, h.helperNode('caught')] }), { res: { secret: h.SECRET } });
		const [started, stopped, caught] = h.inboxes('started', 'stopped', 'caught');
		const expected = h.t('memories-live-config.errors.no-key');
		expect(expected).toMatch(/no API key/);

		const startError = await h.expectFailure('start', started, { payload: 'go' });
		expect(startError.message).toBe(expected);
		expect(h.lastStatus(h.node('start'))).toEqual({ fill: 'red', shape: 'ring', text: 'check API Key' });
		const caughtStart = await caught.next((m) => m.error?.source?.id === 'start');
		// Node-RED shows errors as `${name}: ${message}`.
		expect(caughtStart.error.message).toBe(`Error: ${expected}`);
		// Node-RED copies only code, stack and cause into msg.error: the details travel as the cause.
		expect(caughtStart.error.code).toBe('INVALID_INPUT');
		expect(caughtStart.error.cause).toMatchObject({ kind: 'invalid_input', field: 'API Key', retryable: false });

		const stopError = await h.expectFailure('stop', stopped, { task_id: 'some-task' });
		expect(stopError.message).toBe(expected);
		expect(h.lastStatus(h.node('stop'))).toEqual({ fill: 'red', shape: 'ring', text: 'check API Key' });
		expect((await caught.next((m) => m.error?.source?.id === 'stop')).error.message).toBe(`Error: ${expected}`);

		expect(totals()).toMatchObject({ starts: 0, rejectedStarts: 0, stops: 0, notFoundStops: 0 });
		expect(started.messages).toHaveLength(0);
		expect(stopped.messages).toHaveLength(0);
	});

	it('a key the service does not know is refused (0401) with the core message and status', async () => {
		await h.load(h.loopFlow(env.sandbox), { cfg: { apiKey: 'sk-mai-unknown-key-0000000000' }, res: { secret: h.SECRET } });
		const [started] = h.inboxes('started');
		const error = (await h.expectFailure('start', started)) as Error & { kind?: string; code?: string };
		expect(error).toMatchObject({ name: 'Error', kind: 'auth', code: '0401', operation: 'start' });
		expect(error.message).toMatch(/^memories\.ai did not accept the API key \(code 0401\): "Invalid API key\."\. Check the API key/);
		expect(h.lastStatus(h.node('start'))).toEqual({ fill: 'red', shape: 'ring', text: 'API key refused' });
		expect(env.sandbox.activeTasks()).toHaveLength(0);
	});

	it.each([
		['with a "Bearer " prefix', `Bearer ${h.KEY}`, /without "Bearer "/],
		['with a line break inside', `${h.KEY.slice(0, 10)}\n${h.KEY.slice(10)}`, /spaces, line breaks/],
	])('a key %s is refused before anything is sent', async (_label, apiKey, message) => {
		await h.load(h.loopFlow(env.sandbox), { cfg: { apiKey }, res: { secret: h.SECRET } });
		const [started] = h.inboxes('started');
		const error = await h.expectFailure('start', started);
		expect(error.message).toMatch(message);
		expect(h.lastStatus(h.node('start'))?.text).toBe('check API Key');
		expect(totals().starts + totals().rejectedStarts).toBe(0);
		expect(h.everythingShown()).not.toContain(h.KEY.slice(10));
	});

	it('never shows the key in a status, error, warning, log or message, even when the API echoes it', async () => {
		// A stand-in API that echoes the Authorization header in its error text.
		const echo = http.createServer((req, res) => {
			req.resume();
			const body = JSON.stringify({ code: '0401', msg: `Invalid API key ${req.headers.authorization}`, data: null, success: false });
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(body);
		});
		await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
		try {
			const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
			await h.load(
				h.flow(
					h.configNode(env.sandbox),
					h.configNode(env.sandbox, { id: 'echo-cfg', baseUrl: echoUrl }),
					h.resultsNode(),
					h.startNode(),
					h.startNode({ id: 'echo-start', config: 'echo-cfg', wires: [['started']] }),
					h.stopNode({ id: 'echo-stop', config: 'echo-cfg' }),
					h.stopNode(),
					...['out', 'end', 'started', 'stopped'].map(h.helperNode),
				),
				{ cfg: { apiKey: h.KEY }, 'echo-cfg': { apiKey: h.KEY }, res: { secret: h.SECRET } },
			);
			const [started, stopped] = h.inboxes('started', 'stopped');

			const echoed = await h.expectFailure('echo-start', started);
			expect(echoed.message).toContain('"Invalid API key [redacted]"');
			const echoedStop = await h.expectFailure('echo-stop', stopped, { task_id: 'abc' });
			expect(echoedStop.message).toContain('[redacted]');

			// Successful and failing calls on the real account, and a shutdown that stops streams.
			const ok = await h.expectSent('start', started);
			await h.expectSent('stop', stopped, { task_id: ok.task_id });
			await h.expectFailure('start', started, { rtmpUrl: 'http://camera.example.com/live' });
			await h.expectSent('start', started);
			await h.redeploy(h.flow()); // closes the nodes: the start node stops its stream
			expect(env.sandbox.activeTasks()).toHaveLength(0);

			const shown = h.everythingShown();
			expect(shown).toContain('[redacted]');
			expect(shown).not.toContain(h.KEY);
		} finally {
			await new Promise((resolve) => echo.close(resolve));
		}
	});
});

describe('Base URL', () => {
	it.each([
		['another scheme', 'ftp://stream.example.com', /Base URL must start with http:\/\/ or https:\/\//],
		['a query', 'http://127.0.0.1:1/?x=1', /must not contain "\?" or "#"/],
		['spaces inside', 'http://stream example.com', /Base URL contains spaces/],
	])('with %s: start and stop fail with a clear error and nothing is sent', async (_label, baseUrl, message) => {
		await h.load(h.loopFlow(env.sandbox, { config: { baseUrl } }), h.CREDENTIALS);
		const [started, stopped] = h.inboxes('started', 'stopped');
		expect((await h.expectFailure('start', started)).message).toMatch(message);
		expect(h.lastStatus(h.node('start'))).toEqual({ fill: 'red', shape: 'ring', text: 'check Base URL' });
		expect((await h.expectFailure('stop', stopped, { task_id: 'abc' })).message).toMatch(message);
		expect(h.lastStatus(h.node('stop'))?.text).toBe('check Base URL');
	});

	it('that nothing answers on: a network error that says nothing can have started', async () => {
		const port = await closedPort();
		await h.load(h.loopFlow(env.sandbox, { config: { baseUrl: `http://127.0.0.1:${port}` } }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const error = (await h.expectFailure('start', started)) as Error & { kind?: string; code?: string; mayHaveStarted?: boolean };
		expect(error).toMatchObject({ name: 'Error', kind: 'network', code: 'ECONNREFUSED', mayHaveStarted: false });
		expect(error.message).toMatch(/Could not reach memories\.ai to start \(ECONNREFUSED\)\. Check the Base URL/);
		expect(h.lastStatus(h.node('start'))).toEqual({ fill: 'red', shape: 'ring', text: 'network (ECONNREFUSED)' });
	});

	it('defaults to the real service when empty, and accepts a trailing slash', async () => {
		await h.load(
			h.flow(
				h.configNode(env.sandbox, { baseUrl: '  ' }),
				h.configNode(env.sandbox, { id: 'cfg2', baseUrl: `${env.sandbox.url}/` }),
				h.resultsNode(),
				h.startNode({ config: 'cfg2' }),
				...['out', 'end', 'started'].map(h.helperNode),
			),
			{ cfg: { apiKey: h.KEY }, cfg2: { apiKey: h.KEY }, res: { secret: h.SECRET } },
		);
		expect(h.node('cfg').baseUrl).toBe('https://stream.memories.ai');
		const [started] = h.inboxes('started');
		const msg = await h.expectSent('start', started);
		expect(env.sandbox.task(msg.task_id!)?.state).toBe('running');
	});
});

describe('account selection', () => {
	it('start and stop without an account fail with their own clear errors', async () => {
		await h.load(h.loopFlow(env.sandbox, { start: { config: '' }, stop: { config: 'no-such-config' } }), h.CREDENTIALS);
		const [started, stopped] = h.inboxes('started', 'stopped');
		expect((await h.expectFailure('start', started)).message).toBe(h.t('memories-live-start.errors.no-config'));
		expect(h.lastStatus(h.node('start'))?.text).toBe('check Account');
		expect((await h.expectFailure('stop', stopped, { task_id: 'abc' })).message).toBe(h.t('memories-live-stop.errors.no-config'));
		expect(totals().starts + totals().rejectedStarts).toBe(0);
	});
});
