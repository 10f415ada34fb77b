// API faults on start and stop, injected by the sandbox, against a real Node-RED: 5000, 429, an
// answer slower than the client's timeout, a reset connection, an HTML 502 page, invalid JSON, an
// empty body. Each must reach a Catch node as a clear typed error (the core's message, its code and
// kind), the host must keep running, and the sandbox must never see a duplicate task.

import {
	ApiResponse,
	MemoriesApiError,
	Operation,
	STOP_BUDGET_MS,
	interpretRequestFailure,
	interpretStartResponse,
	interpretStopResponse,
} from '../../../core';
import { ApiFault, Sandbox, startSandbox } from '../../../sandbox/src';
import { startSink, type Sink } from '../../../scripts/lib/sink';
import { recordReliability } from '../support/record';
import {
	NodeRed,
	catchToSink,
	crashLines,
	findSecrets,
	itemsAt,
	leakSources,
	leakSummary,
	nodeRedHost,
	packNodeRed,
	placed,
	startHost,
	statusToSink,
	toSink,
	waitForItems,
} from './support/host';
import { endSuite } from '../../support/suite-end';

jest.setTimeout(5 * 60 * 1000);

const KEY = 'sk-rel-faults-4bd1e0c2a9f84e77b3c5d6e7f8091a2b';
const KEY_SLOW = 'sk-rel-faults-slow-0f9e8d7c6b5a49382716a5b4c3d2e1f0';
const KEY_LOST = 'sk-rel-faults-lost-7e6d5c4b3a2918f7e6d5c4b3a2918f7e';
const SECRET = 'rel-faults-secret-Zq3xV8mN1pL6tR4yW2sK9dH7';
const ROUTE = '/memories/faults';

interface CaughtError {
	message: string;
	code?: string;
	kind?: string;
	cause?: { kind?: string; code?: string; retryable?: boolean; mayHaveStarted?: boolean; operation?: string };
	source: { id: string; type: string };
}

/** What the sandbox answers for each fault kind (sandbox/src/http.ts), as the client reads it. */
const ANSWERS: Record<string, ApiResponse> = {
	'status 5000': { httpStatus: 200, body: JSON.stringify({ status: 5000, task_id: null, text: 'Injected status 5000.' }) },
	http429: { httpStatus: 429, body: JSON.stringify({ code: 429, msg: 'Rate limit exceeded' }) },
	html502: {
		httpStatus: 502,
		body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
	},
	invalid_json: { httpStatus: 200, body: '{"status": 0, "task_id": ' },
	empty: { httpStatus: 200, body: '' },
};

const FAULTS: Array<{ name: string; fault: Omit<ApiFault, 'on'> }> = [
	{ name: 'status 5000', fault: { kind: 'status', status: 5000 } },
	{ name: 'http429', fault: { kind: 'http429' } },
	{ name: 'reset', fault: { kind: 'reset' } },
	{ name: 'html502', fault: { kind: 'html502' } },
	{ name: 'invalid_json', fault: { kind: 'invalid_json' } },
	{ name: 'empty', fault: { kind: 'empty' } },
];

/** The error the core makes of a fault: what the Catch node must receive. */
function coreError(operation: Operation, name: string, clientCode?: string): MemoriesApiError {
	if (name === 'reset' || name === 'slow') return interpretRequestFailure(operation, clientCode);
	try {
		if (operation === 'start') interpretStartResponse(ANSWERS[name]);
		else interpretStopResponse('some-task', ANSWERS[name]);
	} catch (error) {
		return error as MemoriesApiError;
	}
	throw new Error(`the core accepted the answer to ${name}`);
}

let work: string;
let tarball: string;
let sandbox: Sandbox;
let slowSandbox: Sandbox;
let lostSandbox: Sandbox;
let sink: Sink;
let red: NodeRed | undefined;
let pid: number | undefined;
const sandboxLog: string[] = [];
const table: Array<Record<string, unknown>> = [];
let slowStop: Promise<{ error: CaughtError; ms: number; taskId: string }>;
let lostAnswer: Promise<{ outcome: unknown; ms: number; taskId: string }>;

