// Fuzzed callbacks against a real Node-RED: at least 10,000 malformed requests to a results node
// (every category of the issue), interleaved with valid callbacks, over keep-alive connections.
// Nothing malformed or unauthenticated may reach the flow, every valid callback arrives once, the
// host stays up, and no secret shows up where it does not belong.
import { createHash } from 'crypto';
import fs from 'fs';

import { Pool } from 'undici';

import { startSink, type Sink } from '../../../scripts/lib/sink';
import { recordReliability } from '../support/record';
import { ExpectedResult, FuzzCase, FuzzPlan, Refusal, planFuzz, resultKey } from '../support/fuzz';
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
import { Answer, percentile, round, sendHttp, sendWithConcurrency } from './support/send';

jest.setTimeout(5 * 60 * 1000);

const SEED = Number(process.env.RELIABILITY_SEED ?? 20260515);
const derive = (label: string) => createHash('sha256').update(`${label}-${SEED}`).digest('base64url');
const KEY = `sk-rel-fuzz-${derive('key').slice(0, 24)}`;
const SECRET = derive('results-secret'); // 43 characters, like the ones the editor generates
const ROUTE = '/memories/fuzz';

let work: string;
let tarball: string;

beforeAll(() => {
	({ work, tarball } = packNodeRed());
});

afterAll(() => {
	if (work) fs.rmSync(work, { recursive: true, force: true });
});

function flows(sinkUrl: string) {
	return placed([
		{ id: 'tab', type: 'tab', label: 'fuzz' },
		{ id: 'account', type: 'memories-live-config', name: 'unused account', baseUrl: 'http://127.0.0.1:9', publicUrl: '', credentials: { apiKey: KEY } },
		{
			id: 'results',
			type: 'memories-live-results',
			z: 'tab',
			name: 'fuzzed results',
			path: ROUTE,
			emit: 'all',
			ignoreDuplicates: true,
			credentials: { secret: SECRET },
			wires: [['out1'], ['out2']],
		},
		...batchToSink('out1', 'tab', `${sinkUrl}/out1`),
		...batchToSink('out2', 'tab', `${sinkUrl}/out2`),
		...statusToSink('status', 'tab', `${sinkUrl}/status`),
		...catchToSink('catch', 'tab', `${sinkUrl}/error`),
	]);
}

/** What a results node answers for each reason to refuse (Node-RED's own HTTP parser for raw HTTP). */
const ANSWERS: Record<Refusal, number[]> = {
	secret: [401],
	unreadable: [400],
	too_large: [413],
	media_type: [415],
	method: [405],
	not_found: [404],
	http_syntax: [400],
	headers_too_large: [431],
};

/** The answers a case must get; none for a request the client abandons. */
function expectedAnswers(c: FuzzCase, editorAnswersOptions: boolean): number[] {
	switch (c.verdict.kind) {
		case 'accept':
		case 'replay':
			return [200];
		case 'abort':
			return [];
		default:
			// Node-RED 4's editor API, when it shares the root, answers every OPTIONS itself (its CORS layer).
			return c.method === 'OPTIONS' && editorAnswersOptions ? [204] : ANSWERS[c.verdict.because];
	}
}

