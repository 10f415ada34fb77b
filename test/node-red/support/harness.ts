// Runs the bundled Node-RED nodes (node-red/dist, exactly what users install) inside
// node-red-node-test-helper, serves RED.httpNode on the helper's HTTP server (the helper itself
// mounts only the admin app), and gives tests event-based ways to wait for outputs, errors and
// status changes. Nothing here sleeps to synchronise.
import fs from 'fs';
import { IncomingMessage, ServerResponse } from 'http';
import path from 'path';

import { tasks } from '../../../node-red/src/lib/tasks';
import { Sandbox, startSandbox } from '../../../sandbox/src';

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const helper: TestHelper = require('node-red-node-test-helper');
const express: () => ExpressLike = require('express');

const DIST = path.resolve(__dirname, '../../../node-red/dist');
const loadModule = (name: string): NodeModule => require(path.join(DIST, 'nodes', `${name}.js`));
const configModule = loadModule('memories-live-config');
const resultsModule = loadModule('memories-live-results');
const startModule = loadModule('memories-live-start');
const stopModule = loadModule('memories-live-stop');
/**
 * The process-wide task registry the bundled nodes share: this (the source module, run by
 * ts-jest) finds the very registry each bundle finds, as the bundles find each other's.
 */
export const registry = tasks;

type NodeModule = (RED: any) => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
interface ExpressLike extends Middleware {
	use(...args: unknown[]): void;
}
interface SpyCall {
	thisValue: unknown;
	args: any[];
}
interface Spy {
	getCalls(): SpyCall[];
}
export interface RedNode {
	id: string;
	type: string;
	receive(msg: Msg): void;
	on(event: string, listener: (...args: any[]) => void): void;
	off(event: string, listener: (...args: any[]) => void): void;
	[key: string]: unknown;
}
interface TestHelper {
	settings(userSettings?: Record<string, unknown>): Record<string, unknown>;
	load(nodes: NodeModule[], flow: object[], credentials?: Record<string, object>): Promise<void>;
	unload(): Promise<void>;
	startServer(): Promise<void>;
	stopServer(): Promise<void>;
	getNode(id: string): RedNode;
	url(): string;
	log(): Spy;
	_app: ExpressLike;
	_events: { once(event: string, listener: (...args: unknown[]) => void): void };
	_redNodes: { setFlows(flow: object[], credentials: object, type: string): Promise<unknown> };
	_NodePrototype: Record<string, Spy>;
}
export type { TrackedTask } from '../../../node-red/src/lib/tasks';
export type Msg = { payload?: any; topic?: string; task_id?: string; [key: string]: any };

/**
 * A callback URL as the start node handed it out, without the start's marker (`&start_id=`, one
 * of 22 URL-safe characters per start), which it checks is there.
 */
export function withoutStartId(url: string): string {
	const marker = /&start_id=[A-Za-z0-9_-]{22}$/.exec(url);
	if (!marker) throw new Error(`no start marker at the end of ${url}`);
	return url.slice(0, marker.index);
}

export const KEY = 'sk-mai-nodered-test-key-0001';
export const OTHER_KEY = 'sk-mai-nodered-test-key-0002';
export const SECRET = 'results-secret-0123456789-abcdef';
export const OTHER_SECRET = 'results-secret-fedcba9876-543210';
export const RESULTS_PATH = '/memories/results';
export const RTMP = 'rtmp://camera.example.com:1935/live/kitchen';
export const PROMPT = 'Tell me when the pan is boiling over.';
export const INTERVAL_MS = 40;
/** The documented Stop output's messages. */
export const STOPPED = 'Stopped: no more results will arrive and billing has ended.';
export const NOT_FOUND = 'Not found or already stopped: nothing was running under this task ID.';
export const NOT_STOPPED = 'Could not stop: the stream may still be running and billing. Stop it again with this task ID.';

// ---------------------------------------------------------------------------------------------
// Messages as Node-RED shows them: the node modules' own en-US catalogues (the helper's RED._
// only echoes keys). Keys the code asks for that the catalogues lack are recorded.
const catalogue: Record<string, unknown> = {};
const localeDir = path.join(DIST, 'nodes', 'locales', 'en-US');
for (const file of fs.readdirSync(localeDir).filter((f) => f.endsWith('.json'))) Object.assign(catalogue, JSON.parse(fs.readFileSync(path.join(localeDir, file), 'utf8')));
export const missingMessageKeys = new Set<string>();

