// Delivery variants: what the real service may plausibly send instead of the documented shape,
// per callback (faults) and for a whole run, checked on the wire by a real receiver.
import { interpretStartResponse } from '../../core';
import { Sandbox, startSandbox } from '../../sandbox/src';
import { get, post, start, startParams, stop } from '../support/api';
import { forTask, Receiver, Received, startReceiver } from './support/receiver';
import { deliveriesOf, deliveriesOfFrames } from './support/records';

const KEY = 'sk-test-1';
const INTERVAL = 30;
let sandbox: Sandbox;
let receiver: Receiver;

beforeEach(async () => {
	receiver = await startReceiver();
	sandbox = await startSandbox({ intervalMs: INTERVAL, keys: [KEY] });
});
afterEach(async () => {
	await sandbox.close();
	await receiver.close();
});

async function startTask(rtmpUrl?: string, callbackPath = '/cb?token=s3cret'): Promise<string> {
	const params = startParams(`${receiver.url}${callbackPath}`, rtmpUrl ? { rtmpUrl } : {});
	return interpretStartResponse(await start(sandbox.url, KEY, params)).taskId;
}

const records = (taskId: string, count: number) => deliveriesOf(sandbox, taskId, count);

type Payload = { status: unknown; task_id: unknown; data: { text?: unknown; timestamp?: unknown } | null } & Record<string, unknown>;
const payload = (r: Received) => r.json as Payload;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Whether a callback came exactly in the documented shape, to our URL unchanged. */
function isDocumented(r: Received): boolean {
	const p = payload(r);
	return (
		r.headers['content-type'] === 'application/json' &&
		r.headers['content-length'] === String(r.raw.length) &&
		r.raw[0] === 0x7b && // '{': no BOM
		r.url === '/cb?token=s3cret' &&
		p !== undefined &&
		Object.keys(p).join() === 'status,task_id,data' &&
		p.status === 0 &&
		typeof p.data?.text === 'string' &&
		/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(String(p.data?.timestamp))
	);
}

/**
 * Sends frame 1 of a new task with `variants` and returns it with frame 2. Two callbacks sent close
 * together may arrive in either order (under load both leave at once), so they are told apart by
 * their shape, and the sandbox's records say which frame carried the variants.
 */
async function withVariants(variants: string[]): Promise<{ taskId: string; odd: Received; next: Received }> {
	sandbox.injectFault({ on: 'callback', kind: 'variant', variants });
	const taskId = await startTask();
	const both = await receiver.waitFor(2, forTask(taskId));
	const next = both.find(isDocumented) ?? both[1];
	const odd = both.find((r) => r !== next)!;
	expect((await deliveriesOfFrames(sandbox, taskId, [1, 2])).map((d) => d.variants)).toEqual([variants, undefined]);
	return { taskId, odd, next };
}

function expectDocumented(r: Received, taskId: string): void {
	expect(r.headers['content-type']).toBe('application/json');
	expect(r.headers['content-length']).toBe(String(r.raw.length));
	expect(r.headers['transfer-encoding']).toBeUndefined();
	expect(r.raw.subarray(0, 1).toString()).toBe('{');
	expect(payload(r)).toEqual({
		status: 0,
		task_id: taskId,
		data: { text: expect.any(String), timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) },
	});
	expect(r.url).toBe('/cb?token=s3cret');
}

it('sends exactly the documented callback without variants, and records the instant its timestamp means', async () => {
	const taskId = await startTask();
	const [first] = await receiver.waitFor(1, forTask(taskId));
	expectDocumented(first, taskId);
	const sentAt = Date.parse(String(payload(first).data!.timestamp));
	while (!sandbox.deliveries({ taskId }).some((d) => d.scheduledAt === sentAt)) await sandbox.waitFor('delivery', (d) => d.taskId === taskId);
	const record = sandbox.deliveries({ taskId }).find((d) => d.scheduledAt === sentAt)!;
	expect(record.variants).toBeUndefined();
	expect(record.timestampMs).toBe(record.scheduledAt);
});

