// The receivers' rule: once the secret matched, whatever the service may plausibly send is read as
// the documented payload, and only what cannot be read is refused. Cases of our own (the table in
// core/callback.ts and core/callback-body.ts), then every callback variant of the sandbox's
// catalogue as it goes on the wire. Timestamps without a zone are UTC whatever the host's TZ.
import { execFileSync } from 'child_process';
import { buildSync } from 'esbuild';
import path from 'path';
import { gzipSync } from 'zlib';

import { CallbackRequest, ContentDecoder, checkCallback, normaliseTimestamp, parseCallbackBody, parseCallbackPayload } from '../../core';
import { VARIANTS, timestampInstant } from '../../sandbox/src';
import { callbackJson, callbackUrl, wireBody } from '../../sandbox/src/variants';

const SECRET = 'variants-secret-0123456789abcdef';
const TASK = '5347085a-1111';
const TS = '2025-10-22T12:00:45.000Z';
const documented = { status: 0, task_id: TASK, data: { text: 'The chef is frying vegetables.', timestamp: '2025-10-22T12:00:45Z' } };
const result = (overrides: Record<string, unknown> = {}) => ({
	ok: true,
	event: { taskId: TASK, status: 0, text: 'The chef is frying vegetables.', timestamp: TS, ended: false, ...overrides },
});

/**
 * `normaliseTimestamp` of each text in a Node process whose time zone is `tz` (a jest worker's
 * zone cannot be changed from inside it): the core bundled from source by esbuild.
 */
function timestampsIn(tz: string, texts: string[]): { offset: number; results: Array<string | null> } {
	const { outputFiles } = buildSync({ entryPoints: [path.join(__dirname, '../../core/callback.ts')], bundle: true, write: false, platform: 'node', format: 'cjs' });
	const script = `${outputFiles[0].text}
const texts = JSON.parse(process.argv[1]);
process.stdout.write(JSON.stringify({ offset: new Date(2025, 0, 1).getTimezoneOffset(), results: texts.map((t) => module.exports.normaliseTimestamp(t)) }));`;
	return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(texts)], { env: { ...process.env, TZ: tz }, encoding: 'utf8' }));
}

/** A request as a host that reads bodies itself sees it. */
function request(body: string | Uint8Array, parts: Partial<CallbackRequest> = {}): CallbackRequest {
	return { method: 'POST', query: { token: SECRET }, url: `/memories/results?token=${SECRET}`, body: { raw: body }, ...parts };
}
const bytes = (text: string) => new TextEncoder().encode(text);
const json = JSON.stringify(documented);