function flows() {
	const sinkAt = (route: string) => `${sink.url}${route}`;
	const inject = (id: string, target: string) => ({ id, type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [[target]] });
	const start = (id: string, config: string, out: string) => ({
		id,
		type: 'memories-live-start',
		z: 'tab',
		name: id,
		config,
		callbackMode: 'results',
		results: 'results',
		rtmpUrl: 'rtmp://camera.example.com/live/kitchen',
		userPrompt: 'Is the pan boiling over?',
		systemPrompt: '',
		thinking: false,
		maxDuration: 0,
		stopOnClose: true,
		wires: [[out]],
	});
	/** POST {task_id} to /ctl/<name>: answered at once, then the id goes into a stop node. */
	const control = (name: string, stopNode: string) => [
		{ id: `ctl-${name}`, type: 'http in', z: 'tab', name: '', url: `/ctl/${name}`, method: 'post', upload: false, swaggerDoc: '', wires: [[`ctl-${name}-ok`, `ctl-${name}-fn`]] },
		{ id: `ctl-${name}-ok`, type: 'http response', z: 'tab', name: '', statusCode: '', headers: {}, wires: [] },
		{ id: `ctl-${name}-fn`, type: 'function', z: 'tab', name: '', func: 'return { task_id: msg.payload.task_id };', outputs: 1, wires: [[stopNode]] },
	];
	return placed([
		{ id: 'tab', type: 'tab', label: 'faults' },
		{ id: 'acct', type: 'memories-live-config', name: 'sandbox', baseUrl: sandbox.url, publicUrl: red!.baseUrl, credentials: { apiKey: KEY } },
		{ id: 'acct-slow', type: 'memories-live-config', name: 'slow sandbox', baseUrl: slowSandbox.url, publicUrl: red!.baseUrl, credentials: { apiKey: KEY_SLOW } },
		{ id: 'acct-lost', type: 'memories-live-config', name: 'lossy sandbox', baseUrl: lostSandbox.url, publicUrl: red!.baseUrl, credentials: { apiKey: KEY_LOST } },
		{
			id: 'results',
			type: 'memories-live-results',
			z: 'tab',
			name: 'results',
			path: ROUTE,
			emit: 'all',
			ignoreDuplicates: true,
			credentials: { secret: SECRET },
			wires: [['to-result'], ['to-ended']],
		},
		inject('go', 'start'),
		start('start', 'acct', 'to-started'),
		inject('go-slow', 'start-slow'),
		start('start-slow', 'acct', 'to-started'),
		inject('go-2', 'start-2'),
		start('start-2', 'acct-slow', 'to-started'),
		inject('go-3', 'start-3'),
		start('start-3', 'acct-lost', 'to-started'),
		...control('stop-3', 'stop-3'),
		{ id: 'stop-3', type: 'memories-live-stop', z: 'tab', name: 'strict stop on the lossy sandbox', config: 'acct-lost', target: 'msg', failIfNotFound: true, wires: [['to-stopped']] },
		inject('halt', 'stop-all'),
		{ id: 'stop-all', type: 'memories-live-stop', z: 'tab', name: 'stop all', config: 'acct', target: 'all', failIfNotFound: false, wires: [['to-stopped']] },
		...control('stop', 'stop-one'),
		{ id: 'stop-one', type: 'memories-live-stop', z: 'tab', name: 'stop one', config: 'acct', target: 'msg', failIfNotFound: false, wires: [['to-stopped']] },
		...control('stop-2', 'stop-2'),
		{ id: 'stop-2', type: 'memories-live-stop', z: 'tab', name: 'stop on the slow sandbox', config: 'acct-slow', target: 'msg', failIfNotFound: false, wires: [['to-stopped']] },
		toSink('to-result', 'tab', sinkAt('/result')),
		toSink('to-ended', 'tab', sinkAt('/ended')),
		toSink('to-started', 'tab', sinkAt('/started')),
		toSink('to-stopped', 'tab', sinkAt('/stopped')),
		...catchToSink('catch', 'tab', sinkAt('/error')),
		...statusToSink('status', 'tab', sinkAt('/status')),
	]);
}

