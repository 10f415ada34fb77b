// Variants of the service against a real Node-RED (4.1 and 5, in America/New_York, the editor API
// at the same root): thousands of callbacks in the sandbox's delivery variants (all read, none
// lost, times in UTC), every redirect on start and stop (nothing started, the key sent nowhere
// else), Retry-After in both forms within the stop's budget and the close window, and starts whose
// answer was lost (their tasks stopped by their first result). Figures go to RELIABILITY.md.
import { Sandbox, startSandbox } from '../../../sandbox/src';
import { Sink, startSink } from '../../../scripts/lib/sink';
import { recordReliability } from '../support/record';
import { deliveryFigures, sendVariantCases, variantCases } from '../support/variants';
import { NodeRed, batchToSink, catchToSink, crashLines, itemsAt, nodeRedHost, packNodeRed, placed, toSink, waitForItems } from './support/host';
import { endSuite } from '../../support/suite-end';

jest.setTimeout(10 * 60 * 1000);

const TZ = 'America/New_York';
const KEY = 'sk-rel-variants-6c1f0e9d8b7a4c3e2d1f0a9b8c7d6e5f';
const SECRET = 'rel-variants-secret-Hq7xV2mN9pL4tR1yW8sK3dJ6';
const ROUTE = '/memories/variants';
const SEED = Number(process.env.RELIABILITY_SEED ?? 20251125);
const CALLBACKS = Number(process.env.RELIABILITY_VARIANT_CALLBACKS ?? 2000);

let packed: { work: string; tarball: string };
let sandbox: Sandbox;
let sink: Sink;

beforeAll(async () => {
	packed = packNodeRed();
	sandbox = await startSandbox({ intervalMs: 200, keys: [KEY] });
	sink = await startSink();
});
afterAll(() => endSuite({ sandboxes: [sandbox], close: [sink] }));

function flows(publicUrl: string) {
	const z = 'variants';
	return placed([
		{ id: z, type: 'tab', label: 'variants' },
		{ id: 'account', type: 'memories-live-config', name: 'sandbox', baseUrl: sandbox.url, publicUrl, credentials: { apiKey: KEY } },
		{ id: 'results', type: 'memories-live-results', z, path: ROUTE, emit: 'all', ignoreDuplicates: true, config: 'account', credentials: { secret: SECRET }, wires: [['results-out'], ['ended-out']] },
		...batchToSink('results-out', z, `${sink.url}/result`),
		...batchToSink('ended-out', z, `${sink.url}/ended`),
		{ id: 'go', type: 'inject', z, props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['start']] },
		{ id: 'start', type: 'memories-live-start', z, config: 'account', callbackMode: 'results', results: 'results', rtmpUrl: 'rtmp://camera.example.com/live/door', userPrompt: 'Who is at the door?', systemPrompt: '', thinking: false, maxDuration: 0, stopOnClose: true, wires: [['started-out']] },
		toSink('started-out', z, `${sink.url}/started`),
		{ id: 'halt', type: 'inject', z, props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['stop']] },
		{ id: 'stop', type: 'memories-live-stop', z, config: 'account', target: 'all', failIfNotFound: false, wires: [['stopped-out']] },
		toSink('stopped-out', z, `${sink.url}/stopped`),
		...catchToSink('catch', z, `${sink.url}/error`),
	]);
}

