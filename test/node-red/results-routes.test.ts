// Callback routes shared by results nodes: per-node secrets on one path, redeploys that close
// one node, and nodes that have no secret credential.
import * as h from './support/harness';
import { callbackUrl, result, send } from './support/http';

const env = h.useSuite();

const postTo = (path: string, token: string, taskId = 'task') =>
	send(callbackUrl(h.nodeRedUrl(), path, { token }), { body: result(taskId, `for ${token.slice(0, 12)}`, new Date().toISOString()) });
const sendsOf = (id: string) => h.calls(h.node(id), 'send').length;

function twoResultsFlow(second: Record<string, unknown> = {}, options: { withSecond?: boolean; withFirst?: boolean } = {}) {
	const nodes: object[] = [h.configNode(env.sandbox)];
	if (options.withFirst !== false) nodes.push(h.resultsNode(), h.helperNode('out'), h.helperNode('end'));
	if (options.withSecond !== false) {
		nodes.push(h.resultsNode({ id: 'res2', wires: [['out2'], ['end2']], ...second }), h.helperNode('out2'), h.helperNode('end2'));
	}
	return h.flow(...nodes);
}
const TWO_CREDENTIALS = { ...h.CREDENTIALS, res2: { secret: h.OTHER_SECRET } };

describe('two results nodes on one path', () => {
	it('each gets only the callbacks that carry its own secret', async () => {
		await h.load(twoResultsFlow(), TWO_CREDENTIALS);
		const [out, out2] = h.inboxes('out', 'out2');
		expect((await postTo(h.RESULTS_PATH, 'neither-secret-neither-secret')).status).toBe(401);
		expect((await postTo(h.RESULTS_PATH, h.SECRET, 'for-one')).status).toBe(200);
		expect((await postTo(h.RESULTS_PATH, h.OTHER_SECRET, 'for-two')).status).toBe(200);
		expect((await out.next()).topic).toBe('for-one');
		expect((await out2.next()).topic).toBe('for-two');
		expect([sendsOf('res'), sendsOf('res2')]).toEqual([1, 1]);
		// The refused request counts against both (it could have been meant for either).
		expect(h.lastStatus(h.node('res'))?.text).toBe(h.t('memories-live-results.status.last-refused', { ago: '0s', received: 1, rejected: 1 }));
	});

	it('end to end: two start nodes, each stream’s results reach only its own results node', async () => {
		await h.load(
			h.flow(
				h.configNode(env.sandbox),
				h.resultsNode(),
				h.resultsNode({ id: 'res2', wires: [['out2'], ['end2']] }),
				h.startNode(),
				h.startNode({ id: 'start2', results: 'res2', wires: [['started']] }),
				...['out', 'end', 'out2', 'end2', 'started'].map(h.helperNode),
			),
			TWO_CREDENTIALS,
		);
		const [out, out2, started] = h.inboxes('out', 'out2', 'started');
		const one = (await h.expectSent('start', started)).task_id!;
		const two = (await h.expectSent('start2', started)).task_id!;
		expect(env.sandbox.task(one)!.callback).toContain(`token=${h.SECRET}`);
		expect(env.sandbox.task(two)!.callback).toContain(`token=${h.OTHER_SECRET}`);
		await out.waitFor(2, (m) => m.topic === one);
		await out2.waitFor(2, (m) => m.topic === two);
		await h.deliveriesOf(env.sandbox, one, 2);
		await h.deliveriesOf(env.sandbox, two, 2);
		expect(out.messages.filter((m) => m.topic === two)).toHaveLength(0);
		expect(out2.messages.filter((m) => m.topic === one)).toHaveLength(0);
		expect(env.sandbox.deliveries().every((d) => d.ok)).toBe(true);
	});

	it('a full redeploy without one of them leaves the other’s route working', async () => {
		await h.load(twoResultsFlow(), TWO_CREDENTIALS);
		await h.redeploy(twoResultsFlow({}, { withSecond: false }), h.CREDENTIALS);
		const [out] = h.inboxes('out');
		expect((await postTo(h.RESULTS_PATH, h.OTHER_SECRET)).status).toBe(401);
		expect((await postTo(h.RESULTS_PATH, h.SECRET, 'still-here')).status).toBe(200);
		expect((await out.next()).topic).toBe('still-here');
	});

	it('closing the first one (modified-nodes deploy) leaves the second working, and the new first one works too', async () => {
		await h.load(twoResultsFlow(), TWO_CREDENTIALS);
		const before = h.node('res');
		await h.redeploy(
			h.flow(
				h.configNode(env.sandbox),
				h.resultsNode({ name: 'renamed' }),
				h.helperNode('out'),
				h.helperNode('end'),
				h.resultsNode({ id: 'res2', wires: [['out2'], ['end2']] }),
				h.helperNode('out2'),
				h.helperNode('end2'),
			),
			TWO_CREDENTIALS,
			'nodes',
		);
		expect(h.node('res')).not.toBe(before);
		expect(h.lastStatus(before)).toEqual({});
		const [out, out2] = h.inboxes('out', 'out2');
		expect((await postTo(h.RESULTS_PATH, h.OTHER_SECRET, 'two')).status).toBe(200);
		expect((await postTo(h.RESULTS_PATH, h.SECRET, 'one')).status).toBe(200);
		expect((await out2.next()).topic).toBe('two');
		expect((await out.next()).topic).toBe('one');
	});

	it('the route goes when its last node goes', async () => {
		await h.load(twoResultsFlow(), TWO_CREDENTIALS);
		await h.redeploy(h.flow(h.configNode(env.sandbox)), {});
		expect((await postTo(h.RESULTS_PATH, h.SECRET)).status).toBe(404);
		expect((await postTo(h.RESULTS_PATH, h.OTHER_SECRET)).status).toBe(404);
		// And comes back with a node on it.
		await h.redeploy(twoResultsFlow({}, { withSecond: false }), h.CREDENTIALS);
		expect((await postTo(h.RESULTS_PATH, h.SECRET, 'back')).status).toBe(200);
	});

	it('nodes on different paths do not see each other’s callbacks, even with the same secret', async () => {
		await h.load(twoResultsFlow({ path: '/other/results' }), { ...h.CREDENTIALS, res2: { secret: h.SECRET } });
		const [out2] = h.inboxes('out2');
		expect((await postTo('/other/results', h.SECRET, 'other')).status).toBe(200);
		expect((await out2.next()).topic).toBe('other');
		expect([sendsOf('res'), sendsOf('res2')]).toEqual([0, 1]);
	});

	it('refuses a path with route pattern characters, with a red status and no route', async () => {
		await h.load(h.loopFlow(env.sandbox, { results: { path: '/memories/:id' } }), h.CREDENTIALS);
		const res = h.node('res');
		expect(h.lastStatus(res)?.text).toBe(h.t('memories-live-results.status.bad-path'));
		expect(h.calls(res, 'error')[0][0]).toMatchObject({ message: expect.stringMatching(/Path may only contain/) });
	});

	it('paths are normalised: slashes and spaces', async () => {
		await h.load(h.loopFlow(env.sandbox, { results: { path: ' memories//results/ ' } }), h.CREDENTIALS);
		const [started, out] = h.inboxes('started', 'out');
		expect(h.lastStatus(h.node('res'))?.text).toBe(h.t('memories-live-results.status.waiting', { path: '/memories/results' }));
		const taskId = (await h.expectSent('start', started)).task_id!;
		expect(h.withoutStartId(env.sandbox.task(taskId)!.callback)).toBe(`${h.nodeRedUrl()}/memories/results?token=${h.SECRET}`);
		await out.next((m) => m.topic === taskId);
	});
});