const errors = () => itemsAt<CaughtError>(sink, '/error');
const started = () => itemsAt<{ task_id: string }>(sink, '/started');
const nextError = async (sourceId: string, after: number, timeoutMs = 60000) => {
	const items = await waitForItems<CaughtError>(sink, '/error', (all) => all.slice(after).some((e) => e.source?.id === sourceId), timeoutMs);
	return items.slice(after).find((e) => e.source?.id === sourceId)!;
};
const control = async (name: string, taskId: string) => {
	const answer = await nodeRedHost.request('POST', `${red!.baseUrl}/ctl/${name}`, { body: { task_id: taskId } });
	expect(answer.status).toBe(200);
};
const startWith = async (inject: string) => {
	const before = started().length;
	await red!.injectNode(inject);
	const items = await waitForItems(sink, '/started', (all) => all.length > before);
	return items[before].task_id;
};
const totals = (s: Sandbox) => (s.engine.state() as { totals: Record<string, number> }).totals;

/** The checks every fault's error must pass: the core's message, code and kind, and a plain Error. */
function expectTyped(error: CaughtError, expected: MemoriesApiError) {
	expect(error.message).toBe(`Error: ${expected.message}`);
	expect(error.code).toBe(expected.code);
	expect(error.cause).toEqual(
		expect.objectContaining({ kind: expected.kind, code: expected.code, retryable: expected.retryable, mayHaveStarted: expected.mayHaveStarted, operation: expected.operation }),
	);
}

beforeAll(async () => {
	({ work, tarball } = packNodeRed());
	const log = (name: string) => (line: string) => sandboxLog.push(`${name}: ${line}`);
	sandbox = await startSandbox({ intervalMs: 1000, keys: [KEY], log: log('sandbox') });
	slowSandbox = await startSandbox({ intervalMs: 1000, keys: [KEY_SLOW], log: log('slow sandbox') });
	lostSandbox = await startSandbox({ intervalMs: 1000, keys: [KEY_LOST], log: log('lossy sandbox') });
	sink = await startSink();
	red = await startHost({ tarball, version: '4.1', logLevel: 'debug' });
	await red.deploy(flows());
	pid = red.pid();
	// The longest case runs beside the others (on its own sandbox: faults are not per task): a stop
	// answered after the client's 30 s timeout, every try (two fit in the stop's budget).
	const taskId = await startWith('go-2');
	slowSandbox.injectFault({ on: 'stop', kind: 'slow', delayMs: 35000, times: 2 });
	const t0 = Date.now();
	const before = errors().length;
	await control('stop-2', taskId);
	slowStop = nextError('stop-2', before, 150000).then((error) => ({ error, ms: Date.now() - t0, taskId }));
	slowStop.catch(() => undefined); // awaited (and reported) by its own test
	// And beside it, on a third sandbox: one answer lost (the stop was done), the retry hears "not found".
	const lostTask = await startWith('go-3');
	lostSandbox.injectFault({ on: 'stop', kind: 'slow', delayMs: 35000 });
	const t1 = Date.now();
	const lostErrorsBefore = errors().length;
	await control('stop-3', lostTask);
	lostAnswer = Promise.race([
		waitForItems(sink, '/stopped', (all) => all.some((o) => o.task_id === lostTask), 90000).then((all) => all.find((o) => o.task_id === lostTask)),
		nextError('stop-3', lostErrorsBefore, 90000),
	]).then((outcome) => ({ outcome, ms: Date.now() - t1, taskId: lostTask }));
	lostAnswer.catch(() => undefined);
});

afterAll(async () => {
	await red?.stop();
	if (table.length > 0) recordReliability('api-faults', { nodeRed: red?.version, node: red?.nodeVersion, faults: table });
	await endSuite({ sandboxes: [sandbox, slowSandbox, lostSandbox], close: [sink], work });
});

