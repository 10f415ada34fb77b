// Orphaned streams: 100 full redeploys of a real Node-RED, each with streams running (started by
// start nodes with "stop my streams on redeploy and shutdown" on), then a shutdown with streams
// running. Afterwards the sandbox must show no running task, and no task started or stopped twice.

import { Sandbox, startSandbox } from '../../../sandbox/src';
import { startSink, type Sink } from '../../../scripts/lib/sink';
import { recordReliability } from '../support/record';
import {
	NodeRed,
	batchToSink,
	catchToSink,
	crashLines,
	findSecrets,
	itemsAt,
	leakSources,
	leakSummary,
	packNodeRed,
	placed,
	startHost,
	statusToSink,
	toSink,
	waitForItems,
} from './support/host';
import { percentile, round } from './support/send';
import { endSuite } from '../../support/suite-end';

jest.setTimeout(5 * 60 * 1000);

const KEY = 'sk-rel-orphans-9a8b7c6d5e4f40312a1b2c3d4e5f6071';
const SECRET = 'rel-orphans-secret-Jk2Lm4Np6Qr8St0Uv1Wx3Yz5';
const REDEPLOYS = 100;

let work: string;
let tarball: string;
let sandbox: Sandbox;
let sink: Sink;
let red: NodeRed | undefined;
let pid: number | undefined;
const sandboxLog: string[] = [];
const leakExtra: Array<{ scope: string; text: string }> = [];

/** `keepCredentials`: leave them out, as the editor does when they did not change (else the account
 * counts as changed, and every node using it restarts). */
function flows(options: { withoutStartA?: boolean; startAName?: string; startBName?: string; keepCredentials?: boolean } = {}) {
	const start = (id: string) => ({
		id,
		type: 'memories-live-start',
		z: 'tab',
		name: (id === 'start-a' ? options.startAName : options.startBName) ?? id,
		config: 'acct',
		callbackMode: 'results',
		results: 'results',
		rtmpUrl: 'rtmp://camera.example.com/live/kitchen',
		userPrompt: 'Is the pan boiling over?',
		systemPrompt: '',
		thinking: false,
		maxDuration: 0,
		stopOnClose: true,
		wires: [[`to-started-${id.slice(-1)}`]],
	});
	const nodes = placed([
		{ id: 'tab', type: 'tab', label: 'orphans' },
		{ id: 'acct', type: 'memories-live-config', name: 'sandbox', baseUrl: sandbox.url, publicUrl: red!.baseUrl, credentials: { apiKey: KEY } },
		{ id: 'results', type: 'memories-live-results', z: 'tab', name: 'results', path: '/memories/orphans', emit: 'all', ignoreDuplicates: true, credentials: { secret: SECRET }, wires: [['out1'], ['out2']] },
		{ id: 'go-a', type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['start-a']] },
		start('start-a'),
		{ id: 'go-b', type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['start-b']] },
		start('start-b'),
		toSink('to-started-a', 'tab', `${sink.url}/started/a`),
		toSink('to-started-b', 'tab', `${sink.url}/started/b`),
		...batchToSink('out1', 'tab', `${sink.url}/results`, 500, 0.5),
		...batchToSink('out2', 'tab', `${sink.url}/ended`, 100, 0.5),
		...catchToSink('catch', 'tab', `${sink.url}/error`),
		...statusToSink('status', 'tab', `${sink.url}/status`),
	]);
	const kept = options.keepCredentials ? nodes.map(({ credentials: _credentials, ...node }) => node) : nodes;
	return options.withoutStartA ? kept.filter((n) => n.id !== 'start-a' && n.id !== 'go-a') : kept;
}

const started = (node: 'a' | 'b') => itemsAt<{ task_id: string }>(sink, `/started/${node}`).map((s) => s.task_id);
const allStarted = () => [...started('a'), ...started('b')];

/** Starts `a` streams with start node A and `b` with B; resolves with their task ids, A's first. */
async function startStreams(a: number, b: number): Promise<string[]> {
	const before = { a: started('a').length, b: started('b').length };
	for (let i = 0; i < a; i++) await red!.injectNode('go-a');
	for (let i = 0; i < b; i++) await red!.injectNode('go-b');
	const fromA = (await waitForItems(sink, '/started/a', (all) => all.length >= before.a + a)).slice(before.a);
	const fromB = (await waitForItems(sink, '/started/b', (all) => all.length >= before.b + b)).slice(before.b);
	const ids = [...fromA, ...fromB].map((s) => s.task_id);
	// Each stream is live: its results reach the results node (redeploys happen under traffic).
	await Promise.all(
		ids.map((id) => (sandbox.deliveries({ taskId: id }).some((d) => d.ok) ? undefined : sandbox.waitFor('delivery', (d) => d.taskId === id && d.ok))),
	);
	return ids;
}

beforeAll(async () => {
	({ work, tarball } = packNodeRed());
	sandbox = await startSandbox({ intervalMs: 25, keys: [KEY], log: (line) => sandboxLog.push(line) });
	sink = await startSink();
	red = await startHost({ tarball, version: '4.1', logLevel: 'trace' });
	await red.deploy(flows());
	pid = red.pid();
});

