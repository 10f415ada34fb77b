// The Node-RED editor with our package, in headless Chromium: the node types, the palette, the
// validators (which run the core's own rules from the package's resources/), an example import
// and the start node's dialog, with no error in the browser.
import { ChildProcess, spawn } from 'child_process';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import WebSocket from 'ws';

import { validateRtmpUrl } from '../../../core';
import { freePort } from '../../../scripts/lib/ports';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/node-red-host');

const ROOT = path.join(__dirname, '../../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

jest.setTimeout(3 * 60 * 1000);

let work: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let red: any;
let chrome: ChildProcess | undefined;
let page: WebSocket;
const problems: string[] = [];
let nextId = 0;
const pending = new Map<number, (message: { result?: { result?: { value?: unknown }; exceptionDetails?: unknown } }) => void>();

function send(method: string, params: object = {}) {
	return new Promise<{ result?: { result?: { value?: unknown }; exceptionDetails?: unknown } }>((resolve) => {
		const id = ++nextId;
		pending.set(id, resolve);
		page.send(JSON.stringify({ id, method, params }));
	});
}

async function evaluate<T>(expression: string): Promise<T> {
	const answer = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
	if (answer.result?.exceptionDetails) throw new Error(`in the browser: ${JSON.stringify(answer.result.exceptionDetails).slice(0, 600)}`);
	return answer.result?.result?.value as T;
}

/** Resolves once `expression` is true in the page (the editor loads asynchronously). */
async function until(expression: string, timeoutMs = 30000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (await evaluate<boolean>(`(function () { try { return !!(${expression}); } catch (e) { return false; } })()`).catch(() => false)) return;
		if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${expression}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-editor-'));
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: path.join(ROOT, 'node-red'), encoding: 'utf8' }),
	)[0];
	red = await host.startNodeRed({ version: '4.1', tarballs: [path.join(work, packed.filename)] });
	const debugPort = await freePort();
	chrome = spawn(
		CHROMIUM,
		[
			'--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage', `--remote-debugging-port=${debugPort}`,
			'--remote-debugging-address=127.0.0.1', `--user-data-dir=${path.join(work, 'profile')}`, '--window-size=1400,1000', 'about:blank',
		],
		// Its own process group: Chromium's helper processes go with it at the end.
		{ stdio: 'ignore', detached: true },
	);
	let target: { type: string; webSocketDebuggerUrl: string } | undefined;
	const deadline = Date.now() + 30000;
	while (!target) {
		try {
			const targets = (await (await fetch(`http://127.0.0.1:${debugPort}/json`)).json()) as Array<{ type: string; webSocketDebuggerUrl: string }>;
			target = targets.find((t) => t.type === 'page');
		} catch {
			if (Date.now() > deadline) throw new Error('Chromium did not start');
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}
	page = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false });
	await new Promise((resolve) => page.once('open', resolve));
	page.on('message', (data) => {
		const message = JSON.parse(String(data));
		if (message.id && pending.has(message.id)) {
			pending.get(message.id)!(message);
			pending.delete(message.id);
		} else if (message.method === 'Runtime.exceptionThrown') {
			problems.push(`exception: ${JSON.stringify(message.params.exceptionDetails).slice(0, 400)}`);
		} else if (message.method === 'Log.entryAdded' && message.params.entry.level === 'error') {
			problems.push(`${message.params.entry.text} ${message.params.entry.url ?? ''}`);
		}
	});
	await send('Runtime.enable');
	await send('Log.enable');
	await send('Page.enable');
	await send('Page.navigate', { url: `${red.baseUrl}/` });
	await until("typeof RED !== 'undefined' && RED.nodes && RED.nodes.getType('memories-live-start') && RED.workspaces.active()");
});

afterAll(async () => {
	page?.close();
	if (chrome?.pid !== undefined && chrome.exitCode === null) {
		const exited = new Promise((resolve) => chrome!.once('exit', resolve));
		process.kill(-chrome.pid, 'SIGKILL');
		await exited;
	}
	await red?.stop();
	// Helper processes of Chromium may still be flushing its profile for a moment after the kill.
	fs.rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

it('registers the four types and shows three nodes in the memories.ai palette category', async () => {
	const types = await evaluate<string[]>("['memories-live-config','memories-live-results','memories-live-start','memories-live-stop'].filter(function (t) { return !!RED.nodes.getType(t); })");
	expect(types).toHaveLength(4);
	await until("$('.red-ui-palette-node[data-palette-type^=\"memories-live\"]').length === 3");
	const category = await evaluate<string>("RED.nodes.getType('memories-live-start').category");
	expect(category).toBe('memories.ai');
});

it('validates with the core rules, loaded from the package resources', async () => {
	const message = await evaluate<string>("RED.nodes.getType('memories-live-start').defaults.rtmpUrl.validate.call({}, 'http://cam.example/x', {})");
	let expected = '';
	try {
		validateRtmpUrl('http://cam.example/x');
	} catch (error) {
		expected = (error as Error).message;
	}
	expect(message).toBe(expected);
	expect(await evaluate("RED.nodes.getType('memories-live-start').defaults.rtmpUrl.validate.call({}, 'rtmp://cam.example/live', {})")).toBe(true);
	expect(await evaluate("RED.nodes.getType('memories-live-results').defaults.regex.validate.call({ emit: 'regex' }, 'boil(', {})")).toMatch(/Regular Expression is not valid/);
	expect(await evaluate("RED.nodes.getType('memories-live-results').defaults.path.validate.call({}, '/memories/:id', {})")).toMatch(/Path may only contain/);
});

it('imports an example whose nodes are all valid, giving the results node a secret', async () => {
	const example = fs.readFileSync(path.join(ROOT, 'node-red/examples/01 - Watch a stream and log results.json'), 'utf8');
	const nodes = await evaluate<Array<{ type: string; valid: boolean }>>(
		`RED.view.importNodes(${JSON.stringify(example)}, { addFlow: true }); RED.nodes.filterNodes({}).filter(function (n) { return /^memories-live/.test(n.type); }).map(function (n) { return { type: n.type, valid: n.valid }; })`,
	);
	expect(nodes.map((n) => n.type).sort()).toEqual(['memories-live-results', 'memories-live-start', 'memories-live-stop']);
	expect(nodes.every((n) => n.valid)).toBe(true);
	const secret = await evaluate<string>("RED.nodes.filterNodes({ type: 'memories-live-results' })[0].credentials.secret");
	expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
});

it("opens the start node's dialog with the callback URL the runtime will build, secret masked", async () => {
	await evaluate("RED.editor.edit(RED.nodes.filterNodes({ type: 'memories-live-start' })[0]); true");
	await until("$('#memories-live-start-preview').text().indexOf('token=') !== -1");
	expect(await evaluate<string>("$('#memories-live-start-preview').text()")).toContain('http://127.0.0.1:1880/memories/kitchen?token=***');
	await evaluate("$('#node-dialog-cancel').click(); true");
});

it('raised no error in the browser (besides the offline flow library)', () => {
	expect(problems.filter((p) => !/catalogue\.nodered\.org|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(p))).toEqual([]);
});
