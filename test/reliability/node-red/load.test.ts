// Load: 10,000 valid callbacks at about 500 per second into a real Node-RED results node (Node-RED's
// defaults: the editor API shares the root). Counted where they leave the results node (a join
// node batches them to the sink, so the sink is not the bottleneck): 0 lost, 0 duplicated.
import fs from 'fs';

import { analysisText } from '../../../sandbox/src';
import { startSink, type Sink } from '../../../scripts/lib/sink';
import { recordReliability } from '../support/record';
import { ExpectedResult, FuzzCase, resultKey } from '../support/fuzz';
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
	waitForItems,
} from './support/host';
import { percentile, round, sendPaced } from './support/send';

jest.setTimeout(5 * 60 * 1000);

const CALLBACKS = Number(process.env.RELIABILITY_LOAD_CALLBACKS ?? 10000);
const RATE = Number(process.env.RELIABILITY_LOAD_RATE ?? 500);
const STREAMS = 100; // the callbacks of 100 streams, interleaved as they would arrive
const KEY = 'sk-rel-load-6c5d4e3f2a1b40c9d8e7f6a5b4c3d2e1';
const SECRET = 'rel-load-secret-Pq7Rs9Tu1Vw3Xy5Za7Bc9De1';
const ROUTE = '/memories/load';

let work: string;
let tarball: string;
let sink: Sink;
let red: NodeRed | undefined;
let pid: number | undefined;

beforeAll(async () => {
	({ work, tarball } = packNodeRed());
	sink = await startSink();
	red = await startHost({ tarball, version: '4.1' });
	await red.deploy(
		placed([
			{ id: 'tab', type: 'tab', label: 'load' },
			{ id: 'acct', type: 'memories-live-config', name: 'unused account', baseUrl: 'http://127.0.0.1:9', publicUrl: red.baseUrl, credentials: { apiKey: KEY } },
			{ id: 'results', type: 'memories-live-results', z: 'tab', name: 'results', path: ROUTE, emit: 'all', ignoreDuplicates: true, credentials: { secret: SECRET }, wires: [['out1'], ['out2']] },
			...batchToSink('out1', 'tab', `${sink.url}/out1`, 500, 0.25),
			...batchToSink('out2', 'tab', `${sink.url}/out2`, 100, 0.25),
			...catchToSink('catch', 'tab', `${sink.url}/error`),
			...statusToSink('status', 'tab', `${sink.url}/status`),
		]),
	);
	pid = red.pid();
});

afterAll(async () => {
	await red?.stop();
	await sink?.close();
	if (work) fs.rmSync(work, { recursive: true, force: true });
});

it(`takes ${CALLBACKS} valid callbacks at ${RATE}/s: none lost, none duplicated`, async () => {
	const t0 = Date.UTC(2026, 0, 1);
	const cases: FuzzCase[] = Array.from({ length: CALLBACKS + 1 }, (_, n) => {
		const last = n === CALLBACKS; // one more, after all the others were answered: the barrier
		const stream = n % STREAMS;
		const frame = Math.floor(n / STREAMS) + 1;
		const result: ExpectedResult = {
			event: 'result',
			task_id: last ? 'load-last' : `load-stream-${stream}`,
			status: 0,
			text: analysisText('Is the pan boiling over?', frame),
			timestamp: new Date(t0 + frame * 5000).toISOString(),
			ended: false,
		};
		const body = { status: 0, task_id: result.task_id, data: { text: result.text, timestamp: result.timestamp } };
		return {
			n,
			category: 'valid',
			variant: 'load',
			target: 'results',
			method: 'POST',
			path: `${ROUTE}?token=${SECRET}`,
			headers: { 'content-type': 'application/json', 'user-agent': 'memories-ai-sandbox' },
			body: Buffer.from(JSON.stringify(body)),
			verdict: { kind: 'accept', result },
		};
	});
	const barrier = cases.pop()!;
	const run = await sendPaced(red!.baseUrl, cases, RATE, 32);
	const last = await sendPaced(red!.baseUrl, [barrier], 1, 1);
	expect(last.answers[0].status).toBe(200);
	await waitForItems(sink, '/out1', (items) => items.some((i) => i.task_id === 'load-last'), 60000);
	const statuses = await waitForItems<{ id: string; text: string }>(sink, '/status', (items) =>
		items.some((s) => s.id === 'results' && s.text.startsWith(`${CALLBACKS + 1} results,`)),
	);

	const delivered = new Map<string, number>();
	for (const item of itemsAt<ExpectedResult>(sink, '/out1')) delivered.set(resultKey(item), (delivered.get(resultKey(item)) ?? 0) + 1);
	const lost = cases.filter((c) => c.verdict.kind === 'accept' && !delivered.has(resultKey(c.verdict.result))).length;
	const duplicated = [...delivered.values()].reduce((sum, count) => sum + count - 1, 0);
	const notOk = run.answers.filter((a) => a.status !== 200);
	const latencies = run.answers.map((a) => a.ms);
	recordReliability('load', {
		nodeRed: red!.version,
		node: red!.nodeVersion,
		editorApiAt: '/',
		callbacks: CALLBACKS,
		targetRatePerSecond: RATE,
		achievedRatePerSecond: round((CALLBACKS * 1000) / run.sendMs),
		answeredRatePerSecond: round((CALLBACKS * 1000) / run.totalMs),
		seconds: round(run.totalMs / 1000, 2),
		connections: run.connections,
		maxInFlight: run.maxInFlight,
		latencyMs: {
			p50: round(percentile(latencies, 0.5), 2),
			p90: round(percentile(latencies, 0.9), 2),
			p99: round(percentile(latencies, 0.99), 2),
			max: round(Math.max(...latencies), 2),
		},
		answersNot200: notOk.length,
		delivered: delivered.size - 1,
		lost,
		duplicated,
		endedOutput: itemsAt(sink, '/out2').length,
		resultsNodeStatus: statuses.filter((s) => s.id === 'results').pop()?.text,
		statusUpdates: statuses.filter((s) => s.id === 'results').length,
	});
	expect(notOk).toEqual([]);
	expect(lost).toBe(0);
	expect(duplicated).toBe(0);
	expect(delivered.size).toBe(CALLBACKS + 1);
	expect(itemsAt(sink, '/out2')).toEqual([]);
	expect(itemsAt(sink, '/error')).toEqual([]);
});

it('keeps the same Node-RED process running, with no uncaught error in its log', async () => {
	expect(red!.pid()).toBe(pid);
	expect(crashLines(red!.logs())).toEqual([]);
});

it('shows neither API key nor callback secret in logs, exported flows or statuses', async () => {
	const sources = await leakSources(red!, sink);
	await red!.stop();
	sources.push({ scope: 'Node-RED log (stdout and stderr)', text: red!.logs() });
	const hits = findSecrets(sources, [
		{ name: 'API key', value: KEY },
		{ name: 'results secret', value: SECRET },
	]);
	recordReliability('leaks', { test: 'load (Node-RED 4.1)', ...leakSummary(sources, hits) });
	expect(hits).toEqual([]);
});