describe('per callback, one-shot', () => {
	it.each([
		['json_charset', 'application/json;charset=UTF-8'],
		['text_plain', 'text/plain'],
		['text_plain_charset', 'text/plain;charset=UTF-8'],
		['form', 'application/x-www-form-urlencoded'],
		['octet_stream', 'application/octet-stream'],
		['no_content_type', undefined],
	])('%s: Content-Type %s with the JSON body unchanged', async (variant, contentType) => {
		const { taskId, odd, next } = await withVariants([variant]);
		expect(odd.headers['content-type']).toBe(contentType);
		expect(JSON.parse(odd.raw.toString('utf8'))).toEqual({ status: 0, task_id: taskId, data: expect.objectContaining({ text: expect.any(String) }) });
		expectDocumented(next, taskId);
	});

	it('bom: a UTF-8 byte order mark before the JSON', async () => {
		const { taskId, odd, next } = await withVariants(['bom']);
		expect(odd.raw.subarray(0, 3)).toEqual(BOM);
		expect(() => JSON.parse(odd.raw.toString('utf8'))).toThrow(); // what a strict reader meets
		expect(JSON.parse(odd.raw.subarray(3).toString('utf8'))).toMatchObject({ status: 0, task_id: taskId });
		expect(odd.headers['content-length']).toBe(String(odd.raw.length));
		expectDocumented(next, taskId);
	});

	it('chunked: Transfer-Encoding chunked and no Content-Length', async () => {
		const { taskId, odd, next } = await withVariants(['chunked']);
		expect(odd.headers['transfer-encoding']).toBe('chunked');
		expect(odd.headers['content-length']).toBeUndefined();
		expect(payload(odd)).toMatchObject({ status: 0, task_id: taskId });
		expectDocumented(next, taskId);
	});

	it('status_string: "status": "0"', async () => {
		const { taskId, odd } = await withVariants(['status_string']);
		expect(odd.raw.toString()).toContain('"status":"0"');
		expect(payload(odd)).toMatchObject({ status: '0', task_id: taskId });
	});

	it.each([
		['text_null', (p: Payload) => expect(p.data).toEqual({ text: null, timestamp: expect.any(String) })],
		['text_missing', (p: Payload) => expect(p.data).toEqual({ timestamp: expect.any(String) })],
	])('%s with status 0', async (variant, check) => {
		const { odd } = await withVariants([variant]);
		expect(payload(odd).status).toBe(0);
		check(payload(odd));
	});

	it('extra_fields: unknown fields at the top level and in data, the documented ones unchanged', async () => {
		const { taskId, odd } = await withVariants(['extra_fields']);
		const p = payload(odd);
		expect(p).toMatchObject({ status: 0, task_id: taskId, data: { text: expect.any(String), timestamp: expect.any(String) } });
		const known = ['status', 'task_id', 'data'];
		expect(Object.keys(p).filter((k) => !known.includes(k)).length).toBeGreaterThan(0);
		expect(Object.keys(p.data!).filter((k) => k !== 'text' && k !== 'timestamp').length).toBeGreaterThan(0);
		expect(Object.values(p.data!).some((v) => typeof v === 'object' && v !== null)).toBe(true); // nested
	});

	it('data_null waits for the final callback', async () => {
		sandbox.injectFault({ on: 'callback', kind: 'variant', variants: ['data_null'] });
		const taskId = await startTask('rtmp://camera.example.com/live/x?frames=2');
		const received = await receiver.waitFor(3, forTask(taskId));
		const byStatus = received.map(payload).sort((a, b) => Number(a.status === -1) - Number(b.status === -1));
		expect(byStatus.slice(0, 2).every((p) => p.data !== null && typeof p.data.text === 'string')).toBe(true);
		expect(byStatus[2]).toEqual({ status: -1, task_id: taskId, data: null });
		expect((await records(taskId, 3)).find((d) => d.status === -1)).toMatchObject({ variants: ['data_null'], timestampMs: null });
		expect(sandbox.engine.faults.list()).toEqual([]);
	});

	// Each form read back by a rule of its own, independent of how the sandbox writes it.
	const seconds = (ms: number) => Math.floor(ms / 1000) * 1000;
	it.each([
		['ts_no_zone', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/, (v: unknown) => Date.parse(`${v}Z`), seconds],
		['ts_offset', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/, (v: unknown) => Date.parse(String(v)), seconds],
		['ts_fraction', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, (v: unknown) => Date.parse(String(v)), (ms: number) => ms],
		['ts_space', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, (v: unknown) => Date.parse(`${String(v).replace(' ', 'T')}Z`), seconds],
		['ts_epoch_s', 'number', (v: unknown) => (v as number) * 1000, seconds],
		['ts_epoch_ms', 'number', (v: unknown) => v as number, (ms: number) => ms],
		['ts_epoch_s_string', /^\d{10}$/, (v: unknown) => Number(v) * 1000, seconds],
		['ts_epoch_ms_string', /^\d{13}$/, (v: unknown) => Number(v), (ms: number) => ms],
	] as const)('%s', async (variant, form, read, precision) => {
		const { taskId, odd, next } = await withVariants([variant]);
		const value = payload(odd).data!.timestamp;
		if (form === 'number') expect(typeof value).toBe('number');
		else expect(value).toMatch(form);
		const [record] = await deliveriesOfFrames(sandbox, taskId, [1]);
		expect(read(value)).toBe(precision(record.scheduledAt));
		expect(record.timestampMs).toBe(read(value));
		expectDocumented(next, taskId);
	});

	it.each([
		['query_task_id', '/cb?token=s3cret', (id: string) => `/cb?token=s3cret?task_id=${id}`],
		['query_task_id_amp', '/cb?token=s3cret', (id: string) => `/cb?token=s3cret&task_id=${id}`],
		['query_task_id', '/cb', (id: string) => `/cb?task_id=${id}`],
		['query_task_id_amp', '/cb', (id: string) => `/cb?task_id=${id}`],
	])('%s onto %s', async (variant, path, expected) => {
		sandbox.injectFault({ on: 'callback', kind: 'variant', variants: [variant] });
		const taskId = await startTask(undefined, path);
		const urls = (await receiver.waitFor(2, forTask(taskId))).map((r) => r.url);
		expect(urls.sort()).toEqual([expected(taskId), path].sort()); // arrival order is the network's
		expect((await deliveriesOfFrames(sandbox, taskId, [1]))[0].variants).toEqual([variant]);
	});

	it('combines variants of different dimensions in one callback', async () => {
		const { taskId, odd } = await withVariants(['form', 'bom', 'chunked', 'status_string', 'ts_epoch_ms', 'query_task_id']);
		expect(odd.headers['content-type']).toBe('application/x-www-form-urlencoded');
		expect(odd.headers['transfer-encoding']).toBe('chunked');
		expect(odd.raw.subarray(0, 3)).toEqual(BOM);
		expect(payload(odd)).toMatchObject({ status: '0', data: { timestamp: expect.any(Number) } });
		expect(odd.url).toBe(`/cb?token=s3cret?task_id=${taskId}`);
	});

	it('hits "times" callbacks of the named task only, together with a delivery fault', async () => {
		const other = await startTask();
		const target = await startTask();
		sandbox.injectFault({ on: 'callback', kind: 'variant', variants: ['text_plain'], taskId: target, times: 2 });
		sandbox.injectFault({ on: 'callback', kind: 'duplicate', taskId: target });
		// Every record follows its receipt: once frames 1 (twice), 2 and 3 are recorded, all arrived.
		const recorded = () => sandbox.deliveries({ taskId: target }).filter((d) => d.frame <= 3);
		while (recorded().length < 4) await sandbox.waitFor('delivery', (d) => d.taskId === target);
		expect(recorded().map((d) => [d.frame, d.variants]).sort()).toEqual([[1, ['text_plain']], [1, ['text_plain']], [2, ['text_plain']], [3, undefined]]);
		const startedAt = Date.parse(sandbox.task(target)!.startedAt);
		const frameOf = (r: Received) => (Date.parse(String(payload(r).data!.timestamp)) - startedAt) / INTERVAL;
		const received = receiver.received.filter(forTask(target)).filter((r) => frameOf(r) <= 3);
		expect(received.map((r) => [frameOf(r), r.headers['content-type']]).sort()).toEqual([
			[1, 'text/plain'],
			[1, 'text/plain'],
			[2, 'text/plain'],
			[3, 'application/json'],
		]);
		const duplicates = received.filter((r) => frameOf(r) === 1);
		expect(duplicates[0].raw).toEqual(duplicates[1].raw); // the duplicate carries the same variant
		await receiver.waitFor(3, forTask(other));
		expect(receiver.received.filter(forTask(other)).every((r) => r.headers['content-type'] === 'application/json')).toBe(true);
	});

	it('refuses unknown variants, two of one dimension, and callback-only ones on API answers', async () => {
		expect(() => sandbox.injectFault({ on: 'callback', kind: 'variant', variants: ['xml'] })).toThrow(/unknown variant "xml"/);
		expect(() => sandbox.injectFault({ on: 'callback', kind: 'variant', variants: [] })).toThrow(/non-empty list/);
		expect(() => sandbox.injectFault({ on: 'callback', kind: 'variant', variants: ['text_plain', 'form'] })).toThrow(/same thing \(content_type\)/);
		expect(() => sandbox.injectFault({ on: 'start', kind: 'variant', variants: ['ts_no_zone'] })).toThrow(/callbacks only/);
		expect(() => sandbox.injectFault({ on: 'callback', kind: 'variant', variants: ['task_id_number'] })).toThrow(/numeric task ids/);
		const answer = await post(`${sandbox.url}/_sandbox/faults`, { on: 'callback', kind: 'variant', variants: ['nope'] });
		expect(answer.httpStatus).toBe(400);
		await expect(startSandbox({ deliveryVariants: ['ts_epoch_s', 'ts_space'] })).rejects.toThrow(/deliveryVariants: .*same thing/);
	});

	it('lists the catalogue', async () => {
		const { variants } = (await get(`${sandbox.url}/_sandbox/variants`)).json as { variants: Array<{ name: string; dimension: string; targets: string[] }> };
		expect(variants.map((v) => v.name)).toEqual(expect.arrayContaining(['text_plain', 'bom', 'chunked', 'ts_no_zone', 'query_task_id', 'answer_prose']));
		expect(variants.every((v) => v.targets.includes('callback'))).toBe(true);
	});
});