describe('a results node without a secret credential', () => {
	it.each([
		['no secret', {}],
		['a secret too short to be safe', { secret: 'short-secret' }],
	])('%s: warns, then works with a temporary secret', async (_label, credentials) => {
		await h.load(h.loopFlow(env.sandbox), { cfg: { apiKey: h.KEY }, res: credentials });
		const res = h.node('res');
		expect(h.calls(res, 'warn')).toEqual([[h.t('memories-live-results.warn.temporary-secret')]]);
		const [started, out] = h.inboxes('started', 'out');
		const taskId = (await h.expectSent('start', started)).task_id!;
		const token = new URL(env.sandbox.task(taskId)!.callback).searchParams.get('token')!;
		expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(token).not.toBe((credentials as { secret?: string }).secret);
		await out.waitFor(2, (m) => m.topic === taskId);
		expect((await postTo(h.RESULTS_PATH, 'short-secret')).status).toBe(401);
	});

	it('two such nodes get different temporary secrets', async () => {
		await h.load(twoResultsFlow(), { cfg: { apiKey: h.KEY } });
		const urls = ['res', 'res2'].map((id) => (h.node(id).callbackUrl as (u: string) => string)('https://nodered.example.com'));
		const tokens = urls.map((u) => new URL(u).searchParams.get('token'));
		expect(tokens[0]).not.toBe(tokens[1]);
		expect(h.calls(h.node('res'), 'warn')).toHaveLength(1);
		expect(h.calls(h.node('res2'), 'warn')).toHaveLength(1);
	});
});