describe('bodies whatever their declared type', () => {
	it.each([
		'application/json',
		'application/json;charset=UTF-8',
		'text/plain',
		'text/plain;charset=UTF-8',
		'application/x-www-form-urlencoded',
		'application/octet-stream',
		'text/html',
		undefined,
	])('reads JSON declared as %s', async (contentType) => {
		await expect(checkCallback(request(bytes(json), { contentType }), [SECRET])).resolves.toMatchObject({ ...result(), matched: 0 });
	});

	it('drops a UTF-8 or UTF-16 byte order mark, reads the declared charset', () => {
		expect(parseCallbackBody(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(json)]), 'application/json')).toEqual(result());
		const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]);
		expect(parseCallbackBody(new Uint8Array(utf16), 'text/plain')).toEqual(result());
		const latin1 = Buffer.from(JSON.stringify({ ...documented, data: { ...documented.data, text: 'crème brûlée' } }), 'latin1');
		expect(parseCallbackBody(new Uint8Array(latin1), 'text/plain; charset=ISO-8859-1')).toEqual(result({ text: 'crème brûlée' }));
		expect(parseCallbackBody(`\uFEFF${json}`, 'application/json')).toEqual(result());
	});

	it('reads form bodies: the payload’s fields (brackets or dots for data), or a field holding the JSON', () => {
		const form = 'application/x-www-form-urlencoded';
		const text = encodeURIComponent('The chef is frying vegetables.');
		expect(parseCallbackBody(`status=0&task_id=${TASK}&data[text]=${text}&data[timestamp]=2025-10-22T12:00:45Z`, form)).toEqual(result());
		expect(parseCallbackBody(`status=0&task_id=${TASK}&data.text=${text}&data.timestamp=2025-10-22T12%3A00%3A45Z`, form)).toEqual(result());
		expect(parseCallbackBody(`status=0&task_id=${TASK}&text=${text}&timestamp=1761134445`, form)).toEqual(result());
		expect(parseCallbackBody(`payload=${encodeURIComponent(json)}`, form)).toEqual(result());
		expect(parseCallbackBody('status=0&task_id=a%2Fb', form)).toMatchObject({ ok: false, httpStatus: 400 });
	});

	it('reads JSON encoded twice (a JSON string holding the object)', () => {
		expect(parseCallbackBody(JSON.stringify(json), 'application/json')).toEqual(result());
	});

	it('reads a body a framework’s form parser made into one key', async () => {
		await expect(checkCallback({ ...request(''), contentType: 'application/x-www-form-urlencoded', body: { parsed: { [json]: '' } } }, [SECRET])).resolves.toMatchObject(result());
	});

	it('decodes a Content-Encoding the host offers to decode; refuses one it cannot, and a bomb', async () => {
		const gunzip: ContentDecoder = (raw, encoding, maxBytes) => {
			if (encoding !== 'gzip') return undefined;
			const out = require('zlib').gunzipSync(raw, { maxOutputLength: maxBytes + 1 }) as Buffer;
			return out.length > maxBytes ? 'too_large' : new Uint8Array(out);
		};
		const zipped = new Uint8Array(gzipSync(json));
		await expect(checkCallback(request(zipped, { contentEncoding: 'gzip', decodeContent: gunzip }), [SECRET])).resolves.toMatchObject(result());
		await expect(checkCallback(request(zipped, { contentEncoding: 'br', decodeContent: gunzip }), [SECRET])).resolves.toMatchObject({ ok: false, httpStatus: 415, matched: 0 });
		await expect(checkCallback(request(zipped, { contentEncoding: 'gzip' }), [SECRET])).resolves.toMatchObject({ ok: false, httpStatus: 415 });
		const bomb = new Uint8Array(gzipSync(Buffer.alloc(2_000_000, 0x20)));
		const safeGunzip: ContentDecoder = (raw, encoding, maxBytes) => {
			try {
				return new Uint8Array(require('zlib').gunzipSync(raw, { maxOutputLength: maxBytes }));
			} catch {
				return 'too_large';
			}
		};
		await expect(checkCallback(request(bomb, { contentEncoding: 'gzip', decodeContent: safeGunzip }), [SECRET])).resolves.toMatchObject({ ok: false, httpStatus: 413 });
	});

	it.each([
		['empty', '', 400],
		['whitespace', ' \n ', 400],
		['not JSON', 'hello there', 400],
		['cut off', '{"status":0,"task_id":', 400],
		['XML', '<callback><status>0</status></callback>', 415],
		['an array', `[${json}]`, 400],
		['a number', '42', 400],
		['null', 'null', 400],
	])('refuses what cannot be read: %s', (_name, body, httpStatus) => {
		expect(parseCallbackBody(body, _name === 'XML' ? 'application/xml' : 'text/plain')).toMatchObject({ ok: false, httpStatus });
	});
});

