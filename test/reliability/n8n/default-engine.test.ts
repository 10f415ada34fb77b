// The same trigger in an n8n with its default configuration, where every webhook request of a
// community trigger gets a fresh isolated-vm isolate from n8n's default expression engine ("vm").
// reliability.test.ts runs its 10 000 fuzzed requests with the legacy engine to stay within the
// time budget; this file shows that the answers are the same with the default engine and measures
// what the default engine costs: rejected requests per second and the sustained callback rate.
import { Sink, startSink } from '../../../scripts/lib/sink';
import { planFuzz } from '../support/fuzz';
import { Host, record, startHost } from './support/host';
import { loadLadder } from './support/load';
import { histogram, openPool, percentile, sendAll } from './support/send';
import { triggerWorkflow } from './support/workflows';

jest.setTimeout(10 * 60 * 1000);

const SEED = Number(process.env.RELIABILITY_SEED ?? 20251125) + 1;
const MALFORMED = Number(process.env.RELIABILITY_N8N_DEFAULT_MALFORMED ?? 300);
const LOAD_STEPS = (process.env.RELIABILITY_N8N_DEFAULT_LOAD_STEPS ?? '5,10,20,40').split(',').map(Number);
const LOAD_SECONDS = Number(process.env.RELIABILITY_N8N_LOAD_SECONDS ?? 10);

const FUZZ = { id: 'relDefaultFuzz01', hook: 'c8b1d2ef-0001-4a5b-9c8d-7e6f5a4b3c21', token: 'rel-n8n-default-fuzz-Token-3e7a91c4d0b2f6' };
const LOAD = { id: 'relDefaultLoad01', hook: 'c8b1d2ef-0002-4a5b-9c8d-7e6f5a4b3c21', token: 'rel-n8n-default-load-Token-9d2c4b7e1f0a38' };

let sink: Sink;
let host: Host;
let pid: number;

beforeAll(async () => {
	sink = await startSink();
	host = await startHost({
		credentials: [],
		workflows: [FUZZ, LOAD].map(({ id, hook, token }) =>
			triggerWorkflow({ id, webhookId: hook, parameters: { mode: 'receive', callbackToken: token }, sinkUrl: `${sink.url}/${id}` }),
		),
	});
	pid = host.pid();
	await host.api.activateWorkflow(FUZZ.id);
	await host.api.activateWorkflow(LOAD.id);
});

afterAll(async () => {
	await host?.stop();
	await sink?.close();
});

describe('n8n with its default expression engine', () => {
	it('answers fuzzed callbacks the same way: every malformed one 4xx, every valid one exactly once', async () => {
		const validCount = Math.round(MALFORMED / 19);
		const { cases } = planFuzz({
			host: 'n8n',
			seed: SEED,
			malformed: MALFORMED,
			valid: validCount,
			replays: Math.round(validCount / 10),
			targets: [{ name: 'receive', path: `/webhook/${FUZZ.hook}/results`, secret: FUZZ.token }],
			tag: 'n8n-default',
		});
		const pool = openPool(host.n8n.baseUrl, 16);
		const started = Date.now();
		const answers = await sendAll(pool, cases, 16);
		const durationMs = Date.now() - started;
		await pool.close();
		const rejected = cases.filter((c) => c.verdict.kind === 'refuse');
		const valid = cases.filter((c) => c.verdict.kind === 'accept');
		await host.n8n.waitForExecutions(FUZZ.id, valid.length, 120_000);
		await sink.waitFor(valid.length, (r) => r.url === `/${FUZZ.id}`, 60_000);
		const executions = await host.n8n.listExecutions(FUZZ.id);
		record('fuzz', {
			case: 'default expression engine (vm)',
			seed: SEED,
			requests: cases.length,
			malformed: rejected.length,
			valid: valid.length,
			durationMs,
			requestsPerSecond: Math.round((cases.length / durationMs) * 1000),
			malformedStatusHistogram: histogram(rejected.map((c) => answers[c.n].status)),
			executions: executions.length,
			sinkArrivals: sink.received.filter((r) => r.url === `/${FUZZ.id}`).length,
			answerMs: { p50: Math.round(percentile(answers.map((a) => a.ms), 0.5)), p99: Math.round(percentile(answers.map((a) => a.ms), 0.99)) },
		});
		expect(rejected.filter((c) => answers[c.n].status < 400 || answers[c.n].status > 499).map((c) => `${c.category}/${c.variant}: ${answers[c.n].status}`)).toEqual([]);
		expect(valid.filter((c) => answers[c.n].status !== 200)).toEqual([]);
		expect(executions).toHaveLength(valid.length);
		expect(sink.received.filter((r) => r.url === `/${FUZZ.id}`)).toHaveLength(valid.length);
		expect(host.pid()).toBe(pid);
	});

	it('measures the sustained callback rate at which nothing is lost', async () => {
		const result = await loadLadder(host.n8n, {
			path: `/webhook/${LOAD.hook}/results?token=${LOAD.token}`,
			sink,
			sinkPath: `/${LOAD.id}`,
			workflowId: LOAD.id,
			rates: LOAD_STEPS,
			seconds: LOAD_SECONDS,
		});
		record('load', { case: 'default expression engine (vm)', ...result });
		for (const step of result.steps) {
			// Never twice, and never lost once answered 200 (the sender was told it arrived).
			expect(step.duplicatesAtSink).toBe(0);
			expect(step.executions).toBeLessThanOrEqual(step.sent);
			expect(step.lostAfter200).toBe(0);
		}
		expect(result.highestRateWithoutLoss).toBeGreaterThanOrEqual(LOAD_STEPS[0]);
		expect(host.pid()).toBe(pid);
	});

	it('printed neither Callback Token to its log', () => {
		expect(host.n8n.logs()).not.toContain(FUZZ.token);
		expect(host.n8n.logs()).not.toContain(LOAD.token);
		expect(host.n8n.logs()).not.toMatch(/\bcrashed\b|uncaught ?exception|FATAL ERROR|heap out of memory/i);
	});
});
