// The shapes a callback receiver must accept, and what it must emit for each: the documented
// callback in the forms a sender may give it (content types, timestamps, odd text, extra fields,
// ends of streams), and the variants of the service (issue 11): what the service may plausibly
// send beyond the documented shape, read once the secret matched (the receivers' rule,
// core/callback.ts). They are `valid` shapes named `variant_…`, so that every host counts them as
// the accepted callbacks they are; test/reliability/{n8n,node-red}/variants.test.ts send the
// sandbox's own renderings of them besides.
import { AcceptedCategory, AcceptedShape, Context, Draft, ExpectedResult, JSON_TYPE } from './cases';

/** What a receiver does to text: lone surrogates become U+FFFD, NUL characters go. */
export function cleanText(text: string): string {
	return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD').replace(/\u0000/g, '');
}

const ODD_TEXT = [
	'pan 🍳 is 🔥 boiling — 沸騰 — يغلي',
	'\u202Eevo gniliob\u202C right-to-left override',
	'family 👩‍👩‍👧‍👦 zero-width joiners\u200D\u200B',
	`combining e${'\u0301'.repeat(40)}`,
	'lone \uD800 high and \uDC00 low surrogates \uDBFF',
	'nul \u0000 inside \u0000',
	'\uFEFFbyte order mark inside',
	'line\u2028separator\u2029paragraph',
	'noncharacters \uFFFE\uFFFF and controls \u0001\u001F\u007F\u0085',
	'𝕳𝖊𝖑𝖑𝖔 mathematical letters and ᚠᛇᚻ runes',
	'Le facteur dépose un colis, 📦',
	'‏مرحبا — שלום — こんにちは',
	'Ｆｕｌｌｗｉｄｔｈ and combining é',
];
const PLAIN_TEXT = ['the pan is on the stove', 'nobody in the kitchen', 'steam rising', 'lid rattling', 'Someone is at the door'];

/** The marker every accepted text ends with: unique per case (`#<seed>-<n>`). */
export type Marked = (text: string) => string;

/** A callback with its expected result; `text` is what is sent, the result has it cleaned. */
function callback(c: Context, mark: Marked, parts: { text?: string; status?: number; taskId?: string; timestamp?: unknown } = {}) {
	const text = mark(parts.text ?? `valid ${c.n}: ${c.random.pick(PLAIN_TEXT)}`);
	const status = parts.status ?? 0;
	const taskId = parts.taskId ?? c.taskId;
	const timestamp = 'timestamp' in parts ? parts.timestamp : c.timestamp;
	const payload = { status, task_id: taskId, data: { text, timestamp } };
	const result: ExpectedResult = { event: status === 0 ? 'result' : 'stream_ended', task_id: taskId, status, text: cleanText(text), timestamp: c.timestamp, ended: status !== 0 };
	return { payload, result };
}

const sent = (payload: unknown, extra: Partial<Draft> = {}): Draft => ({ headers: JSON_TYPE, body: JSON.stringify(payload), ...extra });

/** n8n parses XML bodies itself, before the trigger runs (see refused.ts). */
const N8N_PARSES_XML = 'n8n parses an XML-typed body itself, before the trigger runs, and answers 422 when it is JSON';

