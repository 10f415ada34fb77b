// The real service's unknowns in real Node-RED processes (4.1 on this machine's Node, 5 on Node 24)
// running in America/New_York, with the editor API at the same root (its body parsers run first),
// our packed tarball installed, against the sandbox's variants: redirects (nothing started, the key
// sent nowhere else), callbacks in every delivery variant, refusals shown and logged, hidden tasks
// stopped (also across a redeploy and at shutdown), Stop After from the URL, Retry-After.

import { Sandbox, analysisText } from '../../../sandbox/src';
import { Sink, SinkRequest } from '../../../scripts/lib/sink';
import { useNodeRedSuite } from './support/suite';
import { recordFigures } from '../support/figures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/node-red-host');

const TZ = 'America/New_York';
const KEY = 'sk-e2e-node-red-variants-key';
const SECRET = 'e2e-variants-results-secret-0123456789abcdef';
const ROUTE = '/memories/variants';
const PROMPT = 'Is the pan boiling over?';

jest.setTimeout(10 * 60 * 1000);

let tarball: string;
let sandbox: Sandbox;
let sink: Sink;

// Over a second apart: timestamps sent to the second stay distinct (duplicates are dropped).
const suite = useNodeRedSuite('e2e-node-red-variants', { intervalMs: 1100, keys: [KEY], taskIds: 'numeric' });
beforeAll(() => ({ tarball, sandbox, sink } = suite));

const at = (route: string) => (r: SinkRequest) => r.url === route;
const json = (route: string) => sink.received.filter(at(route)).map((r) => r.json as Record<string, unknown>);

function flows(publicUrl: string) {
	const toSink = (id: string, route: string) => host.sinkRequestNode({ id, z: 'tab', url: `${sink.url}${route}` });
	return [
		{ id: 'tab', type: 'tab', label: 'variants' },
		{ id: 'account', type: 'memories-live-config', name: 'sandbox', baseUrl: sandbox.url, publicUrl, credentials: { apiKey: KEY } },
		{ id: 'results', type: 'memories-live-results', z: 'tab', name: 'results', path: ROUTE, emit: 'all', ignoreDuplicates: true, config: 'account', credentials: { secret: SECRET }, wires: [['to-results'], ['to-ended']] },
		{ id: 'go', type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['start']] },
		{ id: 'go-short', type: 'inject', z: 'tab', props: [{ p: 'payload' }, { p: 'maxDuration', v: '0.05', vt: 'num' }], payload: '', payloadType: 'date', wires: [['start']] },
		{ id: 'start', type: 'memories-live-start', z: 'tab', config: 'account', callbackMode: 'results', results: 'results', rtmpUrl: 'rtmp://camera.example.com/live/kitchen', userPrompt: PROMPT, systemPrompt: 'You are a real-time video monitoring system.', thinking: false, maxDuration: 0, stopOnClose: true, wires: [['to-started']] },
		{ id: 'halt', type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['stop']] },
		{ id: 'stop', type: 'memories-live-stop', z: 'tab', config: 'account', target: 'all', failIfNotFound: false, wires: [['to-stopped']] },
		{ id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['error-fn']] },
		{
			id: 'error-fn',
			type: 'function',
			z: 'tab',
			func: 'msg.payload = { error: msg.error.message, source: msg.error.source.type, kind: msg.error.cause && msg.error.cause.kind, mayHaveStarted: msg.error.cause && msg.error.cause.mayHaveStarted };\nreturn msg;',
			outputs: 1,
			wires: [['to-errors']],
		},
		{ id: 'status', type: 'status', z: 'tab', scope: ['results', 'start'], wires: [['status-fn']] },
		{ id: 'status-fn', type: 'function', z: 'tab', func: 'msg.payload = { source: msg.status.source.id, text: msg.status.text };\nreturn msg;', outputs: 1, wires: [['to-status']] },
		toSink('to-results', '/result'),
		toSink('to-ended', '/ended'),
		toSink('to-started', '/started'),
		toSink('to-stopped', '/stopped'),
		toSink('to-errors', '/error'),
		toSink('to-status', '/status'),
	].map((node, i) => ('z' in node ? { ...node, x: 100 + 150 * (i % 6), y: 60 + 60 * Math.floor(i / 6) } : node));
}