describe('payload variants', () => {
	it.each([
		['status as a string', { ...documented, status: '0' }, {}],
		['status as a string with spaces', { ...documented, status: ' 14 ' }, { status: 14, ended: true }],
		['a numeric task id', { ...documented, task_id: 1761134445123001 }, { taskId: '1761134445123001' }],
		['taskId (camelCase)', { status: 0, taskId: TASK, data: documented.data }, {}],
		['text null on a result', { ...documented, data: { text: null, timestamp: documented.data.timestamp } }, { text: '' }],
		['text missing on a result', { ...documented, data: { timestamp: documented.data.timestamp } }, { text: '' }],
		['no data on a result', { status: 0, task_id: TASK }, { text: '', timestamp: null }],
		['data null on a final callback', { status: 2001, task_id: TASK, data: null }, { status: 2001, text: '', timestamp: null, ended: true }],
		['text and timestamp at the top level', { status: 0, task_id: TASK, text: documented.data.text, timestamp: documented.data.timestamp }, {}],
		['data as a JSON string', { ...documented, data: JSON.stringify(documented.data) }, {}],
		['data as the text itself', { status: 0, task_id: TASK, data: 'The chef is frying vegetables.' }, { timestamp: null }],
		['text as a number', { ...documented, data: { text: 42, timestamp: documented.data.timestamp } }, { text: '42' }],
		['text as an object', { ...documented, data: { text: { pan: 'boiling' }, timestamp: documented.data.timestamp } }, { text: '{"pan":"boiling"}' }],
		['extra fields everywhere', { ...documented, request_id: 'r1', seq: 3, data: { ...documented.data, frame_index: 3, meta: { labels: ['a'] } } }, {}],
		['a {code, msg, data} envelope', { code: '0000', msg: 'ok', success: true, data: { task_id: TASK, text: documented.data.text, timestamp: documented.data.timestamp } }, {}],
		['a {code: 0, data} envelope with a status inside', { code: 0, msg: 'ok', data: { ...documented } }, {}],
	])('reads %s', (_name, payload, overrides) => {
		expect(parseCallbackPayload(payload)).toEqual(result(overrides));
	});

	it('keeps every digit of a task id over 2^53 in raw JSON; refuses one a host’s parser already rounded', () => {
		const raw = `{"status":0,"task_id":12345678901234567890,"data":{"text":"The chef is frying vegetables.","timestamp":"2025-10-22T12:00:45Z"}}`;
		expect(parseCallbackBody(raw, 'application/json')).toEqual(result({ taskId: '12345678901234567890' }));
		expect(parseCallbackPayload(JSON.parse(raw))).toMatchObject({ ok: false, httpStatus: 400, reason: /too large to be read exactly/ });
	});

	it('takes the task id from the service’s own ?task_id= when the body has none', async () => {
		const body = JSON.stringify({ status: 0, data: documented.data });
		await expect(checkCallback(request(body, { url: `/memories/results?token=${SECRET}?task_id=${TASK}` }), [SECRET])).resolves.toMatchObject(result());
		await expect(checkCallback(request(body), [SECRET])).resolves.toMatchObject({ ok: false, httpStatus: 400, matched: 0 });
	});
});

describe('the callback URL as the service may send it', () => {
	it.each([
		['?token=X?task_id=Y (a second ?)', `/cb?token=${SECRET}?task_id=${TASK}`, { token: `${SECRET}?task_id=${TASK}` }],
		['?token=X&task_id=Y', `/cb?token=${SECRET}&task_id=${TASK}`, { token: SECRET, task_id: TASK }],
		['the deadline between them', `/cb?token=${SECRET}&stop_at=1761134445?task_id=${TASK}`, { token: SECRET, stop_at: `1761134445?task_id=${TASK}` }],
	])('matches the secret in %s', async (_name, url, query) => {
		await expect(checkCallback(request(json, { url, query }), [SECRET])).resolves.toMatchObject({ ok: true, matched: 0 });
	});

	it('reads the deadline only once the secret matched, and only in the form our starts write it', async () => {
		const at = (url: string, query: Record<string, unknown> = { token: SECRET }) => checkCallback(request(json, { url, query }), [SECRET]);
		expect(await at(`/cb?token=${SECRET}&stop_at=1761134445?task_id=${TASK}`)).toMatchObject({ ok: true, event: { stopAt: 1761134445000 } });
		for (const junk of ['stop_at=soon', 'stop_at=-5', 'stop_at=1e9', 'stop_at=1&stop_at=2', 'stop_at=']) {
			const check = await at(`/cb?token=${SECRET}&${junk}`);
			expect(check.ok && check.event.stopAt).toBeUndefined();
		}
		expect(await at('/cb?token=wrong&stop_at=1', { token: 'wrong' })).toEqual({ ok: false, httpStatus: 401, reason: 'Missing or wrong "token" in the callback URL.' });
	});

	it('still refuses a repeated token, another parameter name, or a broken escape', async () => {
		for (const url of [`/cb?token=${SECRET}&token=${SECRET}`, `/cb?tok=${SECRET}`, `/cb?token=${SECRET.slice(0, -1)}%G1`, `/cb?token[]=${SECRET}`]) {
			expect(await checkCallback(request(json, { url, query: {} }), [SECRET])).toMatchObject({ ok: false, httpStatus: 401 });
		}
	});
});

