// The shapes a callback receiver must refuse, by category: each is answered 4xx and never reaches
// a flow. Every body here would be a valid callback were it not for the one thing wrong with it.
import { Context, Draft, JSON_TYPE, MalformedCategory, RefusedShape } from './cases';
import { URL_SAFE } from './random';

const ODD = ['\u200b', '\u202e', '\u00a0', '\ufeff', '\u0430', '\uff10', '\u0301', '\ud83d\ude00', '\u2028', '\u0000'];
/** n8n parses these bodies itself, before the trigger runs (see the n8n host-level test). */
const N8N_PARSES_XML = 'n8n parses XML with one shared asynchronous parser that sometimes never answers concurrent requests: that measures n8n, not the trigger';
const N8N_CORS = 'n8n answers OPTIONS itself (CORS preflight, 204) before the trigger runs';
const N8N_UNKNOWN_METHOD = 'n8n answers a method it has no webhook handling for (PROPFIND) itself, with a 500, before the trigger runs';
const RAW_SOCKET = 'sent over a raw socket, which the n8n suite does not use';

const json = (value: unknown): Draft => ({ headers: JSON_TYPE, body: JSON.stringify(value) });
const raw = (body: string | Buffer, headers: Record<string, string> = JSON_TYPE): Draft => ({ headers, body });
const text = (c: Context) => JSON.stringify(c.marked());
const withQuery = (c: Context, query: string, body = text(c)): Draft => ({ query, headers: JSON_TYPE, body });
const withBodyBytes = (c: Context, bytes: number[]) =>
	Buffer.concat([Buffer.from(`{"status":0,"task_id":"${c.marked().task_id}`), Buffer.from(bytes), Buffer.from(`","data":{"text":"MALFORMED ${c.n}"}}`)]);

const shapes = (because: RefusedShape['because'], list: Array<Omit<RefusedShape, 'because'>>): RefusedShape[] => list.map((s) => ({ because, ...s }));