/** The variants of the service, each read as the documented payload it carries. */
function variantShapes(mark: Marked): AcceptedShape[] {
	/** A callback whose payload `change` alters; `result` says what the receiver makes of it. */
	const variant = (
		name: string,
		change: (payload: ReturnType<typeof callback>['payload'], c: Context) => { body: string | Buffer; headers?: Record<string, string>; query?: string },
		result: (expected: ExpectedResult, c: Context, payload: ReturnType<typeof callback>['payload']) => ExpectedResult = (r) => r,
		flags: Partial<Pick<AcceptedShape, 'ownTaskId' | 'endsStream' | 'noFrameWindow' | 'notFor'>> = {},
	): AcceptedShape => ({
		name: `variant_${name}`,
		...flags,
		build(c) {
			const { payload, result: expected } = callback(c, mark, flags.endsStream ? { status: 14 } : {});
			const { body, headers, query } = change(payload, c);
			return { draft: { headers: headers ?? JSON_TYPE, body, ...(query === undefined ? {} : { query }) }, result: result(expected, c, payload) };
		},
	});
	const json = (value: unknown) => ({ body: JSON.stringify(value) });
	const asType = (type: string, notFor?: AcceptedShape['notFor']) =>
		variant(`json_as_${type.replace(/[^a-z0-9]+/gi, '_')}`, (p) => ({ body: JSON.stringify(p), headers: { 'content-type': type } }), undefined, { notFor });
	const withoutText = (r: ExpectedResult): ExpectedResult => ({ ...r, text: '' });
	return [
		...['text/plain', 'text/plain;charset=UTF-8', 'text/html; charset=utf-8', 'text/json', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/javascript', 'application/json-seq', 'json', 'image/png', ';;;'].map((type) => asType(type)),
		asType('application/xml', { n8n: N8N_PARSES_XML }),
		variant('form_fields', (p) => ({
			body: `status=0&task_id=${encodeURIComponent(p.task_id)}&data[text]=${encodeURIComponent(p.data.text)}&data[timestamp]=${encodeURIComponent(String(p.data.timestamp))}`,
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
		})),
		variant('json_encoded_twice', (p) => json(JSON.stringify(p))),
		variant('status_as_string', (p) => json({ ...p, status: '0' })),
		variant('status_with_spaces', (p) => json({ ...p, status: ' 0 ' })),
		variant('task_id_as_number', (p, c) => json({ ...p, task_id: 900_000_000 + c.n }), (r, c) => ({ ...r, task_id: String(900_000_000 + c.n) }), { ownTaskId: true }),
		variant('task_id_camel_case', ({ task_id: taskId, ...rest }) => json({ ...rest, taskId })),
		variant('task_id_only_in_the_service_query', ({ task_id: taskId, ...rest }, c) => ({ body: JSON.stringify(rest), query: `${c.tokenQuery()}?task_id=${encodeURIComponent(taskId)}` })),
		variant('service_query_after_the_token', (p, c) => ({ body: JSON.stringify(p), query: `${c.tokenQuery()}${c.random.pick(['?', '&'])}task_id=${encodeURIComponent(p.task_id)}` })),
		variant('code_msg_envelope', ({ status: _status, ...rest }) => json({ code: '0000', msg: 'ok', success: true, data: rest })),
		variant('text_and_timestamp_at_the_top', ({ data, ...rest }) => json({ ...rest, text: data.text, timestamp: data.timestamp })),
		variant('data_as_a_json_string', (p) => json({ ...p, data: JSON.stringify(p.data) })),
		variant('data_as_the_text', (p) => json({ ...p, data: p.data.text }), (r) => ({ ...r, timestamp: null }), { noFrameWindow: true }),
		variant('text_null', (p) => json({ ...p, data: { ...p.data, text: null } }), withoutText),
		variant('text_missing', (p) => json({ ...p, data: { timestamp: p.data.timestamp } }), withoutText),
		variant('no_data', ({ data: _data, ...rest }) => json(rest), (r) => ({ ...r, text: '', timestamp: null }), { noFrameWindow: true }),
		variant('empty_data', (p) => json({ ...p, data: {} }), (r) => ({ ...r, text: '', timestamp: null }), { noFrameWindow: true }),
		variant('data_null_at_the_end', (p) => json({ ...p, data: null }), (r) => ({ ...r, text: '', timestamp: null }), { endsStream: true, noFrameWindow: true }),
		variant('text_as_a_number', (p) => json({ ...p, data: { ...p.data, text: 42 } }), (r) => ({ ...r, text: '42' })),
		variant('text_as_an_object', (p) => json({ ...p, data: { ...p.data, text: { answer: p.data.text } } }), (r, _c, p) => ({ ...r, text: JSON.stringify({ answer: cleanText(p.data.text) }) })),
		variant('text_only_behind_proto_keys', (p) =>
			({ body: `{"status":0,"task_id":${JSON.stringify(p.task_id)},"data":{"timestamp":"${p.data.timestamp}","${['__proto__', 'constructor'][p.task_id.length % 2]}":{"text":"MALFORMED"}}}` }),
		withoutText),
		variant('utf8_bom_and_text_plain', (p) => ({ body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(p))]), headers: { 'content-type': 'text/plain' } })),
		variant('timestamp_without_a_zone', (p) => json({ ...p, data: { ...p.data, timestamp: String(p.data.timestamp).slice(0, 19) } }), (r) => ({ ...r, timestamp: `${r.timestamp!.slice(0, 19)}.000Z` })),
		variant('timestamp_with_a_space', (p) => json({ ...p, data: { ...p.data, timestamp: String(p.data.timestamp).slice(0, 19).replace('T', ' ') } }), (r) => ({ ...r, timestamp: `${r.timestamp!.slice(0, 19)}.000Z` })),
	];
}