describe('timestamps without a zone are UTC, whatever the host’s time zone', () => {
	const cases: Array<[string, string]> = [
		['2025-10-22T12:00:45', TS],
		['2025-10-22 12:00:45', TS],
		['2025-10-22T12:00:45.123', '2025-10-22T12:00:45.123Z'],
		['2025-10-22T12:00:45.123456', '2025-10-22T12:00:45.123Z'],
		['2025-10-22T12:00', '2025-10-22T12:00:00.000Z'],
		['2025-10-22', '2025-10-22T00:00:00.000Z'],
		['2025/10/22 12:00:45', TS],
		['Wed, 22 Oct 2025 12:00:45', TS],
		['2025-10-22T12:00:45Z', TS],
		['2025-10-22 12:00:45Z', TS],
		['2025-10-22T20:00:45+08:00', TS],
		['2025-10-22 20:00:45+08:00', TS],
		['2025-10-22T08:00:45-0400', TS],
		['2025-10-22T12:00:45.123000Z', '2025-10-22T12:00:45.123Z'],
		['Wed, 22 Oct 2025 12:00:45 GMT', TS],
		['1761134445', TS],
		['1761134445123', '2025-10-22T12:00:45.123Z'],
	];

	it.each(['America/New_York', 'Asia/Kolkata', 'UTC'])('in %s', (tz) => {
		const { offset, results } = timestampsIn(tz, cases.map(([text]) => text));
		expect(offset).toBe({ 'America/New_York': 300, 'Asia/Kolkata': -330, UTC: 0 }[tz]); // the zone is in effect
		expect(Object.fromEntries(cases.map(([text], i) => [text, results[i]]))).toEqual(Object.fromEntries(cases));
	});

	it('here too', () => {
		for (const [text, iso] of cases) expect(normaliseTimestamp(text)).toBe(iso);
	});
});

describe('every callback variant of the sandbox’s catalogue', () => {
	const callbackVariants = VARIANTS.filter((v) => v.targets.includes('callback') && v.dimension !== 'answer');
	const frameMs = Date.UTC(2025, 9, 22, 12, 0, 45, 123);

	it.each(callbackVariants.map((v) => [v.name, v.description]))('%s (%s) is read as the documented payload', async (name) => {
		const status = name === 'data_null' ? 14 : 0;
		const taskId = name === 'task_id_number' ? '1761134445123001' : TASK;
		const variants = [name];
		const wire = wireBody(callbackJson({ status, taskId, text: 'The chef is frying vegetables.', timestampMs: frameMs, frame: 3, intervalMs: 5000 }, variants), variants, 'application/json');
		const url = callbackUrl(`/memories/results?token=${SECRET}`, taskId, variants);
		const check = await checkCallback(
			{ method: 'POST', contentType: wire.contentType, url, query: { token: url.slice(url.indexOf('token=') + 6) }, body: { raw: new Uint8Array(wire.body) } },
			[SECRET],
		);
		const textless = name === 'text_null' || name === 'text_missing' || name === 'data_null';
		const timestamp = name === 'data_null' ? null : new Date(timestampInstant(frameMs, name)).toISOString();
		expect(check).toEqual({
			ok: true,
			matched: 0,
			event: { taskId, status, text: textless ? '' : 'The chef is frying vegetables.', timestamp, ended: status !== 0 },
		});
	});
});
