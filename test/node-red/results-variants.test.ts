// What the service may plausibly send once the secret matched, through the results node's real
// route: read as the documented payload, never refused on form. And the editor API's body
// parsers, which a real Node-RED runs before any node route, kept off callback requests.
import { AddressInfo } from 'net';
import http from 'http';
import { brotliCompressSync, gzipSync } from 'zlib';

import { keepCallbackBodiesRaw, keptUnread } from '../../node-red/src/lib/raw-bodies';
import * as h from './support/harness';
import { callbackUrl, result, send } from './support/http';

const env = h.useSuite();

const url = (query = '') => `${callbackUrl(h.nodeRedUrl(), h.RESULTS_PATH, { token: h.SECRET })}${query}`;
const payload = (taskId: string, text: string) => JSON.stringify(result(taskId, text));

/** Sends `body` with exactly these headers (no defaults). */
function raw(target: string, body: Buffer, headers: Record<string, string>): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = http.request(target, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
			res.resume();
			resolve(res.statusCode ?? 0);
		});
		req.on('error', reject);
		req.end(body);
	});
}

async function loadResults() {
	await h.load(h.flow(h.configNode(env.sandbox), h.resultsNode({ ignoreDuplicates: false }), h.helperNode('out'), h.helperNode('end')), h.CREDENTIALS);
	return h.inboxes('out', 'end');
}

describe('variants of the service, through the route', () => {
	it.each([
		['text/plain', 'text/plain'],
		['text/plain;charset=UTF-8', 'text/plain;charset=UTF-8'],
		['form (HttpURLConnection’s default)', 'application/x-www-form-urlencoded'],
		['octet-stream', 'application/octet-stream'],
	])('JSON declared as %s, with "+" and "[" in it, arrives intact', async (_name, contentType) => {
		const [out] = await loadResults();
		const text = 'A + B [pan] 100% boiling & steaming = true';
		expect((await send(url(), { body: payload('t-form', text), contentType })).status).toBe(200);
		expect((await out.next()).payload).toMatchObject({ task_id: 't-form', text, timestamp: '2025-10-22T12:00:45.000Z' });
	});

	it('a byte order mark, gzip and brotli bodies; an encoding nobody can decode is 415', async () => {
		const [out] = await loadResults();
		const body = (text: string) => Buffer.from(payload(`t-${text}`, text));
		expect(await raw(url(), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body('bom')]), { 'content-type': 'application/json' })).toBe(200);
		expect(await raw(url(), gzipSync(body('gzip')), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).toBe(200);
		expect(await raw(url(), brotliCompressSync(body('br')), { 'content-type': 'text/plain', 'content-encoding': 'br' })).toBe(200);
		expect(await raw(url(), body('zip'), { 'content-type': 'application/json', 'content-encoding': 'compress' })).toBe(415);
		const texts = (await out.waitFor(3)).map((m) => m.payload.text);
		expect(texts.sort()).toEqual(['bom', 'br', 'gzip']);
	});

	it('the service’s own ?task_id= after our query (a second "?"), and &task_id=', async () => {
		const [out] = await loadResults();
		expect((await send(url(`?task_id=t-q1`), { body: payload('t-q1', 'second question mark') })).status).toBe(200);
		expect((await send(url(`&task_id=t-q2`), { body: payload('t-q2', 'ampersand') })).status).toBe(200);
		const [a, b] = await out.waitFor(2);
		expect([a.payload.task_id, b.payload.task_id]).toEqual(['t-q1', 't-q2']);
	});

	it('status as a string, a numeric task id (over 2^53 too), a missing text, data null on an end', async () => {
		const [out, end] = await loadResults();
		const bodies = [
			'{"status":"0","task_id":"t-s","data":{"text":"string status","timestamp":"2025-10-22T12:00:45"}}',
			'{"status":0,"task_id":1761134445123001,"data":{"text":"numeric id","timestamp":"2025-10-22 12:00:45"}}',
			'{"status":0,"task_id":12345678901234567890,"data":{"text":"long id"}}',
			'{"status":0,"task_id":"t-n","data":{"text":null}}',
		];
		for (const body of bodies) expect((await send(url(), { body })).status).toBe(200);
		expect((await send(url(), { body: '{"status":2001,"task_id":"t-end","data":null}' })).status).toBe(200);
		const results = (await out.waitFor(4)).map((m) => m.payload);
		expect(results).toEqual([
			expect.objectContaining({ task_id: 't-s', text: 'string status', timestamp: '2025-10-22T12:00:45.000Z' }),
			expect.objectContaining({ task_id: '1761134445123001', text: 'numeric id', timestamp: '2025-10-22T12:00:45.000Z' }),
			expect.objectContaining({ task_id: '12345678901234567890', text: 'long id', timestamp: null }),
			expect.objectContaining({ task_id: 't-n', text: '' }),
		]);
		expect((await end.next()).payload).toEqual({ event: 'stream_ended', task_id: 't-end', status: 2001, text: '', timestamp: null, ended: true });
	});
});

describe('the editor API’s body parsers (raw-bodies.ts)', () => {
	/** Node-RED's shape: the editor API's app with its parsers, RED.httpAdmin mounted in it, the node routes after. */
	async function nodeRedLike() {
		const express = require('express');
		const bodyParser = require('body-parser');
		const server = express();
		const editorApi = express();
		editorApi.use(bodyParser.json());
		editorApi.use(bodyParser.urlencoded({ extended: true }));
		const httpAdmin = express();
		editorApi.use(httpAdmin);
		const parsedElsewhere: unknown[] = [];
		editorApi.post('/elsewhere', (req: { body?: unknown }, res: http.ServerResponse) => {
			parsedElsewhere.push(req.body);
			res.end();
		});
		const seen: Array<{ unread: boolean; parsed: unknown; raw: string }> = [];
		const httpNode = express();
		httpNode.post('/memories/results', (req: http.IncomingMessage & { body?: unknown }, res: http.ServerResponse) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				seen.push({ unread: keptUnread(req), parsed: req.body, raw: Buffer.concat(chunks).toString() });
				res.end();
			});
		});
		server.use('/', editorApi);
		server.use('/', httpNode);
		keepCallbackBodiesRaw(httpAdmin, (path) => path === '/memories/results');
		const listening = http.createServer(server).listen(0, '127.0.0.1');
		await new Promise((resolve) => listening.once('listening', resolve));
		const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
		return { base, seen, parsedElsewhere, close: () => new Promise((resolve) => listening.close(resolve)) };
	}

	it('keeps them off our callback paths (the route reads the bytes), and only off those', async () => {
		const red = await nodeRedLike();
		try {
			const body = payload('t-raw', 'a + b [c]');
			expect(await raw(`${red.base}/memories/results?token=x`, Buffer.from(body), { 'content-type': 'application/x-www-form-urlencoded' })).toBe(200);
			expect(await raw(`${red.base}/memories/results?token=x`, Buffer.from(body), { 'content-type': 'application/json' })).toBe(200);
			expect(red.seen).toEqual([
				{ unread: true, parsed: undefined, raw: body },
				{ unread: true, parsed: undefined, raw: body },
			]);
			// Another path keeps the editor API's parsing (its own routes need it).
			expect(await raw(`${red.base}/elsewhere`, Buffer.from(body), { 'content-type': 'application/json' })).toBe(200);
			expect(red.parsedElsewhere).toEqual([JSON.parse(body)]);
		} finally {
			await red.close();
		}
	});
});
