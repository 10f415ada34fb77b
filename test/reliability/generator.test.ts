// The fuzz generator both hosts' tests use, checked against the core's receiver rule without a
// host: every request it says must be accepted is accepted with exactly the result it expects,
// every refusal the core decides gets the answer it names, and a seed always gives the same plan.
// (What only a host decides, a path it does not serve or HTTP it cannot parse, the hosts' tests check.)
import { checkCallback, resultOutput } from '../../core';
import { FuzzCase, FuzzPlan, Host, REFUSED, REPLAY_GAP, Refusal, leftOutFor, malformedCategoriesFor, planFuzz } from './support/fuzz';

const CORE_ANSWERS: Partial<Record<Refusal, number>> = { secret: 401, unreadable: 400, too_large: 413, media_type: 415, method: 405 };
const TARGETS = [
	{ name: 'one', path: '/memories/one', secret: 'Xk3vQ9-secret-of-receiver-one_0123456789ab' },
	{ name: 'two', path: '/webhook/0c9d/results', secret: 'Yz7wR2-secret-of-receiver-two_0123456789cd', taskId: 'task-of-two' },
];

/** The token as Node-RED's and n8n's query parsers give it: one plain `token` value, else none. */
function tokenOf(path: string): string | undefined {
	const query = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
	const keys = [...query.keys()];
	if (keys.some((k) => k !== 'token' && /^token\[|^__proto__|^constructor/.test(k))) return undefined;
	const values = query.getAll('token');
	return values.length === 1 && !/[\]]/.test(values[0]) ? values[0] : undefined;
}

function coreAnswer(c: FuzzCase) {
	const target = TARGETS.find((t) => t.name === c.target)!;
	const token = tokenOf(c.path);
	return checkCallback(
		// The request target too, as both hosts hand it over (the service may append its own query).
		{ method: c.method, contentType: c.headers['content-type'], query: token === undefined ? {} : { token }, url: c.path, body: c.body === undefined ? undefined : { raw: c.body } },
		[target.secret],
	);
}

describe.each<Host>(['node-red', 'n8n'])('the plan for %s', (host) => {
	let plan: FuzzPlan;
	beforeAll(() => {
		plan = planFuzz({ host, seed: 7, malformed: 3000, valid: 400, replays: 40, clientAborts: host === 'node-red' ? 10 : 0, targets: TARGETS, tag: 't' });
	});

	it('has exactly the requested counts, in every malformed category the host takes', () => {
		expect(plan.cases.filter((c) => c.verdict.kind === 'refuse')).toHaveLength(3000);
		expect(plan.counts.valid).toBe(400);
		expect(plan.counts.replay).toBe(40);
		expect(Object.keys(plan.counts).filter((c) => c in REFUSED).sort()).toEqual(malformedCategoriesFor(host).sort());
		expect(plan.cases.map((c) => c.n)).toEqual(plan.cases.map((_, i) => i));
	});

	it('is the same for the same seed, and another for another seed', () => {
		const again = planFuzz({ host, seed: 7, malformed: 3000, valid: 400, replays: 40, clientAborts: host === 'node-red' ? 10 : 0, targets: TARGETS, tag: 't' });
		expect(again.cases.map((c) => `${c.variant}|${c.path}|${c.body?.toString('base64')}`)).toEqual(plan.cases.map((c) => `${c.variant}|${c.path}|${c.body?.toString('base64')}`));
		const other = planFuzz({ host, seed: 8, malformed: 300, valid: 40, targets: TARGETS, tag: 't' });
		expect(other.cases.slice(0, 50).map((c) => c.variant)).not.toEqual(plan.cases.slice(0, 50).map((c) => c.variant));
	});

	it('accepts, by the core’s rule, what it says must be accepted, with exactly the expected result', async () => {
		const wrong: unknown[] = [];
		for (const c of plan.cases.filter((x) => x.verdict.kind === 'accept' || x.verdict.kind === 'replay')) {
			const original = c.verdict.kind === 'replay' ? plan.cases[c.verdict.of] : c;
			const want = original.verdict.kind === 'accept' ? original.verdict.result : undefined;
			const check = await coreAnswer(c);
			if (!check.ok || JSON.stringify(resultOutput(check.event)) !== JSON.stringify(want)) wrong.push({ n: c.n, variant: c.variant, check });
		}
		expect(wrong).toEqual([]);
	});

	it('refuses, by the core’s rule, what it says must be refused, with the answer its reason names', async () => {
		const wrong: unknown[] = [];
		for (const c of plan.cases) {
			if (c.verdict.kind !== 'refuse' || CORE_ANSWERS[c.verdict.because] === undefined) continue;
			const check = await coreAnswer(c);
			if (check.ok || check.httpStatus !== CORE_ANSWERS[c.verdict.because]) {
				wrong.push({ n: c.n, category: c.category, variant: c.variant, because: c.verdict.because, got: check.ok ? 'accepted' : check.httpStatus });
			}
		}
		expect(wrong).toEqual([]);
	});

	it('replays recent callbacks answered before, and only ones with a frame window to tell them by', () => {
		for (const c of plan.cases.filter((x) => x.verdict.kind === 'replay')) {
			const of = (c.verdict as { of: number }).of;
			expect(c.n - of).toBeGreaterThanOrEqual(REPLAY_GAP);
			// One of the last 5 to 50 replayable callbacks answered before it.
			const between = plan.cases.slice(of, c.n - REPLAY_GAP + 1).filter((x) => x.verdict.kind === 'accept' && x.verdict.result.timestamp !== null);
			expect(between.length).toBeLessThanOrEqual(51);
			expect(plan.cases[of].verdict).toMatchObject({ kind: 'accept', result: { timestamp: expect.any(String) } });
		}
	});

	it('gives a target bound to one stream only callbacks of that stream, none that ends it', () => {
		const bound = plan.cases.filter((c) => c.target === 'two' && c.verdict.kind === 'accept');
		expect(bound.length).toBeGreaterThan(0);
		for (const c of bound) expect(c.verdict).toMatchObject({ result: { task_id: 'task-of-two', ended: false } });
	});
});

it('says why a host does not get a shape', () => {
	expect(leftOutFor('node-red')).toEqual([]);
	expect(leftOutFor('n8n').map((s) => s.shape)).toEqual(
		expect.arrayContaining(['wrong_content_type/application/xml', 'wrong_method/OPTIONS', 'raw_http/garbage_request_line']),
	);
	for (const { reason } of leftOutFor('n8n')) expect(reason.length).toBeGreaterThan(20);
});
