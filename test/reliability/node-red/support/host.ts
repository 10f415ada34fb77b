// A real Node-RED for the reliability suite: the packed package installed into a fresh userDir,
// flows deployed through the Admin API, what leaves the flow counted at a local sink.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import type { Sink, SinkRequest } from '../../../../scripts/lib/sink';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const nodeRedHost = require('../../../../scripts/lib/node-red-host');

export const ROOT = path.join(__dirname, '../../../..');

/** What the harness returns (scripts/lib/node-red-host.js, plain JS). */
export interface NodeRed {
	version: string;
	nodeVersion: string;
	baseUrl: string;
	adminUrl: string;
	httpNodeUrl: string;
	userDir: string;
	timings: { install: number; boot: number; total: number };
	pid(): number | undefined;
	logs(): string;
	logOffset(): number;
	waitForLog(re: RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<RegExpMatchArray>;
	admin(method: string, p: string, opts?: { body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; text: string; json: any }>;
	deploy(flows: unknown[], opts?: { type?: 'full' | 'nodes' | 'flows'; timeoutMs?: number }): Promise<{ rev: string }>;
	getFlows(): Promise<{ rev: string; flows: any[] }>;
	injectNode(id: string): Promise<void>;
	stop(opts?: { signal?: NodeJS.Signals }): Promise<{ code: number | null; signal: string | null; ms: number; killed: boolean }>;
}

/** `npm pack` of node-red/ (the tarball users install), into a fresh temp folder. */
export function packNodeRed(): { work: string; tarball: string } {
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rel-node-red-'));
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: path.join(ROOT, 'node-red'), encoding: 'utf8' }),
	)[0] as { filename: string; files: Array<{ path: string }> };
	const files = new Set(packed.files.map((f) => f.path));
	const missing = ['config', 'results', 'start', 'stop'].map((n) => `dist/nodes/memories-live-${n}.js`).filter((f) => !files.has(f));
	if (missing.length > 0) throw new Error(`node-red/dist is incomplete (${missing.join(', ')} missing): run \`npx gulp build:node-red\` first`);
	return { work, tarball: path.join(work, packed.filename) };
}

export interface HostOptions {
	tarball: string;
	version?: '4.1' | '5';
	httpNodeRoot?: string;
	httpAdminRoot?: string;
	logLevel?: 'info' | 'debug' | 'trace';
}

export async function startHost(options: HostOptions): Promise<NodeRed> {
	return nodeRedHost.startNodeRed({
		version: options.version ?? '4.1',
		tarballs: [options.tarball],
		httpNodeRoot: options.httpNodeRoot ?? '/',
		httpAdminRoot: options.httpAdminRoot ?? '/',
		settings: options.logLevel ? { logging: { console: { level: options.logLevel, metrics: false, audit: false } } } : {},
	});
}

/** Node-RED takes a node without x/y for a config node: place every flow node. */
export function placed(nodes: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
	return nodes.map((node, i) => (node.z ? { x: 120 + 160 * (i % 6), y: 60 + 60 * Math.floor(i / 6), ...node } : node));
}

/** An `http request` node POSTing msg.payload to `url`. */
export function toSink(id: string, z: string, url: string): Record<string, unknown> {
	return { ...nodeRedHost.sinkRequestNode({ id, z, url }), ret: 'txt' };
}

/**
 * A join node collecting msg.payload into arrays of up to `count` (or what came within
 * `timeoutS` of the first), then an http request node POSTing each array to `url`: one request per
 * batch, so the sink is never the bottleneck, and every message that entered is counted once.
 * @returns the two nodes; wire into `${id}`
 */
export function batchToSink(id: string, z: string, url: string, count = 200, timeoutS = 0.25): Array<Record<string, unknown>> {
	return [
		{
			id,
			type: 'join',
			z,
			name: `batch ${id}`,
			mode: 'custom',
			build: 'array',
			property: 'payload',
			propertyType: 'msg',
			key: 'topic',
			joiner: '\\n',
			joinerType: 'str',
			useparts: false,
			accumulate: false,
			timeout: String(timeoutS),
			count: String(count),
			reduceRight: false,
			reduceExp: '',
			reduceInit: '',
			reduceInitType: '',
			reduceFixup: '',
			wires: [[`${id}-req`]],
		},
		toSink(`${id}-req`, z, url),
	];
}

/** Catch (every node of the tab) → function → sink: what a Catch node receives, as JSON. */
export function catchToSink(id: string, z: string, url: string): Array<Record<string, unknown>> {
	return [
		{ id, type: 'catch', z, name: 'catch all', scope: null, uncaught: false, wires: [[`${id}-fn`]] },
		{
			id: `${id}-fn`,
			type: 'function',
			z,
			name: 'error as JSON',
			func: [
				'const e = msg.error || {};',
				'msg.payload = { message: e.message, code: e.code, kind: e.kind, cause: e.cause, source: e.source && { id: e.source.id, type: e.source.type } };',
				'return msg;',
			].join('\n'),
			outputs: 1,
			wires: [[`${id}-req`]],
		},
		toSink(`${id}-req`, z, url),
	];
}

