// Real Node-RED processes of exactly the supported lines (4.1 on the lowest supported Node, 5 on
// Node 24) with our packed tarball installed into a fresh userDir the way the palette manager does,
// flows deployed through the Admin API, against the sandbox over HTTP. Checks first that the
// package and its README promise exactly what is tested here.
import fs from 'fs';
import path from 'path';

import type { Sandbox } from '../../../sandbox/src';
import { Sink, SinkRequest } from '../../../scripts/lib/sink';
import { useNodeRedSuite } from './support/suite';
import { recordFigures } from '../support/figures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/node-red-host');

const ROOT = path.join(__dirname, '../../..');
const KEY = 'sk-e2e-node-red-key';
const SECRET = 'e2e-results-secret-0123456789abcdefXYZ';
const ROUTE = '/memories/e2e';

jest.setTimeout(10 * 60 * 1000);

/**
 * The supported Node-RED lines, each tested on a Node it supports: 4.1 (maintained, still getting
 * fixes) on Node 20, the lowest Node our engines allow; 5 (current) on Node 24.
 */
const SUPPORTED = [
	{ version: '4.1', node: 20, httpNodeRoot: '/' },
	{ version: '5', node: 24, httpNodeRoot: '/api' },
];
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'node-red/package.json'), 'utf8'));
const README = fs.readFileSync(path.join(ROOT, 'node-red/README.md'), 'utf8');

let tarball: string;
let packedFiles: string[];
let sandbox: Sandbox;
let sink: Sink;

const suite = useNodeRedSuite('e2e-node-red', { intervalMs: 200, keys: [KEY] });
beforeAll(() => ({ tarball, packedFiles, sandbox, sink } = suite));

describe('what the package promises', () => {
	it('declares exactly the tested Node-RED lines and lowest Node, as its README does', () => {
		const [lowest, ...newer] = SUPPORTED;
		expect(PACKAGE['node-red'].version).toBe(`>=${lowest.version}.0`);
		expect(Number(PACKAGE.engines.node.match(/^>=(\d+)\./)?.[1])).toBe(lowest.node);
		const lines = SUPPORTED.map((s) => s.version).join(' and ');
		expect(README).toContain(`Supported: **Node-RED ${lines}**, on **Node.js ${PACKAGE.engines.node.slice(2)} or later**`);
		for (const { version, node } of [lowest, ...newer]) expect(README).toContain(`| ${version}.x | ${node} |`);
	});

	it('shows screenshots in its README that exist in the repository and stay out of the tarball', () => {
		const images = [...README.matchAll(/(?:!\[[^\]]*\]\(|<img src=")([^)"]+\.png)/g)].map((m) => m[1]);
		expect(images.length).toBeGreaterThanOrEqual(3);
		for (const image of images) {
			const file = image.replace(/^https:\/\/raw\.githubusercontent\.com\/memories-live-video\/memories-live-video\/main\//, '');
			expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
		}
		expect(packedFiles.filter((f) => /\.png$|screenshots/.test(f))).toEqual([]);
	});
});

const toSink = (id: string, route: string) => host.sinkRequestNode({ id, z: 'tab', url: `${sink.url}${route}` });
const at = (route: string) => (r: SinkRequest) => r.url === route;

/** The flow under test: inject → start → sink; results → sink (results, ended); stop-all; catch and status → sink. */
function flows(publicUrl: string) {
	// Node-RED takes a node without x/y for a config node: place every flow node.
	return placed([
		{ id: 'tab', type: 'tab', label: 'e2e' },
		{ id: 'account', type: 'memories-live-config', name: 'sandbox', baseUrl: sandbox.url, publicUrl, credentials: { apiKey: KEY } },
		{
			id: 'results',
			type: 'memories-live-results',
			z: 'tab',
			name: 'results',
			path: ROUTE,
			emit: 'all',
			ignoreDuplicates: true,
			credentials: { secret: SECRET },
			wires: [['to-results'], ['to-ended']],
		},
		{ id: 'go', type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['start']] },
		{
			id: 'start',
			type: 'memories-live-start',
			z: 'tab',
			config: 'account',
			callbackMode: 'results',
			results: 'results',
			rtmpUrl: 'rtmp://camera.example.com/live/kitchen',
			userPrompt: 'Is the pan boiling over?',
			systemPrompt: 'You are a real-time video monitoring system.',
			thinking: false,
			maxDuration: 0,
			stopOnClose: true,
			wires: [['to-started']],
		},
		{ id: 'halt', type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['stop']] },
		{ id: 'stop', type: 'memories-live-stop', z: 'tab', config: 'account', target: 'all', failIfNotFound: false, wires: [['to-stopped']] },
		{ id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['error-fn']] },
		{ id: 'error-fn', type: 'function', z: 'tab', func: 'msg.payload = { error: msg.error.message, source: msg.error.source.type };\nreturn msg;', outputs: 1, wires: [['to-errors']] },
		{ id: 'status', type: 'status', z: 'tab', scope: ['results', 'start', 'stop'], wires: [['status-fn']] },
		{ id: 'status-fn', type: 'function', z: 'tab', func: 'msg.payload = msg.status;\nreturn msg;', outputs: 1, wires: [['to-status']] },
		toSink('to-results', '/result'),
		toSink('to-ended', '/ended'),
		toSink('to-started', '/started'),
		toSink('to-stopped', '/stopped'),
		toSink('to-errors', '/error'),
		toSink('to-status', '/status'),
	]);
}

function placed(nodes: Array<Record<string, unknown>>) {
	return nodes.map((node, i) => (node.z ? { ...node, x: 100 + 150 * (i % 6), y: 60 + 60 * Math.floor(i / 6) } : node));
}

