// The shapes a callback receiver must accept, and what it must emit for each: the documented
// callback in the forms a sender may give it (content types, timestamps, odd text, extra fields,
// ends of streams). Issue 11's variants of the service go here too, in a category of their own.
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
	return { valid: shapesWith(mark) };
}