afterAll(async () => {
	await red?.stop();
	await endSuite({ sandboxes: [sandbox], close: [sink], work });
});

it(`stops every running stream on each of ${REDEPLOYS} full redeploys, and starts nothing twice`, async () => {
	const problems: string[] = [];
	const deployMs: number[] = [];
	const startedIds: string[] = [];
	let maxRunning = 0;
	const t0 = Date.now();
	for (let i = 0; i < REDEPLOYS; i++) {
		// 1 to 3 streams from start node A, and every fourth round one more from B (at most 4 per key).
		const ids = await startStreams(1 + (i % 3), i % 4 === 3 ? 1 : 0);
		startedIds.push(...ids);
		const running = sandbox.activeTasks(KEY).map((t) => t.taskId);
		maxRunning = Math.max(maxRunning, running.length);
		if (running.length !== ids.length || !ids.every((id) => running.includes(id))) {
			problems.push(`round ${i}: running ${running.length}, just started ${ids.length}`);
		}
		const d0 = Date.now();
		await red!.deploy(flows(), { type: 'full' });
		deployMs.push(Date.now() - d0);
		const left = sandbox.activeTasks(KEY);
		if (left.length > 0) problems.push(`round ${i}: ${left.length} task(s) still running after the redeploy`);
		for (const id of ids) if (sandbox.task(id)?.endReason !== 'stopped') problems.push(`round ${i}: ${id} is ${sandbox.task(id)?.state}`);
	}
	const totals = (sandbox.engine.state() as { totals: Record<string, number> }).totals;
	const diagnostics = await red!.admin('GET', '/diagnostics');
	recordReliability('orphans-redeploys', {
		nodeRed: red!.version,
		node: red!.nodeVersion,
		redeploys: REDEPLOYS,
		streamsStarted: startedIds.length,
		maxRunningAtOnce: maxRunning,
		sandboxStarts: totals.starts,
		sandboxStops: totals.stops,
		sandboxRejectedStarts: totals.rejectedStarts,
		secondStops: totals.notFoundStops,
		runningAfter: sandbox.activeTasks().length,
		callbacksDelivered: totals.delivered,
		callbacksFailedDuringRedeploys: totals.failed,
		seconds: round((Date.now() - t0) / 1000),
		deployMs: { p50: percentile(deployMs, 0.5), p99: percentile(deployMs, 0.99), max: Math.max(...deployMs) },
		nodeRedMemoryAfter: diagnostics.json?.runtime?.memory ?? diagnostics.json?.os?.memory,
		problems: problems.slice(0, 20),
	});
	expect(problems).toEqual([]);
	expect(new Set(startedIds).size).toBe(startedIds.length);
	expect(totals).toEqual(expect.objectContaining({ starts: startedIds.length, rejectedStarts: 0, stops: startedIds.length, notFoundStops: 0, activeTasks: 0 }));
	expect(maxRunning).toBe(4);
	expect(red!.pid()).toBe(pid);
});

it('stops the streams of a start node changed by a "modified nodes" deploy, and only those', async () => {
	const problems: string[] = [];
	for (let i = 0; i < 10; i++) {
		const [a1, a2, b] = await startStreams(2, 1);
		// Only start node A changed: its streams stop, B's keep running (and are not stopped twice).
		await red!.deploy(flows({ startAName: `start-a edited ${i}`, startBName: i > 0 ? `start-b edited ${i - 1}` : undefined, keepCredentials: true }), { type: 'nodes' });
		for (const id of [a1, a2]) if (sandbox.task(id)?.endReason !== 'stopped') problems.push(`round ${i}: ${id} of A is ${sandbox.task(id)?.state}`);
		if (sandbox.task(b)?.state !== 'running') problems.push(`round ${i}: ${b} of B is ${sandbox.task(b)?.state}`);
		// Now only B changes.
		await red!.deploy(flows({ startAName: `start-a edited ${i}`, startBName: `start-b edited ${i}`, keepCredentials: true }), { type: 'nodes' });
		if (sandbox.task(b)?.endReason !== 'stopped') problems.push(`round ${i}: ${b} of B is ${sandbox.task(b)?.state} after B changed`);
		if (sandbox.activeTasks().length > 0) problems.push(`round ${i}: ${sandbox.activeTasks().length} running`);
	}
	const totals = (sandbox.engine.state() as { totals: Record<string, number> }).totals;
	recordReliability('orphans-modified-nodes-deploys', { deploys: 20, problems, sandboxStarts: totals.starts, sandboxStops: totals.stops, secondStops: totals.notFoundStops });
	expect(problems).toEqual([]);
	expect(totals).toEqual(expect.objectContaining({ stops: totals.starts, notFoundStops: 0, activeTasks: 0 }));
	await red!.deploy(flows(), { type: 'full' });
});