describe.each(SUPPORTED)('Node-RED $version on Node $node (httpNodeRoot $httpNodeRoot)', ({ version, node, httpNodeRoot }) => {
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	let red: any;
	let routeUrl: string;

	const startStream = async (): Promise<string> => {
		const before = sink.received.filter(at('/started')).length;
		await red.injectNode('go');
		const started = await sink.waitFor(before + 1, at('/started'));
		return (started[started.length - 1].json as { task_id: string }).task_id;
	};

	beforeAll(async () => {
		sink.clear();
		red = await host.startNodeRed({ version, tarballs: [tarball], httpNodeRoot });
		const root = httpNodeRoot === '/' ? '' : httpNodeRoot;
		routeUrl = `${red.baseUrl}${root}${ROUTE}`;
		await red.deploy(flows(red.baseUrl));
	});

	afterAll(async () => {
		await red?.stop();
	});

	it(`runs on Node ${node}`, () => {
		expect(red.version.startsWith(`${version}.`)).toBe(true);
		expect(red.nodeVersion).toMatch(new RegExp(`^v${node}\\.`));
	});

	it('installs all four node types from the tarball', async () => {
		const types = (await red.nodeTypes()).flatMap((set: { types: string[] }) => set.types);
		expect(types).toEqual(expect.arrayContaining(['memories-live-config', 'memories-live-results', 'memories-live-start', 'memories-live-stop']));
	});

	it('starts a stream whose results arrive in the flow', async () => {
		const taskId = await startStream();
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([taskId]);
		// The results node's URL and secret, and this start's marker (core/hidden-tasks.ts).
		expect(sandbox.task(taskId)?.callback).toMatch(new RegExp(`^${routeUrl}\\?token=${SECRET}&start_id=[A-Za-z0-9_-]{22}$`));
		const results = await sink.waitFor(3, at('/result'));
		for (const r of results) {
			expect(r.json).toEqual({ event: 'result', task_id: taskId, status: 0, text: expect.any(String), timestamp: expect.stringMatching(/Z$/), ended: false });
		}
		recordFigures(`node-red ${version} results`, {
			callbacksSent: sandbox.deliveries({ taskId }).length,
			resultsInFlow: sink.received.filter(at('/result')).length,
		});
	});

	it('keeps wrong secrets and malformed bodies out of the flow', async () => {
		const body = (text: string) => JSON.stringify({ status: 0, task_id: 'injected-task', data: { text, timestamp: '2025-01-01T00:00:00Z' } });
		const send = async (url: string, payload: string | undefined, contentType = 'application/json', method = 'POST') =>
			(await host.request(method, url, { body: payload, headers: { 'Content-Type': contentType } })).status;
		const answers = {
			noToken: await send(routeUrl, body('INJECTED')),
			wrongToken: await send(`${routeUrl}?token=${SECRET.slice(0, -1)}x`, body('INJECTED')),
			truncatedToken: await send(`${routeUrl}?token=${SECRET.slice(0, 10)}`, body('INJECTED')),
			invalidJson: await send(`${routeUrl}?token=${SECRET}`, '{"status":0,"task_id":'),
			wrongTypes: await send(`${routeUrl}?token=${SECRET}`, '{"status":"soon","task_id":"a/b","data":{"text":"INJECTED"}}'),
			// With the secret, only what cannot be read is refused (a JSON body as text/plain is read: variants.test.ts).
			xml: await send(`${routeUrl}?token=${SECRET}`, '<callback>INJECTED</callback>', 'application/xml'),
			get: await send(`${routeUrl}?token=${SECRET}`, undefined, 'application/json', 'GET'),
		};
		expect(answers).toEqual({ noToken: 401, wrongToken: 401, truncatedToken: 401, invalidJson: 400, wrongTypes: 400, xml: 415, get: 405 });
		// A valid callback sent after them arrives; none of the injected ones did.
		expect(await send(`${routeUrl}?token=${SECRET}`, body('a valid one'))).toBe(200);
		await sink.waitFor(1, (r) => at('/result')(r) && (r.json as { text: string }).text === 'a valid one');
		expect(sink.received.some((r) => r.body.includes('INJECTED'))).toBe(false);
	});

	it('leaves no task after a stop', async () => {
		expect(sandbox.activeTasks(KEY)).toHaveLength(1);
		await red.injectNode('halt');
		const [stopped] = await sink.waitFor(1, at('/stopped'));
		expect(stopped.json).toEqual([{ task_id: expect.any(String), outcome: 'stopped', stopped: true, message: expect.stringMatching(/^Stopped: /) }]);
		expect(sandbox.activeTasks(KEY)).toHaveLength(0);
	});

	it('leaves no task after a redeploy, and receives again afterwards', async () => {
		await startStream();
		await startStream();
		expect(sandbox.activeTasks(KEY)).toHaveLength(2);
		await red.deploy(flows(red.baseUrl));
		expect(sandbox.activeTasks(KEY)).toHaveLength(0);
		const taskId = await startStream();
		await sink.waitFor(1, (r) => at('/result')(r) && (r.json as { task_id: string }).task_id === taskId);
	});

	it('leaves no task after a shutdown', async () => {
		expect(sandbox.activeTasks(KEY)).toHaveLength(1);
		const stop = await red.stop();
		expect(stop.killed).toBe(false);
		expect(sandbox.activeTasks(KEY)).toHaveLength(0);
		const logs: string = red.logs();
		expect(logs).not.toContain(KEY);
		expect(logs).not.toContain(SECRET);
		const statuses = sink.received.filter(at('/status')).map((r) => r.body);
		expect(statuses.length).toBeGreaterThan(0);
		for (const status of statuses) {
			expect(status).not.toContain(KEY);
			expect(status).not.toContain(SECRET);
		}
		expect(sink.received.filter(at('/error'))).toEqual([]);
	});
});