/** The text Node-RED shows for `key` (i18next with Node-RED's `__name__` interpolation). */
export function t(key: string, substitutions: Record<string, unknown> = {}): string {
	const value = key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), catalogue);
	if (typeof value !== 'string') {
		missingMessageKeys.add(key);
		return key;
	}
	return value.replace(/__([A-Za-z0-9_]+)__/g, (match, name: string) => (name in substitutions ? String(substitutions[name]) : match));
}

// ---------------------------------------------------------------------------------------------
// The runtime and its HTTP server.
let red: any;
let nodeApp: ExpressLike | undefined;
/** When true, the next load hides RED.httpNode (a runtime that serves no HTTP nodes). */
let withoutHttpNode = false;

const capture =
	(module: NodeModule): NodeModule =>
	(RED) => {
		red = RED;
		RED._ = t;
		if (withoutHttpNode) RED.httpNode = undefined;
		return module(RED);
	};
const NODE_MODULES = [capture(configModule), resultsModule, startModule, stopModule];

/** Starts the helper's server once per test file; `settings` are Node-RED settings. */
export async function startNodeRed(settings: Record<string, unknown> = {}): Promise<void> {
	helper.settings(settings);
	await helper.startServer();
	// Node-RED mounts RED.httpNode at httpNodeRoot on its server; do the same on the helper's.
	helper._app.use((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) =>
		nodeApp ? nodeApp(req, res, next) : next(),
	);
}

export async function stopNodeRed(): Promise<void> {
	await helper.stopServer();
}

/** Replaces the runtime settings for the next load (merged with Node-RED's defaults). */
export function useSettings(settings: Record<string, unknown>): void {
	helper.settings(settings);
}

let loaded = false;
const SPIED = ['status', 'error', 'warn', 'log', 'debug', 'send'] as const;
type Spied = (typeof SPIED)[number];
const nodeSpies = {} as Record<Spied, Spy>;
let runtimeLogSpy: Spy | undefined;

export async function load(flowNodes: object[], credentials: Record<string, object> = {}, options: { httpNode?: boolean } = {}): Promise<void> {
	withoutHttpNode = options.httpNode === false;
	loaded = true;
	// Cloned: Node-RED keeps (and on redeploy edits) the very object it loads credentials from.
	await helper.load(NODE_MODULES, flowNodes, structuredClone(credentials));
	// Kept beyond unload (which restores the spied methods), for checks after a shutdown.
	for (const method of SPIED) nodeSpies[method] = helper._NodePrototype[method];
	runtimeLogSpy = helper.log();
	const root = helper.settings().httpNodeRoot;
	if (red?.httpNode && root !== false) {
		const outer = express();
		outer.use(typeof root === 'string' ? root : '/', red.httpNode);
		nodeApp = outer;
	} else {
		nodeApp = undefined;
	}
}

/**
 * A redeploy (full by default): the runtime closes the old nodes (with the spies still in
 * place, unlike unload) and starts the new ones. Resolves once the new flows have started,
 * however long the old nodes took to close.
 */
export async function redeploy(flowNodes: object[], credentials: Record<string, object> = {}, type = 'full'): Promise<void> {
	const started = new Promise((resolve) => helper._events.once('flows:started', resolve));
	await helper._redNodes.setFlows(flowNodes, structuredClone(credentials), type);
	await started;
}

/** Unloads the flows (closing every node) and forgets what the task registry still holds. */
export async function unload(): Promise<void> {
	if (!loaded) return;
	loaded = false;
	await helper.unload();
	nodeApp = undefined;
	for (const task of registry.list()) registry.remove(task.taskId);
	for (const attempt of registry.startAttempts(() => true)) registry.endStart(attempt.startId);
}

export const node = (id: string): RedNode => {
	const found = helper.getNode(id);
	if (!found) throw new Error(`no node ${id} in the flow`);
	return found;
};
export const nodeRedUrl = (): string => helper.url();

// ---------------------------------------------------------------------------------------------
// Flows.
export const TAB = 'tab1';
/** In a tab, Node-RED takes nodes without a position for config nodes: give flow nodes one. */
const inTab = (n: object) => ((n as { type?: string }).type === 'memories-live-config' ? { z: TAB, ...n } : { z: TAB, x: 100, y: 100, ...n });

export function flow(...nodes: object[]): object[] {
	return [{ id: TAB, type: 'tab', label: 'memories.ai' }, ...nodes.map(inTab)];
}

export function configNode(sandbox: Sandbox, overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return { id: 'cfg', type: 'memories-live-config', name: 'account', baseUrl: sandbox.url, publicUrl: helper.url(), ...overrides };
}

export function resultsNode(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		id: 'res',
		type: 'memories-live-results',
		name: '',
		path: RESULTS_PATH,
		emit: 'all',
		keywords: '',
		regex: '',
		caseSensitive: false,
		ignoreDuplicates: true,
		wires: [['out'], ['end']],
		...overrides,
	};
}