describe.each([{ version: '4.1' as const }, { version: '5' as const }])('Node-RED $version', ({ version }) => {
	let red: NodeRed;
	const record = (part: string, data: Record<string, unknown>) => recordReliability(`variants-${part}`, { host: 'node-red', nodeRed: red.version, node: red.nodeVersion, case: `Node-RED ${red.version}`, ...data });
	const errors = () => itemsAt<{ message: string; cause?: Record<string, unknown>; source: { type: string } }>(sink, '/error');
	const failedStart = async () => {
		const before = errors().length;
		await red.injectNode('go');
		return (await waitForItems(sink, '/error', (items) => items.length > before))[before];
	};

	beforeAll(async () => {
		sink.clear();
		sandbox.reset();
		red = await nodeRedHost.startNodeRed({ version, tarballs: [packed.tarball], httpNodeRoot: '/', httpAdminRoot: '/', env: { TZ } });
		await red.deploy(flows(red.baseUrl));
	});
	afterAll(async () => {
		await red?.stop();
	});

	it(`reads ${CALLBACKS} callbacks in every delivery variant and mixes of up to four: all answered 200, each emitted once as sent`, async () => {
		const cases = variantCases({ seed: SEED, count: CALLBACKS, callbackPath: `${ROUTE}?token=${SECRET}`, baseTime: Date.UTC(2025, 9, 22, 12) });
		const started = Date.now();
		const statuses = await sendVariantCases(red.baseUrl, cases, 8);
		const ms = Date.now() - started;
		const results = cases.filter((c) => !c.expected.ended);
		const ends = cases.filter((c) => c.expected.ended);
		await waitForItems(sink, '/result', (items) => items.length >= results.length, 60_000);
		await waitForItems(sink, '/ended', (items) => items.length >= ends.length, 60_000);
		const emitted = new Map([...itemsAt(sink, '/result'), ...itemsAt(sink, '/ended')].map((item: { task_id: string }) => [item.task_id, item]));
		const { figures, notAsSent } = deliveryFigures(cases, statuses, emitted, ms);
		record('deliveries', { seed: SEED, hostTimeZone: TZ, ...figures });
		expect(statuses.filter((s) => s !== 200)).toEqual([]);
		expect(notAsSent.map((c) => c.variants.join('+'))).toEqual([]);
		expect(emitted.size).toBe(cases.length);
		expect(red.logs()).not.toMatch(/Refused a callback/);
		expect(crashLines(red.logs())).toEqual([]);
	});

	it('every redirect on start and stop is an error that says so: nothing started, the key sent to no other origin', async () => {
		const rows: Array<Record<string, unknown>> = [];
		for (const httpStatus of [301, 302, 303, 307, 308]) {
			for (const to of ['other_port', 'localhost'] as const) {
				sandbox.injectFault({ on: 'start', kind: 'redirect', httpStatus, to });
				const error = await failedStart();
				rows.push({ operation: 'start', httpStatus, to, kind: error.cause?.kind, mayHaveStarted: error.cause?.mayHaveStarted, saysRedirect: /a redirect to http/.test(error.message) });
			}
		}
		await red.injectNode('go');
		await waitForItems(sink, '/started', (items) => items.length > 0);
		for (const httpStatus of [301, 307, 308]) {
			sandbox.injectFault({ on: 'stop', kind: 'redirect', httpStatus, to: 'localhost' });
			const before = errors().length;
			await red.injectNode('halt');
			const error = (await waitForItems(sink, '/error', (items) => items.length > before))[before];
			rows.push({ operation: 'stop', httpStatus, to: 'localhost', kind: error.cause?.kind, mayHaveStarted: error.cause?.mayHaveStarted, saysRedirect: /a redirect to http/.test(error.message) });
		}
		sandbox.clearFaults();
		const beforeHalt = itemsAt(sink, '/stopped').length;
		await red.injectNode('halt');
		await waitForItems(sink, '/stopped', (items) => items.length > beforeHalt);
		const foreign = sandbox.foreignRequests();
		record('redirects', { cases: rows.length, foreignRequests: foreign.length, foreignWithKey: foreign.filter((r) => r.authorization).length, tasksStartedByRedirects: 0, table: rows });
		expect(rows.filter((r) => r.operation === 'start').every((r) => r.kind === 'redirect' && r.mayHaveStarted === false && r.saysRedirect)).toBe(true);
		expect(rows.filter((r) => r.operation === 'stop').every((r) => r.kind === 'redirect' && r.saysRedirect)).toBe(true);
		expect(foreign).toEqual([]);
		expect(sandbox.activeTasks()).toEqual([]);
	});

	it('Retry-After is honoured, in seconds and as an HTTP-date, within the stop’s budget and the close window', async () => {
		const rows: Array<Record<string, unknown>> = [];
		for (const form of ['seconds', 'date'] as const) {
			for (const seconds of [1, 3]) {
				await red.injectNode('go');
				await waitForItems(sink, '/started', () => sandbox.activeTasks().length === 1);
				sandbox.injectFault({ on: 'stop', kind: 'http429', retryAfter: seconds, retryAfterForm: form });
				const before = itemsAt(sink, '/stopped').length;
				await red.injectNode('halt');
				await waitForItems(sink, '/stopped', (items) => items.length > before);
				const [limited, next] = sandbox.apiRequests().filter((r) => r.operation === 'stop').slice(-2);
				rows.push({ where: 'stop node', form, retryAfterS: seconds, waitedMs: next.receivedAt - limited.answeredAt, stopped: next.httpStatus === 200 });
			}
		}
		// The close window (a redeploy): a 3 s Retry-After still fits, the stream is stopped in it.
		await red.injectNode('go');
		await waitForItems(sink, '/started', () => sandbox.activeTasks().length === 1);
		const [task] = sandbox.activeTasks();
		sandbox.injectFault({ on: 'stop', kind: 'http429', retryAfter: 3 });
		const deployStarted = Date.now();
		await red.deploy(flows(red.baseUrl));
		const [limited, next] = sandbox.apiRequests().filter((r) => r.operation === 'stop').slice(-2);
		rows.push({ where: 'redeploy (close window)', form: 'seconds', retryAfterS: 3, waitedMs: next.receivedAt - limited.answeredAt, stopped: sandbox.task(task.taskId)!.state === 'stopped', redeployMs: Date.now() - deployStarted });
		record('retry-after', { table: rows });
		for (const row of rows) {
			expect(row.stopped).toBe(true);
			expect(row.waitedMs as number).toBeGreaterThanOrEqual((row.retryAfterS as number) * 1000 - (row.form === 'date' ? 1000 : 100));
		}
		expect(rows.at(-1)!.redeployMs as number).toBeLessThan(15000);
		expect(sandbox.activeTasks()).toEqual([]);
	});

	it('starts whose answer was lost: each hidden task is stopped by its first result, none reaches the flow', async () => {
		expect(sandbox.activeTasks()).toEqual([]);
		const LOST = 5;
		const since = Date.now();
		const resultsBefore = itemsAt(sink, '/result').length;
		const hidden: string[] = [];
		const onStarted = (task: { taskId: string }) => void hidden.push(task.taskId);
		sandbox.engine.on('task-started', onStarted);
		let lost = 0;
		try {
			// One after the other: the key runs at most 4 streams, and each hidden one bills until its first result.
			for (let i = 0; i < LOST; i++) {
				sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
				const error = await failedStart();
				if (error.cause?.mayHaveStarted === true) lost++;
				const taskId = hidden[i];
				if (taskId !== undefined && sandbox.task(taskId)!.state === 'running') await sandbox.waitFor('task-ended', (t) => t.taskId === taskId, 30_000);
			}
		} finally {
			sandbox.engine.off('task-started', onStarted);
			sandbox.clearFaults();
		}
		const ended = await Promise.all(
			hidden.map((taskId) => (sandbox.task(taskId)!.state === 'running' ? sandbox.waitFor('task-ended', (t) => t.taskId === taskId, 30_000) : Promise.resolve(sandbox.task(taskId)!))),
		);
		const reachedFlow = itemsAt<{ task_id: string }>(sink, '/result').slice(resultsBefore).filter((item) => hidden.includes(item.task_id)).length;
		// Each start the sandbox handled before dropping its answer left a hidden task.
		const handled = sandbox.apiRequests().filter((r) => r.operation === 'start' && r.fault === 'reset' && r.receivedAt >= since).length;
		record('lost-starts', { lostStarts: lost, handledByTheService: handled, hiddenTasks: hidden.length, stoppedByTheirFirstResult: ended.filter((t) => t.endReason === 'stopped').length, resultsReachingTheFlow: reachedFlow, runningAfter: sandbox.activeTasks().length });
		expect(lost).toBe(LOST);
		expect(hidden.length).toBe(handled);
		expect(handled).toBeGreaterThan(0);
		expect(ended.every((t) => t.endReason === 'stopped')).toBe(true);
		expect(reachedFlow).toBe(0);
		expect(sandbox.activeTasks()).toEqual([]);
	});

});