function shapesWith(mark: Marked): AcceptedShape[] {
	const plain = (name: string, extra: Partial<Draft>): AcceptedShape => ({
		name,
		build(c) {
			const { payload, result } = callback(c, mark);
			return { draft: sent(payload, extra), result };
		},
	});
	const timed = (name: string, timestamp: (c: Context) => unknown, expected: (c: Context) => string | null): AcceptedShape => ({
		name,
		build(c) {
			const { payload, result } = callback(c, mark, { timestamp: timestamp(c) });
			return { draft: sent(payload), result: { ...result, timestamp: expected(c) } };
		},
	});
	return [
		plain('plain', {}),
		plain('charset', { headers: { 'content-type': 'application/json; charset=utf-8' } }),
		plain('no_content_type', { headers: {} }),
		plain('plus_json', { headers: { 'content-type': 'application/vnd.memories+json' } }),
		plain('chunked', { chunked: true }),
		{
			name: 'unicode_text',
			build(c) {
				const { payload, result } = callback(c, mark, { text: `${c.random.pick(ODD_TEXT)} ${c.n} ${c.random.pick(ODD_TEXT)}` });
				return { draft: sent(payload), result };
			},
		},
		{
			name: 'big_text',
			build(c) {
				const { payload, result } = callback(c, mark, { text: `valid ${c.n}: ${'long '.repeat(18000)}` });
				return { draft: sent(payload), result };
			},
		},
		{
			name: 'extra_fields',
			build(c) {
				const { payload, result } = callback(c, mark);
				const body =
					`{"status":0,"task_id":${JSON.stringify(payload.task_id)},"__proto__":{"ended":true,"status":9},"constructor":{"prototype":{"polluted":true}},` +
					`"extra":[1,2,{"a":null}],"data":{"text":${JSON.stringify(payload.data.text)},"timestamp":"${c.timestamp}","__proto__":{"text":"MALFORMED"},"confidence":0.9}}`;
				return { draft: { headers: JSON_TYPE, body }, result };
			},
		},
		{
			name: 'byte_order_mark',
			build(c) {
				// RFC 8259 §8.1: a parser may ignore a byte order mark.
				const { payload, result } = callback(c, mark);
				return { draft: { headers: JSON_TYPE, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(payload))]) }, result };
			},
		},
		{
			name: 'proto_task_id',
			ownTaskId: true,
			build(c) {
				const { payload, result } = callback(c, mark, { taskId: c.random.pick(['__proto__', 'constructor', 'hasOwnProperty', 'prototype', 'toString']) });
				return { draft: sent(payload), result };
			},
		},
		{
			name: 'ended',
			endsStream: true,
			build(c) {
				const { payload, result } = callback(c, mark, { status: c.random.pick([14, 2001, -1, 5000, 16]) });
				return { draft: sent(payload), result };
			},
		},
		{
			name: 'ended_without_data',
			endsStream: true,
			build(c) {
				return { draft: sent({ status: 14, task_id: c.taskId }), result: { event: 'stream_ended', task_id: c.taskId, status: 14, text: '', timestamp: null, ended: true } };
			},
		},
		timed('epoch_seconds', (c) => Date.parse(c.timestamp) / 1000, (c) => c.timestamp),
		timed('epoch_millis', (c) => Date.parse(c.timestamp), (c) => c.timestamp),
		timed('offset_time', (c) => new Date(Date.parse(c.timestamp) + 2 * 3600 * 1000).toISOString().replace('Z', '+02:00'), (c) => c.timestamp),
		timed('unreadable_time', (c) => c.random.pick(['yesterday', '', 'x'.repeat(70), '2025-13-45T99:99:99Z']), () => null),
		timed('no_time', () => undefined, () => null),
	];
}

/** The accepted categories and their shapes; `mark` ends each text with the case's marker. */
export function acceptedShapes(mark: Marked): Record<AcceptedCategory, AcceptedShape[]> {
	return { valid: [...shapesWith(mark), ...variantShapes(mark)] };
}