describe('for a whole run', () => {
	it('sends every callback with the default variants; a fault replaces them per dimension', async () => {
		await sandbox.close();
		sandbox = await startSandbox({ intervalMs: INTERVAL, keys: [KEY], deliveryVariants: ['text_plain', 'ts_epoch_ms'] });
		expect(sandbox.deliveryVariants).toEqual(['text_plain', 'ts_epoch_ms']);
		const taskId = await startTask();
		await receiver.waitFor(1, forTask(taskId));
		sandbox.injectFault({ on: 'callback', kind: 'variant', variants: ['bom', 'ts_no_zone'], taskId });
		await receiver.waitFor(1, (r) => forTask(taskId)(r) && r.raw.subarray(0, 3).equals(BOM));
		await receiver.waitFor(4, forTask(taskId));
		const received = receiver.received.filter(forTask(taskId));
		expect(received.every((r) => r.headers['content-type'] === 'text/plain')).toBe(true);
		const odd = received.filter((r) => r.raw.subarray(0, 3).equals(BOM));
		expect(odd).toHaveLength(1);
		expect(payload(odd[0]).data!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
		const others = received.filter((r) => r !== odd[0]);
		expect(others.every((r) => typeof payload(r).data!.timestamp === 'number')).toBe(true);
		const state = (await get(`${sandbox.url}/_sandbox/state`)).json as { deliveryVariants: string[] };
		expect(state.deliveryVariants).toEqual(['text_plain', 'ts_epoch_ms']);
	});

	it('leaves out a default variant that cannot change a callback (data_null on results)', async () => {
		await sandbox.close();
		sandbox = await startSandbox({ intervalMs: INTERVAL, keys: [KEY], deliveryVariants: ['data_null', 'status_string'] });
		const taskId = await startTask('rtmp://camera.example.com/live/x?frames=1');
		const received = (await receiver.waitFor(2, forTask(taskId))).map(payload);
		expect(received.find((p) => p.status === '0')?.data).toEqual({ text: expect.any(String), timestamp: expect.any(String) });
		expect(received.find((p) => p.status === '-1')).toEqual({ status: '-1', task_id: taskId, data: null });
	});
});

describe('numeric task ids', () => {
	beforeEach(async () => {
		await sandbox.close();
		sandbox = await startSandbox({ intervalMs: INTERVAL, keys: [KEY], taskIds: 'numeric' });
	});

	it('issues digits, sends them as a string by default and as a number with task_id_number, and stops by them', async () => {
		const answer = await start(sandbox.url, KEY, startParams(`${receiver.url}/cb?token=s3cret`));
		expect(answer.json).toEqual({ status: 0, task_id: expect.stringMatching(/^[1-9]\d{15}$/), text: '' });
		const taskId = (answer.json as { task_id: string }).task_id;
		expect(Number.isSafeInteger(Number(taskId))).toBe(true);
		expect(sandbox.taskIds).toBe('numeric');
		const [first] = await receiver.waitFor(1, forTask(taskId));
		expect(payload(first).task_id).toBe(taskId);
		sandbox.injectFault({ on: 'callback', kind: 'variant', variants: ['task_id_number'], taskId });
		const numeric = await receiver.waitFor(1, (r) => payload(r)?.task_id === Number(taskId));
		expect(numeric[0].raw.toString()).toContain(`"task_id":${taskId},`);
		expect((await stop(sandbox.url, KEY, taskId)).json).toEqual({ status: 14, task_id: taskId });
	});

	it('gives every task its own id', async () => {
		const ids = [];
		for (let i = 0; i < 4; i++) ids.push(await startTask());
		expect(new Set(ids).size).toBe(4);
		expect(ids.every((id) => /^\d+$/.test(id))).toBe(true);
	});
});