export function startNode(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		id: 'start',
		type: 'memories-live-start',
		name: '',
		config: 'cfg',
		callbackMode: 'results',
		results: 'res',
		callbackUrl: '',
		rtmpUrl: RTMP,
		userPrompt: PROMPT,
		systemPrompt: '',
		thinking: false,
		maxDuration: 0,
		stopOnClose: true,
		wires: [['started']],
		...overrides,
	};
}

export function stopNode(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		id: 'stop',
		type: 'memories-live-stop',
		name: '',
		config: 'cfg',
		target: 'msg',
		taskId: '',
		failIfNotFound: false,
		wires: [['stopped']],
		...overrides,
	};
}

export const helperNode = (id: string) => ({ id, type: 'helper' });

/** Config, results and start nodes with helper nodes on every output: the end-to-end loop. */
export function loopFlow(sandbox: Sandbox, options: { config?: object; results?: object; start?: object; stop?: object; extra?: object[] } = {}) {
	return flow(
		configNode(sandbox, options.config as Record<string, unknown>),
		resultsNode(options.results as Record<string, unknown>),
		startNode(options.start as Record<string, unknown>),
		stopNode(options.stop as Record<string, unknown>),
		helperNode('out'),
		helperNode('end'),
		helperNode('started'),
		helperNode('stopped'),
		...(options.extra ?? []),
	);
}

export const CREDENTIALS = { cfg: { apiKey: KEY }, res: { secret: SECRET } };

// ---------------------------------------------------------------------------------------------
// Waiting for things, by event.

/** Every message a (helper) node receives from now on. */
export class Inbox {
	readonly messages: Msg[] = [];
	private readonly waiters = new Set<() => void>();

	constructor(readonly nodeId: string) {
		node(nodeId).on('input', (msg: Msg) => {
			this.messages.push(msg);
			for (const waiter of [...this.waiters]) waiter();
		});
	}

	/** Calls `listener` with each message from now on; returns the unsubscribe function. */
	subscribe(listener: (msg: Msg) => void): () => void {
		const waiter = () => listener(this.messages[this.messages.length - 1]);
		this.waiters.add(waiter);
		return () => this.waiters.delete(waiter);
	}

	/** Resolves once `count` messages matching `predicate` have arrived (earlier ones count). */
	waitFor(count: number, predicate: (msg: Msg) => boolean = () => true, timeoutMs = 5000): Promise<Msg[]> {
		return new Promise((resolve, reject) => {
			const check = () => {
				const matching = this.messages.filter(predicate);
				if (matching.length < count) return false;
				clearTimeout(timer);
				this.waiters.delete(waiter);
				resolve(matching);
				return true;
			};
			const waiter = () => void check();
			const timer = setTimeout(() => {
				this.waiters.delete(waiter);
				reject(new Error(`${this.nodeId}: ${this.messages.filter(predicate).length} of ${count} expected messages within ${timeoutMs} ms`));
			}, timeoutMs);
			this.waiters.add(waiter);
			check();
		});
	}

	async next(predicate: (msg: Msg) => boolean = () => true, timeoutMs = 5000): Promise<Msg> {
		return (await this.waitFor(1, predicate, timeoutMs))[0];
	}
}

export const inboxes = (...ids: string[]): Inbox[] => ids.map((id) => new Inbox(id));

/** The calls of one Node.prototype method made by one node (also after the flows were unloaded). */
export function calls(n: RedNode, method: Spied): any[][] {
	return nodeSpies[method]
		.getCalls()
		.filter((c) => c.thisValue === n)
		.map((c) => c.args);
}

export const statuses = (n: RedNode): Array<{ fill?: string; shape?: string; text?: string }> => calls(n, 'status').map((a) => a[0]);
export const lastStatus = (n: RedNode) => statuses(n).at(-1);

/** Resolves with the arguments of the first (earlier or future) call for which `predicate` holds. */
export function waitForCall(
	n: RedNode,
	method: Spied,
	predicate: (args: any[]) => boolean = () => true,
	timeoutMs = 5000,
): Promise<any[]> {
	const earlier = calls(n, method).find(predicate);
	if (earlier) return Promise.resolve(earlier);
	return new Promise((resolve, reject) => {
		const listener = (call: SpyCall) => {
			if (!predicate(call.args)) return;
			clearTimeout(timer);
			n.off(`call:${method}`, listener);
			resolve(call.args);
		};
		const timer = setTimeout(() => {
			n.off(`call:${method}`, listener);
			reject(new Error(`${n.id}: no matching ${method}() call within ${timeoutMs} ms`));
		}, timeoutMs);
		n.on(`call:${method}`, listener);
	});
}

