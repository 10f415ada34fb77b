// A seeded, deterministic generator of callback requests for a results node: malformed ones in
// every category the issue names, interleaved with valid ones whose delivery is checked exactly.
// Same seed, same requests (order included).

export type MalformedCategory =
	| 'secret_missing'
	| 'secret_wrong'
	| 'secret_truncated'
	| 'invalid_json'
	| 'wrong_types'
	| 'missing_fields'
	| 'oversized'
	| 'wrong_content_type'
	| 'odd_unicode'
	| 'proto_keys'
	| 'wrong_method'
	| 'raw_http';
export type Category = MalformedCategory | 'valid' | 'client_abort';

/** What the results node must emit for a valid callback (msg.payload). */
export interface ExpectedResult {
	event: 'result' | 'stream_ended';
	task_id: string;
	status: number;
	text: string;
	timestamp: string | null;
	ended: boolean;
}

export interface FuzzCase {
	n: number;
	category: Category;
	variant: string;
	method: string;
	/** Path and query, as sent. */
	path: string;
	headers: Record<string, string>;
	body?: Buffer;
	/** Send the body with Transfer-Encoding: chunked (no Content-Length). */
	chunked?: boolean;
	/** Bytes written to a raw socket as they are (raw_http, client_abort). */
	raw?: Buffer;
	/** Acceptable answers; empty: none expected (the client gives up first). */
	expect: number[];
	result?: ExpectedResult;
}

/** Relative weights of the malformed categories. */
const WEIGHTS: Record<MalformedCategory, number> = {
	secret_missing: 800,
	secret_wrong: 800,
	secret_truncated: 800,
	invalid_json: 1300,
	wrong_types: 1300,
	missing_fields: 1100,
	oversized: 400,
	wrong_content_type: 1000,
	odd_unicode: 1000,
	proto_keys: 800,
	wrong_method: 600,
	raw_http: 100,
};

/** mulberry32: small, fast, good enough to pick cases. */
export function prng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** What the receiver does to text: lone surrogates become U+FFFD, NUL characters go. */
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
];

export interface PlanOptions {
	seed: number;
	malformed: number;
	valid: number;
	clientAborts: number;
	/** The results node's route (under httpNodeRoot), e.g. /memories/fuzz. */
	route: string;
	secret: string;
	/** Node-RED 4 with the editor API at the same root: its CORS layer answers OPTIONS with 204. */
	editorAnswersOptions?: boolean;
	/** Distinguishes this run's task ids. */
	tag: string;
}

export interface FuzzPlan {
	seed: number;
	cases: FuzzCase[];
	counts: Record<string, number>;
	variants: Record<string, number>;
}