it('turns every start fault into a typed error at the Catch node, without retrying and without a duplicate task', async () => {
	// Slower than the client's timeout: started first, its 30 s run beside the other faults.
	sandbox.injectFault({ on: 'start', kind: 'slow', delayMs: 35000 });
	const slowStartedInSandbox = sandbox.waitFor('task-started');
	const slowErrorsBefore = errors().length;
	const slowT0 = Date.now();
	await red!.injectNode('go-slow');
	const slowTask = await slowStartedInSandbox;
	const slowError = nextError('start-slow', slowErrorsBefore, 90000);

	for (const { name, fault } of FAULTS) {
		const before = { errors: errors().length, started: started().length, starts: totals(sandbox).starts, active: sandbox.activeTasks().length };
		sandbox.injectFault({ on: 'start', ...fault } as ApiFault);
		const t0 = Date.now();
		await red!.injectNode('go');
		const error = await nextError('start', before.errors);
		const expected = coreError('start', name, error.code);
		expectTyped(error, expected);
		expect(sandbox.engine.faults.list()).toEqual([]); // consumed once: no second try
		expect(totals(sandbox).starts).toBe(before.starts); // nothing started, nothing repeated
		expect(sandbox.activeTasks()).toHaveLength(before.active);
		expect(started()).toHaveLength(before.started);
		table.push({ on: 'start', fault: name, tries: 1, ms: Date.now() - t0, code: error.code, kind: error.cause?.kind, retryable: error.cause?.retryable, mayHaveStarted: error.cause?.mayHaveStarted, message: error.message });
	}

	const error = await slowError;
	const expected = coreError('start', 'slow', error.code);
	expect(expected.kind).toBe('timeout');
	expectTyped(error, expected);
	expect(error.cause?.mayHaveStarted).toBe(true);
	// The sandbox did start that task (realistic: the answer was lost, not the request): exactly one.
	const fromSlowStart = (sandbox.engine.state() as { tasks: Array<{ taskId: string; startedAt: string }> }).tasks.filter(
		(t) => Date.parse(t.startedAt) >= slowT0,
	);
	expect(fromSlowStart.map((t) => t.taskId)).toEqual([slowTask.taskId]);
	expect(started().some((s) => s.task_id === slowTask.taskId)).toBe(false);
	table.push({ on: 'start', fault: 'slow (35 s > 30 s timeout)', tries: 1, ms: Date.now() - slowT0, code: error.code, kind: error.cause?.kind, retryable: error.cause?.retryable, mayHaveStarted: error.cause?.mayHaveStarted, message: error.message, tasksCreated: fromSlowStart.length });

	// A hidden task (core/hidden-tasks.ts): its first result carries the lost start's marker, and the
	// results node stops it. What the error advises (stop it by the task_id its results carry) is then harmless.
	const hidden = sandbox.task(slowTask.taskId)?.state !== 'running' ? sandbox.task(slowTask.taskId)! : await sandbox.waitFor('task-ended', (t) => t.taskId === slowTask.taskId, 30000);
	expect(hidden).toMatchObject({ state: 'stopped', endReason: 'stopped' });
	// Stopped once the answer was lost (its results until then went to the flow: a start still awaiting its answer).
	expect(Date.parse(hidden.endedAt!)).toBeGreaterThanOrEqual(slowT0 + 30000);
	const stoppedBefore = itemsAt(sink, '/stopped').length;
	await control('stop', slowTask.taskId);
	const [outcome] = (await waitForItems(sink, '/stopped', (all) => all.length > stoppedBefore)).slice(stoppedBefore);
	expect(outcome).toEqual({ task_id: slowTask.taskId, outcome: 'not_found', stopped: false, message: expect.stringMatching(/^Not found or already stopped/) });
});

it('turns every stop fault, after three tries, into a typed error at the Catch node; the stream keeps being tracked', async () => {
	const taskId = await startWith('go');
	expect(sandbox.activeTasks().map((t) => t.taskId)).toEqual([taskId]);
	for (const { name, fault } of FAULTS) {
		const before = { errors: errors().length, starts: totals(sandbox).starts, stops: totals(sandbox).stops };
		sandbox.injectFault({ on: 'stop', ...fault, times: 3 } as ApiFault);
		const t0 = Date.now();
		await red!.injectNode('halt');
		const error = await nextError('stop-all', before.errors);
		const expected = coreError('stop', name, error.code);
		expectTyped(error, expected);
		expect(expected.retryable).toBe(true);
		expect(sandbox.engine.faults.list()).toEqual([]); // all three tries happened…
		expect(sandbox.activeTasks().map((t) => t.taskId)).toEqual([taskId]); // …and no fourth
		expect(totals(sandbox).starts).toBe(before.starts);
		expect(totals(sandbox).stops).toBe(before.stops);
		table.push({ on: 'stop', fault: name, tries: 3, ms: Date.now() - t0, code: error.code, kind: error.cause?.kind, retryable: error.cause?.retryable, message: error.message });
	}
	// Still tracked: a plain "stop all" now stops it (its one-element array arrives flattened).
	const stoppedBefore = itemsAt(sink, '/stopped').length;
	await red!.injectNode('halt');
	const outcomes = (await waitForItems(sink, '/stopped', (all) => all.length > stoppedBefore)).slice(stoppedBefore);
	expect(outcomes).toEqual([{ task_id: taskId, outcome: 'stopped', stopped: true, message: expect.stringMatching(/^Stopped: /) }]);
	expect(sandbox.activeTasks()).toEqual([]);
});