describe.each([{ version: '4.1' }, { version: '5' }])('Node-RED $version in America/New_York', ({ version }) => {
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	let red: any;
	let routeUrl: string;

	const start = async (inject = 'go'): Promise<Record<string, unknown>> => {
		const before = sink.received.filter(at('/started')).length;
		await red.injectNode(inject);
		const started = await sink.waitFor(before + 1, at('/started'));
		return started[started.length - 1].json as Record<string, unknown>;
	};
	const failedStart = async (): Promise<Record<string, unknown>> => {
		const before = sink.received.filter(at('/error')).length;
		await red.injectNode('go');
		const errors = await sink.waitFor(before + 1, at('/error'));
		return errors[errors.length - 1].json as Record<string, unknown>;
	};

	beforeAll(async () => {
		sink.clear();
		sandbox.reset();
		red = await host.startNodeRed({ version, tarballs: [tarball], env: { TZ } });
		routeUrl = `${red.baseUrl}${ROUTE}`;
		await red.deploy(flows(red.baseUrl));
	});

	afterAll(async () => {
		await red?.stop();
	});

	it.each([
		[307, 'other_port'],
		[307, 'localhost'],
		[302, 'other_port'],
		[308, 'other_port'],
	] as const)('a %i to %s on start: the error says redirect (not "may have started"); nothing started; the key went nowhere else', async (httpStatus, to) => {
		sandbox.injectFault({ on: 'start', kind: 'redirect', httpStatus, to });
		const error = await failedStart();
		expect(error).toMatchObject({ source: 'memories-live-start', kind: 'redirect', mayHaveStarted: false });
		// Node-RED hands a Catch node err.toString(): "Error: " and the core's message.
		expect(error.error).toMatch(new RegExp(`^Error: The Base URL answered start with HTTP ${httpStatus}, a redirect to http://(127\\.0\\.0\\.1|localhost):\\d+/v1/understand/streamConnect\\. The API key is only ever sent to the Base URL, so the redirect was not followed\\. No stream was started\\.`));
		expect(String(error.error)).not.toMatch(/may have started/i);
		expect(sandbox.activeTasks()).toEqual([]);
		expect(sandbox.foreignRequests()).toEqual([]);
	});

	it('reads every delivery variant as the documented payload: nothing refused, times in UTC', async () => {
		const started = await start();
		const taskId = started.task_id as string;
		const sets = [
			['text_plain'], ['form'], ['octet_stream'], ['no_content_type'], ['bom'], ['chunked'], ['status_string'], ['task_id_number'],
			['text_null'], ['text_missing'], ['extra_fields'], ['ts_no_zone'], ['ts_space'], ['ts_offset'], ['ts_epoch_s_string'],
			['query_task_id'], ['query_task_id_amp'], ['form', 'bom', 'status_string', 'ts_no_zone', 'query_task_id'],
		];
		for (const variants of sets) sandbox.injectFault({ on: 'callback', kind: 'variant', variants, taskId });
		await sandbox.waitFor('delivery', () => sandbox.deliveries({ taskId }).filter((d) => d.variants).length >= sets.length, 90_000);
		const deliveries = sandbox.deliveries({ taskId }).filter((d) => d.variants);
		const sent = new Set(deliveries.map((d) => new Date(d.timestampMs!).toISOString()));
		await sink.waitFor(sets.length, (r) => at('/result')(r) && sent.has((r.json as { timestamp: string }).timestamp), 30_000);
		expect(deliveries.map((d) => d.variants)).toEqual(sets);
		expect(deliveries.every((d) => d.httpStatus === 200)).toBe(true);
		const received = json('/result').filter((i) => i.task_id === taskId);
		for (const delivery of deliveries) {
			const timestamp = new Date(delivery.timestampMs!).toISOString();
			const textless = delivery.variants!.some((v) => v === 'text_null' || v === 'text_missing');
			expect({ variants: delivery.variants, item: received.find((i) => i.timestamp === timestamp) }).toEqual({
				variants: delivery.variants,
				item: { event: 'result', task_id: taskId, status: 0, text: textless ? '' : analysisText(PROMPT, delivery.frame), timestamp, ended: false },
			});
		}
		sandbox.injectFault({ on: 'callback', kind: 'variant', variants: ['data_null', 'text_plain'], taskId });
		sandbox.endTask(taskId, 2001);
		const [ended] = await sink.waitFor(1, (r) => at('/ended')(r) && (r.json as { task_id: string }).task_id === taskId);
		expect(ended.json).toEqual({ event: 'stream_ended', task_id: taskId, status: 2001, text: '', timestamp: null, ended: true });
		expect(red.logs()).not.toMatch(/Refused a callback/);
		recordFigures(`node-red ${version} variants deliveries`, { variantSets: sets.length + 1, answered200: deliveries.length, items: received.length });
		await red.injectNode('halt');
		await sink.waitFor(1, at('/stopped'));
	});

	it('a JSON body declared as a form arrives byte for byte, though the editor API’s form parser runs first on this path', async () => {
		const body = '{"status":0,"task_id":"770001","data":{"text":"A + B [pan] 100% & more","timestamp":"2025-10-22T20:00:45+08:00"}}';
		const answer = await host.request('POST', `${routeUrl}?token=${SECRET}`, { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
		expect(answer.status).toBe(200);
		const [item] = await sink.waitFor(1, (r) => at('/result')(r) && (r.json as { task_id: string }).task_id === '770001');
		expect(item.json).toEqual({ event: 'result', task_id: '770001', status: 0, text: 'A + B [pan] 100% & more', timestamp: '2025-10-22T12:00:45.000Z', ended: false });
	});

	it('a refusal shows on the status at once, with the reason, and the log says what to check', async () => {
		const answer = await host.request('POST', routeUrl, { body: JSON.stringify({ status: 0, task_id: '1', data: { text: 'x' } }), headers: { 'Content-Type': 'application/json' } });
		expect(answer.status).toBe(401);
		await sink.waitFor(1, (r) => at('/status')(r) && /refused \(token\)$/.test((r.json as { text?: string }).text ?? ''));
		await red.waitForLog(/Refused a callback to \/memories\/variants \(HTTP 401: Missing or wrong "token" in the callback URL\.\).*still carries \?token=/);
	});

	it('a start whose answer was lost: its task is stopped by its first result, which never reaches the flow', async () => {
		sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		const started = sandbox.waitFor('task-started');
		const error = await failedStart();
		expect(error).toMatchObject({ kind: 'network', mayHaveStarted: true });
		const { taskId } = await started;
		expect(await sandbox.waitFor('task-ended', (t) => t.taskId === taskId, 30_000)).toMatchObject({ endReason: 'stopped' });
		expect(json('/result').filter((i) => i.task_id === taskId)).toEqual([]);
		await red.waitForLog(new RegExp(`Stopped stream ${taskId} \\(stopped\\): a start whose answer was lost`));
	});

	it('…also when its results come only after a redeploy', async () => {
		sandbox.injectFault({ on: 'callback', kind: 'drop', times: 1000 });
		sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		const started = sandbox.waitFor('task-started');
		await failedStart();
		const { taskId } = await started;
		await red.deploy(flows(red.baseUrl));
		expect(sandbox.task(taskId)!.state).toBe('running');
		sandbox.clearFaults();
		expect(await sandbox.waitFor('task-ended', (t) => t.taskId === taskId, 30_000)).toMatchObject({ endReason: 'stopped' });
	});

	it('Stop After from the callback URL: stream_ended with reason max_duration, once', async () => {
		const started = await start('go-short'); // msg.maxDuration 0.05: 3 s
		expect(started).toMatchObject({ max_duration_minutes: 0.05, stop_at: expect.stringMatching(/Z$/) });
		const taskId = started.task_id as string;
		const [ended] = await sink.waitFor(1, (r) => at('/ended')(r) && (r.json as { task_id: string }).task_id === taskId, 30_000);
		expect(ended.json).toMatchObject({ event: 'stream_ended', status: 14, reason: 'max_duration' });
		expect(sandbox.task(taskId)!.state).toBe('stopped');
		expect(json('/ended').filter((i) => i.task_id === taskId)).toHaveLength(1);
	});

	it('a stop answered 429 with Retry-After: 2 is tried again 2 s later', async () => {
		await start();
		sandbox.injectFault({ on: 'stop', kind: 'http429', retryAfter: 2, retryAfterForm: 'date' });
		const before = sink.received.filter(at('/stopped')).length;
		await red.injectNode('halt');
		const stopped = await sink.waitFor(before + 1, at('/stopped'));
		expect(stopped[stopped.length - 1].json).toEqual([expect.objectContaining({ outcome: 'stopped' })]);
		const stops = sandbox.apiRequests().filter((r) => r.operation === 'stop').slice(-2);
		expect(stops.map((r) => r.httpStatus)).toEqual([429, 200]);
		expect(stops[1].receivedAt - stops[0].answeredAt).toBeGreaterThanOrEqual(1000);
	});

	it('a hidden task whose stop failed is stopped at shutdown', async () => {
		sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 3 });
		const started = sandbox.waitFor('task-started');
		await failedStart();
		const { taskId } = await started;
		await red.waitForLog(new RegExp(`Could not stop stream ${taskId}, which a start whose answer was lost had started`), { timeoutMs: 30_000 });
		sandbox.injectFault({ on: 'callback', kind: 'drop', times: 1000 }); // nothing but the shutdown may stop it now
		const stop = await red.stop();
		expect(stop.killed).toBe(false);
		expect(sandbox.task(taskId)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		sandbox.clearFaults();
		expect(sandbox.activeTasks()).toEqual([]);
		expect(red.logs()).not.toContain(KEY);
		expect(red.logs()).not.toContain(SECRET);
	});
});