/** Status (every node of the tab) → function → batched sink: every status text shown. */
export function statusToSink(id: string, z: string, url: string): Array<Record<string, unknown>> {
	return [
		{ id, type: 'status', z, name: 'all statuses', scope: null, wires: [[`${id}-fn`]] },
		{
			id: `${id}-fn`,
			type: 'function',
			z,
			name: 'status as JSON',
			func: 'msg.payload = { id: msg.status.source.id, type: msg.status.source.type, fill: msg.status.fill, text: msg.status.text };\nreturn msg;',
			outputs: 1,
			wires: [[`${id}-join`]],
		},
		...batchToSink(`${id}-join`, z, url, 500, 0.25),
	];
}

/** Every item that reached the sink at `route`: batches (arrays) are flattened. */
export function itemsAt<T = any>(sink: Sink, route: string): T[] {
	return sink.received
		.filter((r) => r.url === route)
		.flatMap((r) => (Array.isArray(r.json) ? (r.json as T[]) : [r.json as T]));
}

/** Resolves once `predicate` holds for the items at `route` (checked on every arrival). */
export function waitForItems<T = any>(
	sink: Sink,
	route: string,
	predicate: (items: T[]) => boolean,
	timeoutMs = 30000,
): Promise<T[]> {
	return new Promise((resolve, reject) => {
		const check = () => {
			const items = itemsAt<T>(sink, route);
			if (!predicate(items)) return false;
			clearTimeout(timer);
			sink.events.off('request', onRequest);
			resolve(items);
			return true;
		};
		const onRequest = (r: SinkRequest) => {
			if (r.url === route) check();
		};
		const timer = setTimeout(() => {
			sink.events.off('request', onRequest);
			reject(new Error(`sink ${route}: condition not met within ${timeoutMs} ms (${itemsAt(sink, route).length} items)`));
		}, timeoutMs);
		sink.events.on('request', onRequest);
		check();
	});
}

/** Lines in a Node-RED log that mean a crash or an error nobody handled. */
export function crashLines(logs: string): string[] {
	return logs
		.split('\n')
		.filter((line) => /Uncaught Exception|uncaughtException|Unhandled(Promise)?Rejection|unhandled rejection|FATAL|Segmentation fault|heap out of memory|\[red\] /i.test(line));
}

export interface Secret {
	name: string;
	value: string;
}

export interface LeakSource {
	scope: string;
	text: string;
}

export interface LeakHit {
	scope: string;
	secret: string;
	fragment: string;
	context: string;
}

/** The secret, and its first and last 16 characters (a cut-off secret leaks as much). */
function fragmentsOf(secret: Secret): string[] {
	const v = secret.value;
	return v.length <= 24 ? [v] : [v, v.slice(0, 16), v.slice(-16)];
}

/** Every occurrence of a secret (or a 16-character piece of it) in the sources. */
export function findSecrets(sources: LeakSource[], secrets: Secret[]): LeakHit[] {
	const hits: LeakHit[] = [];
	for (const source of sources) {
		for (const secret of secrets) {
			for (const fragment of fragmentsOf(secret)) {
				let at = source.text.indexOf(fragment);
				while (at >= 0) {
					hits.push({ scope: source.scope, secret: secret.name, fragment: fragment === secret.value ? 'whole' : 'part', context: source.text.slice(Math.max(0, at - 80), at + fragment.length + 40) });
					at = source.text.indexOf(fragment, at + fragment.length);
				}
			}
		}
	}
	return hits;
}

/**
 * What a secret must never be in: the Node-RED log, the exported flows (Admin API and the userDir's
 * flows.json), the credentials file (encrypted), the editor's credentials API, and everything the
 * flows sent to the sink (status texts, Catch messages, outputs). Call before red.stop() (the
 * userDir goes with it), and pass red.logs() again after the stop for the shutdown lines.
 */
export async function leakSources(red: NodeRed, sink: Sink, extra: LeakSource[] = []): Promise<LeakSource[]> {
	const sources: LeakSource[] = [];
	const flows = await red.getFlows();
	sources.push({ scope: 'GET /flows', text: JSON.stringify(flows) });
	for (const file of ['flows.json', 'flows_cred.json', '.config.runtime.json', '.config.nodes.json', 'settings.js']) {
		const full = path.join(red.userDir, file);
		if (fs.existsSync(full)) sources.push({ scope: `userDir/${file}`, text: fs.readFileSync(full, 'utf8') });
	}
	for (const node of flows.flows.filter((n) => n.type === 'memories-live-config' || n.type === 'memories-live-results')) {
		const answer = await red.admin('GET', `/credentials/${node.type}/${node.id}`);
		sources.push({ scope: `GET /credentials/${node.type}`, text: answer.text });
	}
	const byRoute = new Map<string, string[]>();
	for (const r of sink.received) byRoute.set(r.url, [...(byRoute.get(r.url) ?? []), r.body]);
	for (const [route, bodies] of byRoute) sources.push({ scope: `sink ${route}`, text: bodies.join('\n') });
	return [...sources, ...extra];
}

export function leakSummary(sources: LeakSource[], hits: LeakHit[]): Record<string, unknown> {
	return {
		scope: sources.map((s) => ({ scope: s.scope, bytes: Buffer.byteLength(s.text) })),
		hits: hits.length,
		hitScopes: [...new Set(hits.map((h) => `${h.scope}: ${h.secret}`))],
	};
}