it('reports a stop answered after the timeout three times as a timeout, and stops nothing twice', async () => {
	const { error, ms, taskId } = await slowStop;
	const expected = coreError('stop', 'slow', error.code);
	expect(expected.kind).toBe('timeout');
	expectTyped(error, expected);
	// The first try did stop the task (the answer was late, not the work); the retry found it gone.
	// Two tries, not three: two 30 s waits fill the stop's 60 s budget (core/retry.ts, STOP_BUDGET_MS).
	expect(slowSandbox.task(taskId)?.state).toBe('stopped');
	expect(totals(slowSandbox)).toEqual(expect.objectContaining({ starts: 1, stops: 1, notFoundStops: 1, activeTasks: 0 }));
	expect(ms).toBeLessThan(STOP_BUDGET_MS + 5000);
	table.push({ on: 'stop', fault: 'slow (35 s > 30 s timeout)', tries: 2, ms, code: error.code, kind: error.cause?.kind, retryable: error.cause?.retryable, message: error.message });
	// Still tracked, so it can be stopped again: the API now says it is not running.
	const stoppedBefore = itemsAt(sink, '/stopped').length;
	await control('stop-2', taskId);
	const [outcome] = (await waitForItems(sink, '/stopped', (all) => all.length > stoppedBefore)).slice(stoppedBefore);
	expect(outcome).toEqual({ task_id: taskId, outcome: 'not_found', stopped: false, message: expect.stringMatching(/^Not found or already stopped/) });
});

it('reports a stop whose answer was lost once as stopped: the retry hears "not found" because the first try stopped it', async () => {
	const { outcome, ms, taskId } = await lostAnswer;
	table.push({ on: 'stop', fault: 'slow once (answer lost, then "not found")', tries: 2, ms, outcome });
	expect(lostSandbox.task(taskId)?.state).toBe('stopped');
	expect(totals(lostSandbox)).toEqual(expect.objectContaining({ starts: 1, stops: 1, notFoundStops: 1, activeTasks: 0 }));
	// Not "not_found" (and with "fail when not running" on, not an error): this node did stop it.
	expect(outcome).toEqual({ task_id: taskId, outcome: 'stopped', stopped: true, message: expect.stringMatching(/^Stopped: /) });
});

it('keeps the same Node-RED process running, with no uncaught error in its log, and no duplicate task anywhere', async () => {
	expect(red!.pid()).toBe(pid);
	expect(crashLines(red!.logs())).toEqual([]);
	const all = [sandbox, slowSandbox, lostSandbox].flatMap((s) => (s.engine.state() as { tasks: Array<{ taskId: string }> }).tasks.map((t) => t.taskId));
	expect(new Set(all).size).toBe(all.length);
	expect(totals(sandbox)).toEqual(expect.objectContaining({ starts: 2, activeTasks: 0 }));
	recordReliability('api-faults-tasks', {
		sandbox: totals(sandbox),
		slowSandbox: totals(slowSandbox),
		lossySandbox: totals(lostSandbox),
		nodeRedPidUnchanged: red!.pid() === pid,
		statusTexts: [...new Set(itemsAt<{ id: string; text?: string }>(sink, '/status').filter((s) => /^(start|stop)/.test(s.id)).map((s) => s.text))],
	});
});

it('shows neither API key nor callback secret in logs, exported flows, statuses or errors', async () => {
	const sources = await leakSources(red!, sink, [{ scope: 'sandbox log', text: sandboxLog.join('\n') }]);
	await red!.stop();
	sources.push({ scope: 'Node-RED log (debug level, stdout and stderr)', text: red!.logs() });
	const hits = findSecrets(sources, [
		{ name: 'API key', value: KEY },
		{ name: 'API key (slow sandbox)', value: KEY_SLOW },
		{ name: 'API key (lossy sandbox)', value: KEY_LOST },
		{ name: 'results secret', value: SECRET },
	]);
	recordReliability('leaks', { test: 'api-faults (Node-RED 4.1)', ...leakSummary(sources, hits) });
	expect(hits).toEqual([]);
});
