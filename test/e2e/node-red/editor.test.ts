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

it("validates the results node's event settings and the account's budget with the core rules", async () => {
	const check = (type: string, property: string, node: object, value: unknown) =>
		evaluate<string | boolean>(`RED.nodes.getType(${JSON.stringify(type)}).defaults.${property}.validate.call(${JSON.stringify(node)}, ${JSON.stringify(value)}, {})`);
	const results = (property: string, node: object, value: unknown) => check('memories-live-results', property, node, value);
	const declared = { answerFormat: 'json', emit: 'episodes', conditionType: 'fields', answerFields: [{ name: 'boiling_over', type: 'boolean' }] };
	expect(await results('answerFields', declared, [{ name: 'a', type: 'boolean' }, { name: 'a', type: 'number' }])).toMatch(/^Field 2 \("a"\): Name "a" is used twice/);
	expect(await results('answerFields', declared, [{ name: 'state', type: 'enum', options: '' }])).toMatch(/Options is empty/);
	expect(await results('answerFields', { ...declared, answerFormat: 'text' }, [{ name: 'a a' }])).toBe(true);
	expect(await results('rules', declared, [{ field: 'smoke', operator: 'is_true' }])).toMatch(/"smoke" is not a declared field/);
	expect(await results('rules', declared, [{ field: 'boiling_over', operator: 'is_true' }])).toBe(true);
	expect(await results('startAfterWindows', declared, 0)).toMatch(/^Start After \(Windows\) must be a whole number from 1 to 100/);
	expect(await results('cooldownSeconds', declared, 100000)).toMatch(/^Cooldown \(Seconds\) must be a number from 0 to 86400/);
	expect(await results('reminderMinutes', { emit: 'all' }, -5)).toBe(true);
	expect(await results('stallSeconds', {}, 3)).toMatch(/^Stalled After \(Seconds\) must be 0 \(off\)/);
	expect(await results('emit', {}, 'episodes')).toBe(true);
	expect(await results('keywords', { emit: 'condition', conditionType: 'keywords' }, ' , ')).toMatch(/Keywords is empty/);
	expect(await check('memories-live-config', 'dailyBudget', {}, 'lots')).toMatch(/^Daily Budget \(Stream-Minutes\) must be a number of minutes/);
	expect(await check('memories-live-config', 'dailyBudget', {}, '')).toBe(true);
});

it('imports "Alert once when the pan boils over" valid, and its results dialog shows and saves its fields and rules', async () => {
	const example = fs.readFileSync(path.join(ROOT, 'node-red/examples/04 - Alert once when the pan boils over.json'), 'utf8');
	await evaluate("window.thePan = function () { return RED.nodes.filterNodes({ type: 'memories-live-results' }).filter(function (n) { return n.name === 'the pan'; }); }; true");
	const nodes = await evaluate<Array<{ type: string; valid: boolean }>>(
		`RED.view.importNodes(${JSON.stringify(example)}, { addFlow: true }); thePan().concat(RED.nodes.filterNodes({ type: 'memories-live-start' }).filter(function (n) { return n.name === 'watch the stove'; })).map(function (n) { return { type: n.type, valid: n.valid }; })`,
	);
	expect(nodes).toEqual([{ type: 'memories-live-results', valid: true }, { type: 'memories-live-start', valid: true }]);
	const original = JSON.parse(example).find((n: { type: string }) => n.type === 'memories-live-results');
	await evaluate("RED.editor.edit(thePan()[0]); true");
	await until("$('#memories-live-results-fields').editableList('items').length === 3 && $('#memories-live-results-rules').editableList('items').length === 1");
	const shown = await evaluate<{ names: string[]; types: string[]; rule: string[]; episodesShown: boolean; keywordsShown: boolean }>(`({
		names: $('#memories-live-results-fields .memories-field-name').map(function () { return $(this).val(); }).get(),
		types: $('#memories-live-results-fields .memories-field-type').map(function () { return $(this).val(); }).get(),
		rule: [$('.memories-rule-field').val(), $('.memories-rule-operator').val()],
		episodesShown: $('#node-input-startAfterWindows').is(':visible'),
		keywordsShown: $('#node-input-keywords').is(':visible')
	})`);
	expect(shown).toEqual({ names: ['boiling_over', 'state', 'note'], types: ['boolean', 'enum', 'string'], rule: ['boiling_over', 'is_true'], episodesShown: true, keywordsShown: false });
	// Choosing a field of another type offers that type's operators only.
	const operators = await evaluate<string[]>("$('.memories-rule-field').val('state').trigger('change'); $('.memories-rule-operator option').map(function () { return $(this).val(); }).get()");
	expect(operators).toEqual(['equals', 'not_equals', 'is_one_of']);
	await evaluate("$('.memories-rule-field').val('boiling_over').trigger('change'); $('.memories-rule-operator').val('is_true').trigger('change'); $('#node-dialog-ok').click(); true");
	await until("!$('#memories-live-results-fields').length");
	const saved = await evaluate<{ answerFields: unknown; rules: unknown }>("(function (n) { return { answerFields: n.answerFields, rules: n.rules }; })(thePan()[0])");
	expect(saved).toEqual({ answerFields: original.answerFields, rules: original.rules });
});

it('raised no error in the browser (besides the offline flow library)', () => {
	expect(problems.filter((p) => !/catalogue\.nodered\.org|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(p))).toEqual([]);
});