/** Waits for the node's status to satisfy `predicate` (checks the current one first). */
export function waitForStatus(n: RedNode, predicate: (status: { fill?: string; shape?: string; text?: string }) => boolean, timeoutMs = 5000) {
	const current = lastStatus(n);
	if (current && predicate(current)) return Promise.resolve(current);
	return waitForCall(n, 'status', (args) => predicate(args[0] ?? {}), timeoutMs).then((args) => args[0]);
}

let sequence = 0;

export type Outcome = { ok: true; msg: Msg } | { ok: false; error: Error; msg: Msg };

/**
 * Sends `msg` to the node and resolves with what became of it: the message it sent on `output`
 * (a helper node's inbox), or the error it reported with done(err).
 */
export function run(nodeId: string, output: Inbox, msg: Msg = {}, timeoutMs = 10000): Promise<Outcome> {
	const target = node(nodeId);
	const mark = `run-${++sequence}`;
	return new Promise((resolve, reject) => {
		const finish = (outcome: Outcome) => {
			clearTimeout(timer);
			unsubscribe();
			target.off('call:error', onError);
			resolve(outcome);
		};
		const unsubscribe = output.subscribe((m) => {
			if (m._run === mark) finish({ ok: true, msg: m });
		});
		const onError = (call: SpyCall) => {
			if (call.thisValue === target && call.args[1]?._run === mark) finish({ ok: false, error: call.args[0], msg: call.args[1] });
		};
		const timer = setTimeout(() => {
			unsubscribe();
			target.off('call:error', onError);
			reject(new Error(`${nodeId}: neither sent nor failed within ${timeoutMs} ms`));
		}, timeoutMs);
		target.on('call:error', onError);
		target.receive({ ...msg, _run: mark });
	});
}

export async function expectSent(nodeId: string, output: Inbox, msg: Msg = {}): Promise<Msg> {
	const outcome = await run(nodeId, output, msg);
	if (!outcome.ok) throw new Error(`expected ${nodeId} to send, it failed: ${outcome.error.message}`);
	return outcome.msg;
}

export async function expectFailure(nodeId: string, output: Inbox, msg: Msg = {}): Promise<Error> {
	const outcome = await run(nodeId, output, msg);
	if (outcome.ok) throw new Error(`expected ${nodeId} to fail, it sent ${JSON.stringify(outcome.msg.payload)}`);
	return outcome.error;
}

/** Resolves once the sandbox recorded `count` deliveries for the task (earlier ones count). */
export function deliveriesOf(sandbox: Sandbox, taskId: string, count: number, timeoutMs = 5000) {
	const have = sandbox.deliveries({ taskId });
	if (have.length >= count) return Promise.resolve(have);
	return sandbox
		.waitFor('delivery', (r) => r.taskId === taskId && sandbox.deliveries({ taskId }).length >= count, timeoutMs)
		.then(() => sandbox.deliveries({ taskId }));
}

/**
 * The usual hooks: one Node-RED server per file, a fresh sandbox per test, and everything
 * unloaded and closed after each test (nodes first: their close handlers call the sandbox).
 */
export function useSuite(settings: Record<string, unknown> = {}, sandboxOptions: Parameters<typeof startSandbox>[0] = {}) {
	const env = {} as { sandbox: Sandbox };
	beforeAll(() => startNodeRed(settings));
	afterAll(() => stopNodeRed());
	beforeEach(async () => {
		missingMessageKeys.clear();
		env.sandbox = await newSandbox(sandboxOptions);
	});
	afterEach(async () => {
		await unload();
		await env.sandbox.close();
		useSettings(settings);
		// Every message the nodes asked for exists in their catalogues.
		expect([...missingMessageKeys]).toEqual([]);
	});
	return env;
}

export function newSandbox(options: Parameters<typeof startSandbox>[0] = {}): Promise<Sandbox> {
	return startSandbox({ intervalMs: INTERVAL_MS, keys: [KEY, OTHER_KEY], ...options });
}

/** Every string that the nodes logged, showed or reported, for leak checks. */
export function everythingShown(): string {
	const parts: string[] = [];
	const text = (value: unknown): string =>
		value instanceof Error ? `${value.name} ${value.message} ${value.stack ?? ''}` : typeof value === 'string' ? value : JSON.stringify(value) ?? '';
	for (const spy of [...Object.values(nodeSpies), runtimeLogSpy]) for (const call of spy?.getCalls() ?? []) parts.push(...call.args.map(text));
	return parts.join('\n');
}