it('retries a failed stop on redeploy, and stops a stream whose stops failed at the next redeploy', async () => {
	const [once] = await startStreams(1, 0);
	sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000 }); // the first try fails, the second succeeds
	await red!.deploy(flows(), { type: 'full' });
	expect(sandbox.task(once)?.endReason).toBe('stopped');

	const [twice] = await startStreams(1, 0);
	sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 1000 }); // every try within this close window fails
	const logFrom = red!.logOffset();
	await red!.deploy(flows(), { type: 'full' });
	expect(sandbox.task(twice)?.state).toBe('running');
	const [line] = await red!.waitForLog(new RegExp(`\\[error\\].*Could not stop stream ${twice} while closing`), { from: logFrom });
	sandbox.clearFaults();
	// Still remembered: the next redeploy stops it.
	await red!.deploy(flows(), { type: 'full' });
	recordReliability('orphans-failed-stops', { firstTryFailed: sandbox.task(once)?.endReason, bothTriesFailed: 'still running, reported', nextRedeploy: sandbox.task(twice)?.endReason, reported: line.replace(/^.*\[error\] /, '') });
	expect(sandbox.task(twice)?.endReason).toBe('stopped');
	expect(sandbox.activeTasks()).toEqual([]);
});

/** Injects `inject` with the sandbox holding the start's answer back; resolves once the task exists. */
async function startAnsweredLate(inject: string, delayMs: number) {
	sandbox.injectFault({ on: 'start', kind: 'slow', delayMs });
	const created = sandbox.waitFor('task-started');
	await red!.injectNode(inject);
	return created;
}

const endOf = (taskId: string, timeoutMs = 15000) =>
	sandbox.task(taskId)?.state !== 'running' ? Promise.resolve(sandbox.task(taskId)!) : sandbox.waitFor('task-ended', (t) => t.taskId === taskId, timeoutMs);

it('stops a stream whose start was still waiting for its answer when the node was redeployed', async () => {
	const task = await startAnsweredLate('go-a', 1000);
	await red!.deploy(flows(), { type: 'full' }); // closes start-a before the answer arrives
	const ended = await endOf(task.taskId);
	recordReliability('orphans-start-in-flight', { on: 'full redeploy', startAnswerDelayMs: 1000, endReason: ended.endReason, stoppedAfterMs: Date.parse(ended.endedAt!) - Date.parse(ended.startedAt) });
	expect(ended.endReason).toBe('stopped');
	expect(sandbox.activeTasks()).toEqual([]);
});

it('stops a stream whose start was still waiting for its answer when its start node was deleted', async () => {
	const task = await startAnsweredLate('go-a', 1000);
	await red!.deploy(flows({ withoutStartA: true }), { type: 'full' });
	const ended = await endOf(task.taskId);
	recordReliability('orphans-start-in-flight', { on: 'start node deleted', startAnswerDelayMs: 1000, endReason: ended.endReason, stoppedAfterMs: Date.parse(ended.endedAt!) - Date.parse(ended.startedAt) });
	expect(ended.endReason).toBe('stopped');
	expect(sandbox.activeTasks()).toEqual([]);
	await red!.deploy(flows(), { type: 'full' });
});

it('stops every running stream on shutdown (SIGTERM), and one whose start is still waiting for its answer', async () => {
	const ids = await startStreams(2, 1);
	const late = await startAnsweredLate('go-a', 1000);
	ids.push(late.taskId);
	expect(sandbox.activeTasks(KEY)).toHaveLength(4);
	leakExtra.push(...(await leakSources(red!, sink)));
	const stop = await red!.stop({ signal: 'SIGTERM' });
	const totals = (sandbox.engine.state() as { totals: Record<string, number> }).totals;
	recordReliability('orphans-shutdown', {
		streamsRunningAtShutdown: ids.length,
		shutdownMs: stop.ms,
		exitCode: stop.code,
		killed: stop.killed,
		runningAfter: sandbox.activeTasks().length,
		sandboxStarts: totals.starts,
		sandboxStops: totals.stops,
		secondStops: totals.notFoundStops,
	});
	expect(stop.killed).toBe(false);
	expect(sandbox.activeTasks()).toEqual([]);
	for (const id of ids) expect(sandbox.task(id)?.endReason).toBe('stopped');
	expect(totals).toEqual(expect.objectContaining({ starts: totals.stops, notFoundStops: 0, rejectedStarts: 0 }));
	expect(crashLines(red!.logs())).toEqual([]);
	// The only error logged is the one the failed-stops test provoked.
	expect(red!.logs().split('\n').filter((l) => /\[error\]/.test(l) && !/Could not stop stream/.test(l))).toEqual([]);
	expect(itemsAt(sink, '/error')).toEqual([]);
});

it('shows neither API key nor callback secret in logs, exported flows, statuses or errors', () => {
	const sources = [...leakExtra, { scope: 'sandbox log', text: sandboxLog.join('\n') }, { scope: 'Node-RED log (trace level, stdout and stderr)', text: red!.logs() }];
	const hits = findSecrets(sources, [
		{ name: 'API key', value: KEY },
		{ name: 'results secret', value: SECRET },
	]);
	recordReliability('leaks', { test: 'orphans (Node-RED 4.1)', ...leakSummary(sources, hits) });
	expect(hits).toEqual([]);
});