describe.each([
	// Our own body reader: the editor API lives elsewhere, every request reaches the results node.
	{ version: '4.1' as const, httpAdminRoot: '/admin', malformed: 10000, valid: 2500, aborts: 100 },
	// Node-RED's defaults: the editor API shares the root and parses JSON bodies before any node; on
	// Node-RED 4 its CORS layer also answers every OPTIONS (204, no body) before any node sees it.
	{ version: '4.1' as const, httpAdminRoot: '/', malformed: 2000, valid: 500, aborts: 20 },
	{ version: '5' as const, httpAdminRoot: '/', malformed: 2000, valid: 500, aborts: 20 },
])('Node-RED $version, editor API at $httpAdminRoot', ({ version, httpAdminRoot, malformed, valid, aborts }) => {
	let red: NodeRed | undefined;
	let sink: Sink;
	let pid: number | undefined;
	const tag = `${version.replace('.', '')}${httpAdminRoot === '/' ? 'e' : ''}`;
	const editorAnswersOptions = version === '4.1' && httpAdminRoot === '/';
	let plan: FuzzPlan;
	let answers: Answer[] = [];

	beforeAll(async () => {
		plan = planFuzz({
			host: 'node-red',
			seed: SEED,
			malformed,
			valid,
			replays: valid / 20,
			clientAborts: aborts,
			targets: [{ name: 'results', path: ROUTE, secret: SECRET }],
			tag,
		});
		sink = await startSink();
		red = await startHost({ tarball, version, httpAdminRoot, httpNodeRoot: '/' });
		await red.deploy(flows(sink.url));
		pid = red.pid();
	});

	afterAll(async () => {
		await red?.stop();
		await sink?.close();
		plan = undefined as unknown as FuzzPlan; // ~150 MB of request bodies
		answers = [];
	});

	it('answers every malformed request with a 4xx, delivers every valid callback exactly once, and lets nothing else into the flow', async () => {
		const origin = red!.baseUrl;
		const run = await sendWithConcurrency(origin, plan.cases, 16);
		answers = run.answers;
		// A last valid callback: once it is out of the results node, everything sent before it is too.
		const sentinelResult: ExpectedResult = { event: 'result', task_id: `sentinel-${tag}`, status: 0, text: 'last one', timestamp: '2030-01-01T00:00:00.000Z', ended: false };
		const sentinel: FuzzCase = {
			n: plan.cases.length,
			category: 'valid',
			variant: 'sentinel',
			target: 'results',
			method: 'POST',
			path: `${ROUTE}?token=${SECRET}`,
			headers: { 'content-type': 'application/json' },
			body: Buffer.from(JSON.stringify({ status: 0, task_id: sentinelResult.task_id, data: { text: 'last one', timestamp: '2030-01-01T00:00:00Z' } })),
			verdict: { kind: 'accept', result: sentinelResult },
		};
		const pool = new Pool(origin, { connections: 1 });
		expect((await sendHttp(pool, sentinel)).status).toBe(200);
		await pool.close();
		await waitForItems(sink, '/out1', (items) => items.some((i) => i.task_id === `sentinel-${tag}`));
		const statusSeen = await waitForItems<{ id: string; text: string }>(sink, '/status', (items) =>
			items.some((s) => s.id === 'results' && s.text.startsWith(`${plan.counts.valid + 1} ok,`)),
		);

		// Answers.
		const histogram: Record<string, Record<string, number>> = {};
		const wrongAnswers: Array<Record<string, unknown>> = [];
		const not4xx: Array<Record<string, unknown>> = [];
		let optionsAnsweredByEditor = 0;
		plan.cases.forEach((c, i) => {
			const a = answers[i];
			const byCategory = (histogram[c.category] ??= {});
			const key = a.status === 0 ? `none (${a.error})` : String(a.status);
			byCategory[key] = (byCategory[key] ?? 0) + 1;
			if (c.verdict.kind === 'abort') return;
			const expected = expectedAnswers(c, editorAnswersOptions);
			if (!expected.includes(a.status)) wrongAnswers.push({ n: c.n, category: c.category, variant: c.variant, expected, got: a.status, error: a.error });
			const answeredByEditor = editorAnswersOptions && c.method === 'OPTIONS' && a.status === 204;
			if (answeredByEditor) optionsAnsweredByEditor++;
			else if (c.verdict.kind === 'refuse' && !(a.status >= 400 && a.status < 500)) {
				not4xx.push({ n: c.n, category: c.category, variant: c.variant, got: a.status, error: a.error });
			}
		});

		// What left the results node.
		const expected = new Map<string, { c: FuzzCase; result: ExpectedResult }>();
		for (const c of plan.cases) if (c.verdict.kind === 'accept') expected.set(resultKey(c.verdict.result), { c, result: c.verdict.result });
		const out1 = itemsAt<ExpectedResult>(sink, '/out1').filter((i) => i.task_id !== `sentinel-${tag}`);
		const out2 = itemsAt<ExpectedResult>(sink, '/out2');
		const seen = new Map<string, number>();
		const intruders: unknown[] = [];
		const altered: unknown[] = [];
		for (const [output, items] of [[1, out1], [2, out2]] as const) {
			for (const item of items) {
				const key = resultKey(item);
				seen.set(key, (seen.get(key) ?? 0) + 1);
				const want = expected.get(key);
				if (!want) intruders.push(item);
				else if (JSON.stringify(item) !== JSON.stringify(want.result) || output !== (want.result.ended ? 2 : 1)) {
					altered.push({ output, item: JSON.stringify(item).slice(0, 300), want: JSON.stringify(want.result).slice(0, 300) });
				}
			}
		}
		const duplicated = [...seen.values()].filter((count) => count > 1).reduce((sum, count) => sum + count - 1, 0);
		const missing = [...expected.keys()].filter((key) => !seen.has(key));
		const validLatencies = answers.filter((_, i) => plan.cases[i].verdict.kind === 'accept').map((a) => a.ms);
		const malformedTotal = plan.cases.filter((c) => c.verdict.kind === 'refuse').length;

		recordReliability('fuzz', {
			nodeRed: red!.version,
			node: red!.nodeVersion,
			editorApiAt: httpAdminRoot,
			seed: SEED,
			concurrency: 16,
			connectionsOpened: run.connections,
			requests: plan.cases.length + 1,
			seconds: round(run.ms / 1000),
			requestsPerSecond: round((plan.cases.length * 1000) / run.ms),
			malformed: malformedTotal,
			malformedPerCategory: Object.fromEntries(Object.entries(plan.counts).filter(([c]) => c !== 'valid' && c !== 'replay')),
			variants: plan.variants,
			statusHistogram: histogram,
			unexpectedAnswers: wrongAnswers.length,
			malformedNot4xx: not4xx.length,
			optionsAnsweredByNodeRedEditorCors: optionsAnsweredByEditor,
			validSent: plan.counts.valid + 1,
			replaysSent: plan.counts.replay ?? 0,
			replaysAnswered200: plan.cases.filter((c, i) => c.verdict.kind === 'replay' && answers[i].status === 200).length,
			validDelivered: seen.size + 1,
			validDuplicated: duplicated,
			validMissing: missing.length,
			malformedReachedFlow: intruders.length,
			resultsNodeStatus: statusSeen.filter((s) => s.id === 'results').pop()?.text,
			nodeRedLogLines: red!.logs().split('\n').length,
			nodeRedLogErrorLines: red!.logs().split('\n').filter((line) => /error/i.test(line)).length,
			validLatencyMs: { p50: round(percentile(validLatencies, 0.5), 2), p99: round(percentile(validLatencies, 0.99), 2) },
		});

		expect(malformedTotal).toBeGreaterThanOrEqual(malformed);
		expect(not4xx).toEqual([]);
		expect(wrongAnswers).toEqual([]);
		expect(intruders).toEqual([]);
		expect(missing).toEqual([]);
		expect(duplicated).toBe(0);
		expect(altered).toEqual([]);
		expect(itemsAt(sink, '/error')).toEqual([]);
	});

	it('keeps the same Node-RED process running, with no uncaught error in its log', async () => {
		expect(red!.pid()).toBe(pid);
		expect(crashLines(red!.logs())).toEqual([]);
		expect((await red!.admin('GET', '/settings')).status).toBe(200);
	});

	it('shows neither the API key nor the callback secret anywhere it does not belong', async () => {
		const sources = await leakSources(red!, sink);
		await red!.stop();
		sources.push({ scope: 'Node-RED log (stdout and stderr)', text: red!.logs() });
		const hits = findSecrets(sources, [
			{ name: 'API key', value: KEY },
			{ name: 'results secret', value: SECRET },
		]);
		recordReliability('leaks', { test: `fuzz (Node-RED ${version})`, ...leakSummary(sources, hits) });
		expect(hits).toEqual([]);
	});
});