export const REFUSED: Record<MalformedCategory, RefusedShape[]> = {
	secret_missing: shapes('secret', [
		{ name: 'no_query', build: (c) => withQuery(c, '') },
		{ name: 'empty_token', build: (c) => withQuery(c, '?token=') },
		{ name: 'bare_token', build: (c) => withQuery(c, '?token') },
		{ name: 'other_parameter', build: (c) => withQuery(c, `?${c.random.pick(['tok', 'secret', 'key'])}=${encodeURIComponent(c.target.secret)}`) },
		{ name: 'uppercase_parameter', build: (c) => withQuery(c, `?${c.random.pick(['TOKEN', 'Token'])}=${encodeURIComponent(c.target.secret)}`) },
		{ name: 'header_only', build: (c) => ({ query: '', headers: { ...JSON_TYPE, authorization: c.target.secret, 'x-token': c.target.secret }, body: text(c) }) },
		{ name: 'in_body', build: (c) => withQuery(c, '', JSON.stringify({ ...c.marked(), token: c.target.secret })) },
		{ name: 'after_semicolon', build: (c) => withQuery(c, `?a=1;token=${c.target.secret}`) },
	]),
	secret_wrong: shapes('secret', [
		{ name: 'random_same_length', build: (c) => withQuery(c, c.tokenQuery(c.random.word(c.target.secret.length))) },
		{ name: 'other_receivers_secret', build: (c) => withQuery(c, c.tokenQuery(c.otherSecrets.length ? c.random.pick(c.otherSecrets) : c.random.word(43))) },
		{
			name: 'one_character_changed',
			build(c) {
				const s = c.target.secret;
				const at = c.random.int(0, s.length - 1);
				return withQuery(c, c.tokenQuery(`${s.slice(0, at)}${c.random.pick([...URL_SAFE].filter((ch) => ch !== s[at]))}${s.slice(at + 1)}`));
			},
		},
		{ name: 'case_changed', build: (c) => withQuery(c, c.tokenQuery(c.target.secret.toUpperCase() === c.target.secret ? c.target.secret.toLowerCase() : c.target.secret.toUpperCase())) },
		{ name: 'very_long', build: (c) => withQuery(c, c.tokenQuery(c.random.chance(0.5) ? c.random.word(600) : c.target.secret.repeat(14))) },
		{ name: 'leading_space', build: (c) => withQuery(c, `?token=${c.random.pick(['%20', '+', '%09'])}${encodeURIComponent(c.target.secret)}`) },
		{ name: 'trailing_space', build: (c) => withQuery(c, `?token=${encodeURIComponent(c.target.secret)}%20`) },
		{ name: 'bad_percent', build: (c) => withQuery(c, `?token=${encodeURIComponent(c.target.secret.slice(0, -2))}%${c.random.pick(['', '4', 'G1', 'zz', 'ZZ'])}`) },
	]),
	secret_truncated: shapes('secret', [
		{ name: 'one_short', build: (c) => withQuery(c, c.tokenQuery(c.target.secret.slice(0, -1))) },
		{ name: 'half', build: (c) => withQuery(c, c.tokenQuery(c.target.secret.slice(0, Math.floor(c.target.secret.length / 2)))) },
		{ name: 'first_character', build: (c) => withQuery(c, c.tokenQuery(c.target.secret.slice(0, 1))) },
		{ name: 'random_prefix', build: (c) => withQuery(c, c.tokenQuery(c.target.secret.slice(0, c.random.int(1, c.target.secret.length - 1)))) },
		{ name: 'random_suffix', build: (c) => withQuery(c, c.tokenQuery(c.target.secret.slice(c.random.int(1, c.target.secret.length - 1)))) },
		{ name: 'one_character_more', build: (c) => withQuery(c, c.tokenQuery(`${c.target.secret}${c.random.pick([...URL_SAFE])}`)) },
	]),
	secret_repeated: shapes('secret', [
		{ name: 'token_twice', build: (c) => withQuery(c, `${c.tokenQuery()}&token=${encodeURIComponent(c.target.secret)}`) },
		{ name: 'token_and_a_wrong_one', build: (c) => withQuery(c, `${c.tokenQuery()}&token=${c.random.word(43)}`) },
		{ name: 'array_syntax', build: (c) => withQuery(c, `?token[]=${encodeURIComponent(c.target.secret)}`) },
		{ name: 'object_syntax', build: (c) => withQuery(c, `?token[${c.random.pick(['a', 'x', '0'])}]=${encodeURIComponent(c.target.secret)}`) },
	]),
	invalid_json: shapes('unreadable', [
		{ name: 'truncated', build: (c) => raw(text(c).slice(0, c.random.int(1, text(c).length - 1))) },
		{ name: 'trailing_garbage', build: (c) => raw(`${text(c)}${c.random.pick(['x', '}', ',', ']', ' {}', '\u0000'])}`) },
		{ name: 'single_quotes', build: (c) => raw(text(c).replace(/"/g, "'")) },
		{ name: 'unquoted_keys', build: (c) => raw(text(c).replace(/"(\w+)":/g, '$1:')) },
		{ name: 'trailing_comma', build: (c) => raw(text(c).replace(/}$/, ',}')) },
		{ name: 'not_a_json_number', build: (c) => raw(text(c).replace('"status":0', `"status":${c.random.pick(['NaN', 'Infinity', '-Infinity', 'undefined', '0x0', '00', '+0'])}`)) },
		{ name: 'comment', build: (c) => raw(`/* callback */ ${text(c)}`) },
		{ name: 'raw_control_character', build: (c) => raw(text(c).replace('MALFORMED', 'MAL\u0001FORMED')) },
		{ name: 'unterminated_string', build: (c) => raw(`{"status":0,"task_id":"${c.marked().task_id}","data":{"text":"unterminated}}`) },
		{
			name: 'binary',
			build(c) {
				const body = Buffer.from(Array.from({ length: c.random.int(1, 400) }, () => c.random.int(0, 255)));
				if (body[0] === 0x7b || body[0] === 0x5b) body[0] = 0x00; // never an object or array start
				return raw(body);
			},
		},
		{ name: 'empty_body', build: () => raw('') },
		{ name: 'whitespace', build: (c) => raw(' \n\t\r '.repeat(c.random.int(1, 50))) },
		{ name: 'unbalanced_deep', build: (c) => raw(`{"status":0,"task_id":"${c.marked().task_id}","data":${'['.repeat(c.random.int(1000, 20000))}`) },
	]),
	not_an_object: shapes('unreadable', [
		{ name: 'empty_array', build: () => raw('[]') },
		{ name: 'array_of_a_callback', build: (c) => raw(JSON.stringify([c.marked()])) },
		{ name: 'a_string', build: () => raw('"MALFORMED"') },
		{ name: 'a_number', build: (c) => raw(String(c.random.int(-5, 42))) },
		{ name: 'null', build: () => raw('null') },
		{ name: 'a_boolean', build: (c) => raw(c.random.pick(['true', 'false'])) },
		{ name: 'deep_array', build: () => raw(`${'['.repeat(2000)}${']'.repeat(2000)}`) },
	]),
	// A status or task id that cannot be read. (Data and text of any type, a string status, a
	// numeric task id are read: they are variants of the service, in accepted.ts.)
	wrong_types: shapes(
		'unreadable',
		(
			[
				['status', [0.5, 1e300, 2 ** 53, true, null, [0], {}, '', 'ok']],
				['task_id', [null, [], {}, true, '', 'a'.repeat(129), 'has space', 'a/b', '../up', 'a?b=c', 'a#b']],
			] as const
		).flatMap(([field, values]) =>
			values.map((value, i) => ({
				name: `${field}_${i}_${JSON.stringify(value).slice(0, 12)}`,
				build(c: Context) {
					return json({ ...c.marked(), [field]: value });
				},
			})),
		),
	),
	missing_fields: shapes('unreadable', [
		{ name: 'empty_object', build: () => json({}) },
		{ name: 'no_task_id', build: (c) => json({ status: 0, data: c.marked().data }) },
		{ name: 'no_status', build: (c) => json({ task_id: c.marked().task_id, data: c.marked().data }) },
		{ name: 'only_data', build: (c) => json({ data: c.marked().data }) },
	]),
	oversized: shapes('too_large', [
		{ name: 'body_300k', build: (c) => json({ ...c.marked(), data: { text: `MALFORMED ${'x'.repeat(300 * 1024)}`, timestamp: c.timestamp } }) },
		{ name: 'body_300k_chunked', build: (c) => ({ ...json({ ...c.marked(), data: { text: `MALFORMED ${'x'.repeat(300 * 1024)}`, timestamp: c.timestamp } }), chunked: true }) },
		{ name: 'body_1m', build: (c) => json({ ...c.marked(), padding: 'p'.repeat(c.random.int(1024 * 1024, 1200 * 1024)) }) },
		// Far under n8n's own 16 MiB limit, under the 4 MiB a results node reads before cutting off.
		{ name: 'body_3m', build: (c) => json({ ...c.marked(), padding: 'p'.repeat(c.random.int(2_000_000, 3_000_000)) }) },
		{ name: 'padding_300k', build: (c) => raw(`${text(c)}${' '.repeat(300 * 1024)}`) },
		// Under the body limit, over the text limit (100 000 characters).
		{ name: 'text_over_100k_characters', build: (c) => json({ ...c.marked(), data: { text: `MALFORMED ${'x'.repeat(c.random.int(100_001, 200_000))}`, timestamp: c.timestamp } }) },
	]),
	// A body that cannot be read whatever its type. (A JSON body under any declared type, and a
	// form of the payload's fields, are read: variants of the service, in accepted.ts.)
	wrong_content_type: shapes('media_type', [
		{ name: 'image/png', build: () => raw(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]), { 'content-type': 'image/png' }) },
		{ name: 'application/xml', notFor: { n8n: N8N_PARSES_XML }, build: (c) => raw(`<callback><task_id>${c.marked().task_id}</task_id><status>0</status></callback>`, { 'content-type': 'application/xml' }) },
	]).concat(
		shapes('media_type', [
			{
				name: 'multipart',
				build: (c) =>
					raw(`--b0undary\r\nContent-Disposition: form-data; name="payload"\r\n\r\n${text(c)}\r\n--b0undary--\r\n`, {
						'content-type': 'multipart/form-data; boundary=b0undary',
					}),
			},
		]),
	),
	odd_unicode: shapes('unreadable', [
		...['tâche', '\u202Em', '🔥', 'ｍ', 'm\u0000', 'm\uD800', 'm\u200b', 'm\u0301'].map((prefix, i) => ({
			name: `task_id_odd_${i}`,
			build: (c: Context) => json({ ...c.marked(), task_id: `${prefix}${c.n}` }),
		})),
		{ name: 'odd_character_after_task_id', build: (c) => json({ ...c.marked(), task_id: `${c.marked().task_id}${c.random.pick(ODD)}` }) },
		{ name: 'look_alike_key', build: (c) => raw(text(c).replace('"task_id"', '"t\u0430sk_id"')) },
		{ name: 'look_alike_status_key', build: (c) => json({ ['st\u0430tus']: 0, task_id: c.marked().task_id, data: c.marked().data }) },
		{ name: 'status_in_other_digits', build: (c) => json({ ...c.marked(), status: c.random.pick(['\uff10', '\u0660', '\u09e6']) }) },
		{ name: 'invalid_utf8_in_task_id', build: (c) => raw(withBodyBytes(c, [c.random.pick([0xff, 0xc0, 0xed, 0xf8]), 0x80])) },
		{ name: 'overlong_utf8_in_task_id', build: (c) => raw(withBodyBytes(c, [0xc0, 0xaf, 0xe0, 0x80, 0xaf])) },
		{ name: 'overlong_utf8_quote', build: (c) => raw(Buffer.concat([Buffer.from('{"status":0,'), Buffer.from([0xc0, 0xa2]), Buffer.from(`task_id":"${c.marked().task_id}","data":{"text":"x"}}`)])) },
		{ name: 'escaped_lone_surrogate_in_task_id', build: (c) => raw(`{"status":0,"task_id":"${c.marked().task_id}\\ud800","data":{"text":"x"}}`) },
		{ name: 'escaped_nul_in_task_id', build: (c) => raw(`{"status":0,"task_id":"${c.marked().task_id}\\u0000","data":{"text":"x"}}`) },
	]).concat([
		{
			name: 'odd_character_in_secret',
			because: 'secret',
			build(c) {
				const at = c.random.int(0, c.target.secret.length);
				return withQuery(c, c.tokenQuery(`${c.target.secret.slice(0, at)}${c.random.pick(ODD)}${c.target.secret.slice(at)}`));
			},
		},
		{ name: 'unicode_in_token', because: 'secret', build: (c) => withQuery(c, `?token=${c.target.secret.slice(0, -1)}%C3%A9`) },
		{ name: 'unicode_in_path', because: 'not_found', build: (c) => ({ path: `${c.target.path}%C3%A9`, query: c.tokenQuery(), headers: JSON_TYPE, body: text(c) }) },
	]),
	proto_keys: (() => {
		const body = (c: Context, make: (task: string, data: string) => string) =>
			raw(make(`"task_id":"${c.marked().task_id}"`, `"data":{"text":"MALFORMED ${c.n}","timestamp":"${c.timestamp}"}`));
		return shapes('unreadable', [
			{ name: 'callback_in_proto', build: (c) => body(c, (task, data) => `{"__proto__":{"status":0,${task},${data}}}`) },
			{ name: 'callback_in_constructor_prototype', build: (c) => body(c, (task, data) => `{"constructor":{"prototype":{"status":0,${task},${data}}}}`) },
			{ name: 'status_in_proto', build: (c) => body(c, (task, data) => `{"__proto__":{"status":0},${task},${data}}`) },
			{ name: 'task_id_in_proto', build: (c) => body(c, (task, data) => `{"__proto__":{${task}},"status":0,${data}}`) },
			{ name: 'task_id_in_constructor', build: (c) => body(c, (task, data) => `{"status":0,"constructor":{${task}},${data}}`) },
			// (Data or text only behind such keys is no text: read as a result without one, in accepted.ts.)
			{ name: 'status_as_proto_object', build: (c) => body(c, (task, data) => `{"status":{"__proto__":0},${task},${data}}`) },
		]).concat(
			// The secret hidden behind prototype keys of the query string: never a token.
			shapes(
				'secret',
				['__proto__[token]', 'constructor[prototype][token]', '__proto__.token', 'token[__proto__]'].map((key, i) => ({
					name: `token_behind_prototype_key_${i}`,
					build: (c: Context) => withQuery(c, `?${key}=${encodeURIComponent(c.target.secret)}`),
				})),
			),
		);
	})(),
	wrong_method: shapes(
		'method',
		['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'].map((method) => ({
			name: method,
			notFor: method === 'OPTIONS' ? { n8n: N8N_CORS } : method === 'PROPFIND' ? { n8n: N8N_UNKNOWN_METHOD } : undefined,
			build: (c: Context) => (method === 'GET' || method === 'HEAD' ? { method, headers: {} } : { method, headers: JSON_TYPE, body: text(c) }),
		})),
	),
	wrong_path: shapes('not_found', [
		{ name: 'parent', build: (c) => ({ path: c.target.path.replace(/\/[^/]+$/, '') || '/', headers: JSON_TYPE, body: text(c) }) },
		{ name: 'child', build: (c) => ({ path: `${c.target.path}/extra`, headers: JSON_TYPE, body: text(c) }) },
		{ name: 'one_character_more', build: (c) => ({ path: `${c.target.path}s`, headers: JSON_TYPE, body: text(c) }) },
		{ name: 'one_character_less', build: (c) => ({ path: c.target.path.slice(0, -1), headers: JSON_TYPE, body: text(c) }) },
	]),
	raw_http: (() => {
		const request = (c: Context) => `${c.target.path}${c.tokenQuery()}`;
		const of = (name: string, because: 'http_syntax' | 'headers_too_large', make: (c: Context) => string): RefusedShape => ({
			name,
			because,
			notFor: { n8n: RAW_SOCKET },
			build: (c) => ({ method: 'RAW', raw: make(c) }),
		});
		return [
			of('garbage_request_line', 'http_syntax', () => 'HELLO THERE\r\n\r\n'),
			of('bad_header_name', 'http_syntax', (c) => `POST ${request(c)} HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\nContent-Length: 0\r\n\r\n`),
			of('header_overflow', 'headers_too_large', (c) => `POST ${request(c)} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`),
			of('bad_chunk_size', 'http_syntax', (c) => `POST ${request(c)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n${text(c)}\r\n0\r\n\r\n`),
			of('length_and_chunked', 'http_syntax', (c) => `POST ${request(c)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
			of('two_lengths', 'http_syntax', (c) => `POST ${request(c)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`),
			of('no_host', 'http_syntax', (c) => `POST ${request(c)} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text(c))}\r\n\r\n${text(c)}`),
			of('nul_in_target', 'http_syntax', (c) => `POST ${c.target.path}\u0000?token=x HTTP/1.1\r\nHost: x\r\n\r\n`),
		];
	})(),
};

/** Relative weights of the malformed categories (each host gets the ones it can take). */
export const WEIGHTS: Record<MalformedCategory, number> = {
	secret_missing: 8,
	secret_wrong: 8,
	secret_truncated: 7,
	secret_repeated: 3,
	invalid_json: 11,
	not_an_object: 5,
	wrong_types: 12,
	missing_fields: 9,
	oversized: 2,
	wrong_content_type: 9,
	odd_unicode: 9,
	proto_keys: 8,
	wrong_method: 5,
	wrong_path: 3,
	raw_http: 1,
};