export function planFuzz(options: PlanOptions): FuzzPlan {
	const random = prng(options.seed);
	const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
	const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
	const randomString = (length: number) => Array.from({ length }, () => alphabet[int(0, alphabet.length - 1)]).join('');
	const { route, secret, tag } = options;
	const withToken = (token: string) => `${route}?token=${token}`;
	const authed = withToken(secret);
	const json = { 'content-type': 'application/json' };
	const utf8 = (text: string) => Buffer.from(text, 'utf8');
	const timestampOf = (n: number) => new Date(Date.UTC(2025, 0, 1) + n * 1000).toISOString();
	/** A well-formed callback that must never reach the flow (sent where something else is wrong). */
	const marked = (n: number) => ({ status: 0, task_id: `m${tag}-${n}`, data: { text: `MALFORMED ${n}`, timestamp: timestampOf(n) } });
	const markedJson = (n: number) => JSON.stringify(marked(n));

	const http = (
		n: number,
		category: Category,
		variant: string,
		expect: number[],
		parts: Partial<Pick<FuzzCase, 'method' | 'path' | 'headers' | 'body' | 'chunked' | 'result'>>,
	): FuzzCase => ({ n, category, variant, method: 'POST', path: authed, headers: json, expect, ...parts });

	const generators: Record<MalformedCategory, (n: number) => FuzzCase> = {
		secret_missing(n) {
			const body = utf8(markedJson(n));
			const variant = pick(['no_query', 'other_param', 'uppercase_param', 'empty', 'bare', 'header_only', 'in_body', 'semicolon']);
			const base = { body, expect: [401] };
			switch (variant) {
				case 'no_query':
					return http(n, 'secret_missing', variant, [401], { ...base, path: route });
				case 'other_param':
					return http(n, 'secret_missing', variant, [401], { ...base, path: `${route}?tok=${secret}` });
				case 'uppercase_param':
					return http(n, 'secret_missing', variant, [401], { ...base, path: `${route}?TOKEN=${secret}` });
				case 'empty':
					return http(n, 'secret_missing', variant, [401], { ...base, path: `${route}?token=` });
				case 'bare':
					return http(n, 'secret_missing', variant, [401], { ...base, path: `${route}?token` });
				case 'header_only':
					return http(n, 'secret_missing', variant, [401], {
						...base,
						path: route,
						headers: { ...json, authorization: secret, 'x-token': secret },
					});
				case 'in_body':
					return http(n, 'secret_missing', variant, [401], { ...base, path: route, body: utf8(JSON.stringify({ ...marked(n), token: secret })) });
				default:
					return http(n, 'secret_missing', variant, [401], { ...base, path: `${route}?a=1;token=${secret}` });
			}
		},
		secret_wrong(n) {
			const body = utf8(markedJson(n));
			const variant = pick([
				'random_same_length',
				'one_char_flipped',
				'appended',
				'leading_space',
				'trailing_space',
				'twice',
				'array_syntax',
				'object_syntax',
				'too_long',
				'case_changed',
				'bad_percent',
			]);
			let query: string;
			switch (variant) {
				case 'random_same_length':
					query = `token=${randomString(secret.length)}`;
					break;
				case 'one_char_flipped': {
					const at = int(0, secret.length - 1);
					const replacement = secret[at] === 'A' ? 'B' : 'A';
					query = `token=${secret.slice(0, at)}${replacement}${secret.slice(at + 1)}`;
					break;
				}
				case 'appended':
					query = `token=${secret}${pick(['A', '0', '-', '_'])}`;
					break;
				case 'leading_space':
					query = `token=%20${secret}`;
					break;
				case 'trailing_space':
					query = `token=${secret}%20`;
					break;
				case 'twice':
					query = `token=${secret}&token=${secret}`;
					break;
				case 'array_syntax':
					query = `token[]=${secret}`;
					break;
				case 'object_syntax':
					query = `token[a]=${secret}`;
					break;
				case 'too_long':
					query = `token=${secret.repeat(14)}`;
					break;
				case 'case_changed':
					query = `token=${secret.toUpperCase() === secret ? secret.toLowerCase() : secret.toUpperCase()}`;
					break;
				default:
					query = `token=${secret.slice(0, -2)}%ZZ`;
			}
			return http(n, 'secret_wrong', variant, [401], { body, path: `${route}?${query}` });
		},
		secret_truncated(n) {
			const variant = pick(['one_short', 'half', 'random_length', 'first_char']);
			const length = { one_short: secret.length - 1, half: Math.floor(secret.length / 2), first_char: 1, random_length: int(1, secret.length - 1) }[variant]!;
			return http(n, 'secret_truncated', variant, [401], { body: utf8(markedJson(n)), path: withToken(secret.slice(0, length)) });
		},
		invalid_json(n) {
			const text = markedJson(n);
			const variant = pick(['truncated', 'trailing_garbage', 'single_quotes', 'unquoted_keys', 'trailing_comma', 'nan', 'comment', 'binary', 'empty', 'whitespace', 'unbalanced_deep']);
			let body: Buffer;
			switch (variant) {
				case 'truncated':
					body = utf8(text.slice(0, int(1, text.length - 1)));
					break;
				case 'trailing_garbage':
					body = utf8(`${text}${pick(['x', '}', ',', ']', ' {}', '\u0000'])}`);
					break;
				case 'single_quotes':
					body = utf8(text.replace(/"/g, "'"));
					break;
				case 'unquoted_keys':
					body = utf8(text.replace(/"(\w+)":/g, '$1:'));
					break;
				case 'trailing_comma':
					body = utf8(text.replace(/}$/, ',}'));
					break;
				case 'nan':
					body = utf8(text.replace('"status":0', '"status":NaN'));
					break;
				case 'comment':
					body = utf8(`/* callback */ ${text}`);
					break;
				case 'binary':
					body = Buffer.from(Array.from({ length: int(1, 400) }, () => int(0, 255)));
					if (body[0] === 0x7b || body[0] === 0x5b) body[0] = 0x00; // never an object or array start
					break;
				case 'empty':
					body = Buffer.alloc(0);
					break;
				case 'whitespace':
					body = utf8(' \n\t\r '.repeat(int(1, 50)));
					break;
				default:
					body = utf8(`{"status":0,"task_id":"m${tag}-${n}","data":${'['.repeat(int(1000, 20000))}`);
			}
			return http(n, 'invalid_json', variant, [400], { body });
		},
		wrong_types(n) {
			const base = marked(n);
			// Only what cannot be read (the receivers' rule, core/callback.ts): a string status, a
			// numeric task id, any data or text are read, and are valid variants, not malformed ones.
			const variants: Record<string, () => unknown> = {
				status_float: () => ({ ...base, status: 0.5 }),
				status_huge: () => ({ ...base, status: 1e300 }),
				status_bool: () => ({ ...base, status: true }),
				status_null: () => ({ ...base, status: null }),
				status_array: () => ({ ...base, status: [0] }),
				status_object: () => ({ ...base, status: {} }),
				task_id_empty: () => ({ ...base, task_id: '' }),
				task_id_space: () => ({ ...base, task_id: 'a b' }),
				task_id_long: () => ({ ...base, task_id: 'a'.repeat(129) }),
				task_id_array: () => ({ ...base, task_id: [base.task_id] }),
				task_id_null: () => ({ ...base, task_id: null }),
				task_id_slash: () => ({ ...base, task_id: `../${base.task_id}` }),
				task_id_object: () => ({ ...base, task_id: { id: base.task_id } }),
				top_array: () => [base],
				top_string: () => 'MALFORMED',
				top_number: () => 42,
				top_null: () => null,
				top_true: () => true,
				balanced_deep_array: () => JSON.parse(`${'['.repeat(2000)}${']'.repeat(2000)}`),
			};
			const variant = pick(Object.keys(variants));
			return http(n, 'wrong_types', variant, [400], { body: utf8(JSON.stringify(variants[variant]())) });
		},
		missing_fields(n) {
			const base = marked(n);
			const variants: Record<string, unknown> = {
				empty_object: {},
				no_task_id: { status: 0, data: base.data },
				no_status: { task_id: base.task_id, data: base.data },
				only_data: { data: base.data },
			};
			const variant = pick(Object.keys(variants));
			return http(n, 'missing_fields', variant, [400], { body: utf8(JSON.stringify(variants[variant])) });
		},
		oversized(n) {
			const variant = pick(['body_300k', 'body_300k_chunked', 'text_over_100k_chars', 'body_1m', 'padding_300k']);
			const big = (chars: number) => JSON.stringify({ ...marked(n), data: { text: `MALFORMED ${'x'.repeat(chars)}`, timestamp: timestampOf(n) } });
			switch (variant) {
				case 'body_300k':
					return http(n, 'oversized', variant, [413], { body: utf8(big(300 * 1024)) });
				case 'body_300k_chunked':
					return http(n, 'oversized', variant, [413], { body: utf8(big(300 * 1024)), chunked: true });
				case 'text_over_100k_chars':
					return http(n, 'oversized', variant, [413], { body: utf8(big(100001)) });
				case 'body_1m':
					return http(n, 'oversized', variant, [413], { body: utf8(big(1024 * 1024)) });
				default:
					return http(n, 'oversized', variant, [413], { body: utf8(`${markedJson(n)}${' '.repeat(300 * 1024)}`) });
			}
		},
		wrong_content_type(n) {
			// A JSON body (or a form of the payload's fields) is read whatever its declared type: only
			// a body that cannot be read is malformed here.
			const type = pick(['multipart/form-data; boundary=----x', 'application/xml', 'image/png']);
			const body = type === 'application/xml' ? utf8(`<callback><task_id>m${tag}-${n}</task_id></callback>`) : type === 'image/png' ? Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) : utf8(markedJson(n));
			return http(n, 'wrong_content_type', type.split(';')[0], [415], { body, headers: { 'content-type': type } });
		},
		odd_unicode(n) {
			const variant = pick([
				'task_id_accent',
				'task_id_rtl',
				'task_id_emoji',
				'task_id_fullwidth',
				'task_id_nul',
				'task_id_lone_surrogate',
				'invalid_utf8_bytes',
				'overlong_utf8',
				'homoglyph_key',
				'unicode_path',
				'unicode_token',
			]);
			const base = marked(n);
			const withTask = (taskId: string) => utf8(JSON.stringify({ ...base, task_id: taskId }));
			const rawTask = (bytes: number[]) =>
				Buffer.concat([utf8(`{"status":0,"task_id":"m${n}`), Buffer.from(bytes), utf8(`","data":{"text":"MALFORMED ${n}"}}`)]);
			switch (variant) {
				case 'task_id_accent':
					return http(n, 'odd_unicode', variant, [400], { body: withTask(`tâche-${n}`) });
				case 'task_id_rtl':
					return http(n, 'odd_unicode', variant, [400], { body: withTask(`\u202Em${n}`) });
				case 'task_id_emoji':
					return http(n, 'odd_unicode', variant, [400], { body: withTask(`🔥${n}`) });
				case 'task_id_fullwidth':
					return http(n, 'odd_unicode', variant, [400], { body: withTask(`ｍ${n}`) });
				case 'task_id_nul':
					return http(n, 'odd_unicode', variant, [400], { body: withTask(`m\u0000${n}`) });
				case 'task_id_lone_surrogate':
					return http(n, 'odd_unicode', variant, [400], { body: withTask(`m\uD800${n}`) });
				case 'invalid_utf8_bytes':
					return http(n, 'odd_unicode', variant, [400], { body: rawTask([0xff, 0xfe, 0xfd]) });
				case 'overlong_utf8':
					return http(n, 'odd_unicode', variant, [400], { body: rawTask([0xc0, 0xaf, 0xe0, 0x80, 0xaf]) });
				case 'homoglyph_key':
					return http(n, 'odd_unicode', variant, [400], { body: utf8(markedJson(n).replace('"task_id"', '"t\u0430sk_id"')) });
				case 'unicode_path':
					return http(n, 'odd_unicode', variant, [404], { body: utf8(markedJson(n)), path: `${route}%C3%A9?token=${secret}` });
				default:
					return http(n, 'odd_unicode', variant, [401], { body: utf8(markedJson(n)), path: `${route}?token=${secret.slice(0, -1)}%C3%A9` });
			}
		},
		proto_keys(n) {
			const task = `"task_id":"m${tag}-${n}"`;
			const data = `"data":{"text":"MALFORMED ${n}","timestamp":"${timestampOf(n)}"}`;
			const variants: Record<string, string> = {
				proto_wrapper: `{"__proto__":{"status":0,${task},${data}}}`,
				proto_task_id: `{"__proto__":{${task}},"status":0,${data}}`,
				proto_status: `{"__proto__":{"status":0},${task},${data}}`,
				constructor_prototype: `{"constructor":{"prototype":{"status":0,${task},${data}}}}`,
				status_proto_object: `{"status":{"__proto__":0},${task},${data}}`,
			};
			// The secret hidden behind prototype keys of the query string: never a token.
			const queries: Record<string, string> = {
				query_proto_token: `__proto__[token]=${secret}`,
				query_constructor_token: `constructor[prototype][token]=${secret}`,
				query_proto_dot: `__proto__.token=${secret}`,
			};
			const variant = pick([...Object.keys(variants), ...Object.keys(queries)]);
			if (queries[variant]) return http(n, 'proto_keys', variant, [401], { body: utf8(markedJson(n)), path: `${route}?${queries[variant]}` });
			return http(n, 'proto_keys', variant, [400], { body: utf8(variants[variant]) });
		},
		wrong_method(n) {
			const method = pick(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND']);
			const body = method === 'GET' || method === 'HEAD' ? undefined : utf8(markedJson(n));
			// Node-RED 4's editor API, when it shares the root, answers every OPTIONS itself (its CORS layer).
			const expect = method === 'OPTIONS' && options.editorAnswersOptions ? [204] : [405];
			return http(n, 'wrong_method', method, expect, { method, body, headers: body ? json : {} });
		},
		raw_http(n) {
			const target = authed;
			const body = markedJson(n);
			const variants: Record<string, [string, number]> = {
				garbage_request_line: ['HELLO THERE\r\n\r\n', 400],
				bad_header_name: [`POST ${target} HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\nContent-Length: 0\r\n\r\n`, 400],
				header_overflow: [`POST ${target} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`, 431],
				bad_chunk_size: [`POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n${body}\r\n0\r\n\r\n`, 400],
				length_and_chunked: [
					`POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
					400,
				],
				two_lengths: [`POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, 400],
				no_host: [`POST ${target} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 400],
				nul_in_target: [`POST ${route}\u0000?token=x HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
			};
			const variant = pick(Object.keys(variants));
			const [text, status] = variants[variant];
			return { n, category: 'raw_http', variant, method: 'RAW', path: target, headers: {}, raw: Buffer.from(text, 'latin1'), expect: [status] };
		},
	};

	const validCase = (n: number): FuzzCase => {
		const taskId = `v${tag}-${n}`;
		const timestamp = timestampOf(n);
		const text = `valid ${n}: ${pick(['the pan is on the stove', 'nobody in the kitchen', 'steam rising', 'lid rattling'])}`;
		const payload = { status: 0, task_id: taskId, data: { text, timestamp } };
		const result: ExpectedResult = { event: 'result', task_id: taskId, status: 0, text, timestamp, ended: false };
		const ok = (variant: string, body: string | Buffer, parts: Partial<FuzzCase> = {}, expected: ExpectedResult = result) =>
			http(n, 'valid', variant, [200], { body: typeof body === 'string' ? utf8(body) : body, result: expected, ...parts });
		const variant = pick([
			'plain', 'plain', 'plain', 'plain', 'charset', 'no_content_type', 'plus_json', 'unicode_text', 'unicode_text',
			'extra_fields', 'proto_task_id', 'ended', 'ended_without_data', 'epoch_seconds', 'epoch_millis', 'offset_time',
			'unreadable_time', 'no_time', 'big_text', 'chunked', 'byte_order_mark',
		]);
		switch (variant) {
			case 'charset':
				return ok(variant, JSON.stringify(payload), { headers: { 'content-type': 'application/json; charset=utf-8' } });
			case 'no_content_type':
				return ok(variant, JSON.stringify(payload), { headers: {} });
			case 'plus_json':
				return ok(variant, JSON.stringify(payload), { headers: { 'content-type': 'application/vnd.memories+json' } });
			case 'unicode_text': {
				const odd = `${pick(ODD_TEXT)} ${n} ${pick(ODD_TEXT)}`;
				return ok(variant, JSON.stringify({ ...payload, data: { text: odd, timestamp } }), {}, { ...result, text: cleanText(odd) });
			}
			case 'extra_fields':
				return ok(
					variant,
					`{"status":0,"task_id":"${taskId}","__proto__":{"ended":true,"status":9},"constructor":{"prototype":{"polluted":true}},"extra":[1,2,{"a":null}],"data":{"text":${JSON.stringify(text)},"timestamp":"${timestamp}","__proto__":{"text":"MALFORMED"},"confidence":0.9}}`,
				);
			case 'proto_task_id': {
				const id = pick(['__proto__', 'constructor', 'hasOwnProperty', 'prototype', 'toString']);
				return ok(variant, JSON.stringify({ ...payload, task_id: id }), {}, { ...result, task_id: id });
			}
			case 'ended': {
				const status = pick([14, 2001, -1, 5000, 16]);
				return ok(variant, JSON.stringify({ ...payload, status }), {}, { ...result, event: 'stream_ended', status, ended: true });
			}
			case 'ended_without_data':
				return ok(variant, JSON.stringify({ status: 14, task_id: taskId }), {}, { ...result, event: 'stream_ended', status: 14, text: '', timestamp: null, ended: true });
			case 'epoch_seconds': {
				const seconds = 1735689600 + n;
				return ok(variant, JSON.stringify({ ...payload, data: { text, timestamp: seconds } }), {}, { ...result, timestamp: new Date(seconds * 1000).toISOString() });
			}
			case 'epoch_millis': {
				const millis = 1735689600000 + n * 1000;
				return ok(variant, JSON.stringify({ ...payload, data: { text, timestamp: millis } }), {}, { ...result, timestamp: new Date(millis).toISOString() });
			}
			case 'offset_time': {
				const local = new Date(Date.UTC(2025, 0, 1) + n * 1000 + 2 * 3600 * 1000).toISOString().replace('Z', '+02:00');
				return ok(variant, JSON.stringify({ ...payload, data: { text, timestamp: local } }), {}, { ...result, timestamp });
			}
			case 'unreadable_time':
				return ok(variant, JSON.stringify({ ...payload, data: { text, timestamp: pick(['yesterday', '', 'x'.repeat(70), '2025-13-45T99:99:99Z']) } }), {}, { ...result, timestamp: null });
			case 'no_time':
				return ok(variant, JSON.stringify({ ...payload, data: { text } }), {}, { ...result, timestamp: null });
			case 'big_text': {
				const long = `${text} ${'long '.repeat(18000)}`;
				return ok(variant, JSON.stringify({ ...payload, data: { text: long, timestamp } }), {}, { ...result, text: long });
			}
			case 'chunked':
				return ok(variant, JSON.stringify(payload), { chunked: true });
			case 'byte_order_mark':
				// RFC 8259 §8.1: a parser may ignore a byte order mark.
				return ok(variant, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(JSON.stringify(payload))]));
			default:
				return ok(variant, JSON.stringify(payload));
		}
	};

	const clientAbort = (n: number): FuzzCase => {
		const body = markedJson(n);
		const variant = pick(['body_cut_short', 'headers_cut_short']);
		const text =
			variant === 'body_cut_short'
				? `POST ${authed} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\n\r\n${body.slice(0, 20)}`
				: `POST ${authed} HTTP/1.1\r\nHost: x\r\nContent-Ty`;
		return { n, category: 'client_abort', variant, method: 'RAW', path: authed, headers: {}, raw: Buffer.from(text, 'latin1'), expect: [] };
	};

	// Exactly `malformed` malformed cases in the weights' proportions, then shuffled with the valid ones.
	const categories = Object.keys(WEIGHTS) as MalformedCategory[];
	const total = categories.reduce((sum, c) => sum + WEIGHTS[c], 0);
	const quota = categories.map((c) => Math.floor((WEIGHTS[c] * options.malformed) / total));
	for (let i = 0; quota.reduce((a, b) => a + b, 0) < options.malformed; i++) quota[i % quota.length]++;
	const slots: Category[] = [
		...categories.flatMap((c, i) => Array<Category>(quota[i]).fill(c)),
		...Array<Category>(options.valid).fill('valid'),
		...Array<Category>(options.clientAborts).fill('client_abort'),
	];
	for (let i = slots.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[slots[i], slots[j]] = [slots[j], slots[i]];
	}
	const cases = slots.map((category, n) =>
		category === 'valid' ? validCase(n) : category === 'client_abort' ? clientAbort(n) : generators[category](n),
	);
	const counts: Record<string, number> = {};
	const variants: Record<string, number> = {};
	for (const c of cases) {
		counts[c.category] = (counts[c.category] ?? 0) + 1;
		variants[`${c.category}/${c.variant}`] = (variants[`${c.category}/${c.variant}`] ?? 0) + 1;
	}
	return { seed: options.seed, cases, counts, variants };
}

/** The key under which a delivered result is matched to the callback that caused it. */
export const resultKey = (r: { task_id: string; timestamp: string | null; status: number }) => `${r.task_id}|${r.timestamp}|${r.status}`;
