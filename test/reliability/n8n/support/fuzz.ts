// A seeded, deterministic generator of callback requests to the trigger's webhook: malformed and
// unauthenticated ones in many categories, interleaved with valid callbacks (each unique by task
// id + frame-window timestamp, and by a marker in its text) and replays of earlier valid ones.
// XML bodies are left out: n8n parses them itself, before the trigger runs, with one shared
// asynchronous xml2js parser that sometimes never answers concurrent requests (see the
// host-level test), which would only measure n8n's parser, not the trigger.

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export interface FuzzTarget {
	name: string;
	/** `/webhook/<webhookId>/results` */
	path: string;
	secret: string;
	/** Watch mode: results only count for the stream the trigger started. */
	taskId?: string;
}

export type Expectation = 'reject' | 'accept' | 'replay';

export interface FuzzCase {
	n: number;
	category: string;
	variant: string;
	target: string;
	method: string;
	/** Path and query. */
	path: string;
	headers: Record<string, string>;
	body?: string | Buffer;
	expect: Expectation;
	/** Valid ones: the unique marker their text carries, and what the item must say. */
	marker?: string;
	taskId?: string;
	text?: string;
}

/** Malformed categories and their share of the malformed requests (percent). */
export const MALFORMED_WEIGHTS: Record<string, number> = {
	invalid_json: 10,
	wrong_types: 12,
	missing_fields: 8,
	not_an_object: 6,
	oversized: 0.6,
	wrong_content_type: 9,
	missing_secret: 8,
	wrong_secret: 8,
	truncated_secret: 8,
	duplicated_secret_param: 3,
	odd_unicode: 10,
	proto_keys: 9,
	wrong_method: 5,
	wrong_path: 3.4,
};

const JSON_TYPE = { 'content-type': 'application/json' };
const ODD = ['\u200b', '\u202e', '\u00a0', '\ufeff', '\u0430', '\uff10', '\u0301', '\ud83d\ude00', '\u2028', '\u0000'];
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

interface Draft {
	variant: string;
	method?: string;
	query?: string;
	path?: string;
	headers?: Record<string, string>;
	body?: string | Buffer;
}

export function generateCases(options: {
	seed: number;
	malformed: number;
	/** One valid callback after every `validEvery` malformed ones on average. */
	validEvery: number;
	/** Replays of earlier valid callbacks, per valid one. */
	replayShare: number;
	targets: FuzzTarget[];
	/** Epoch ms of the first valid frame window; each valid one is one second later. */
	baseTime: number;
}): FuzzCase[] {
	const random = prng(options.seed);
	const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
	const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
	const chance = (p: number) => random() < p;
	const word = (length: number) => Array.from({ length }, () => pick([...URL_SAFE])).join('');
	const categories = Object.entries(MALFORMED_WEIGHTS);
	const totalWeight = categories.reduce((sum, [, w]) => sum + w, 0);
	const cases: FuzzCase[] = [];
	const valids: FuzzCase[] = [];
	let malformed = 0;
	let validCount = 0;

	const tokenQuery = (secret: string) => `?token=${encodeURIComponent(secret)}`;
	const validPayload = (target: FuzzTarget) => ({
		status: 0,
		task_id: target.taskId ?? `fz-${word(10)}`,
		data: { text: `Someone is at the door (${word(6)})`, timestamp: new Date(options.baseTime - int(1, 1e6) * 1000).toISOString() },
	});

	function malformedDraft(category: string, target: FuzzTarget): Draft {
		const secret = target.secret;
		const good = validPayload(target);
		const json = (value: unknown, variant: string): Draft => ({ variant, query: tokenQuery(secret), headers: JSON_TYPE, body: JSON.stringify(value) });
		const raw = (body: string | Buffer, variant: string, headers: Record<string, string> = JSON_TYPE): Draft => ({ variant, query: tokenQuery(secret), headers, body });
		switch (category) {
			case 'invalid_json': {
				const text = JSON.stringify(good);
				return pick<() => Draft>([
					() => raw(text.slice(0, int(1, text.length - 1)), 'truncated'),
					() => raw(`${text}${pick(['}', ']', 'x', ',', '{}'])}`, 'trailing garbage'),
					() => raw(text.replace(/"/g, "'"), 'single quotes'),
					() => raw(text.replace(/"(\w+)":/g, '$1:'), 'unquoted keys'),
					() => raw(text.replace('"status":0', `"status":${pick(['NaN', 'Infinity', '-Infinity', 'undefined', '0x0', '00', '+0'])}`), 'not a JSON number'),
					() => raw(`/* comment */${text}`, 'comment'),
					() => raw(text.replace('}}', '},}'), 'trailing comma'),
					() => raw(text.replace('Someone', 'Some\u0001one'), 'raw control character'),
					() => raw(`{"status":0,"task_id":"${good.task_id}","data":{"text":"unterminated}}`, 'unterminated string'),
				])();
			}
			case 'wrong_types': {
				// Only what cannot be read (the receivers' rule, core/callback.ts): a string status, a
				// numeric task id, any data or text are read, and are valid variants, not malformed ones.
				const field = pick(['status', 'task_id'] as const);
				const values: Record<typeof field, unknown[]> = {
					status: [0.5, true, null, [], {}, 2 ** 53, '', 'ok'],
					task_id: [null, [], {}, true, '', 'a'.repeat(129), 'has space', 'a/b', 'a?b=c', 'a#b'],
				};
				const value = pick(values[field]);
				const body: Record<string, unknown> = { ...good, data: { ...good.data } };
				body[field] = value;
				return json(body, `${field}: ${JSON.stringify(value)?.slice(0, 20)}`);
			}
			case 'missing_fields': {
				const { status, task_id: taskId, data } = good;
				return pick<() => Draft>([
					() => json({}, 'empty object'),
					() => json({ status, data }, 'no task_id'),
					() => json({ task_id: taskId, data }, 'no status'),
					() => raw('', 'empty body'),
				])();
			}
			case 'not_an_object':
				return pick<() => Draft>([
					() => raw('[]', 'empty array'),
					() => raw(JSON.stringify([good]), 'array of a valid callback'),
					() => raw(String(int(-5, 5)), 'a number'),
					() => raw('null', 'null'),
					() => raw(pick(['true', 'false']), 'a boolean'),
					() => raw('   \n\t  ', 'whitespace'),
				])();
			case 'oversized': {
				if (chance(0.3)) {
					// Under the body limit, over the text limit (100 000 characters).
					const text = 'x'.repeat(int(100_001, 200_000));
					return json({ ...good, data: { ...good.data, text } }, 'data.text over 100 000 characters');
				}
				// Over the 256 KiB body limit, far under n8n's own 16 MiB limit (kept at a few MB).
				const size = chance(0.1) ? int(2_000_000, 3_000_000) : int(262_145, 1_000_000);
				return json({ ...good, padding: 'p'.repeat(size) }, 'body over 256 KiB');
			}
			case 'wrong_content_type': {
				// A JSON body (or a form of the payload's fields) is read whatever its declared type:
				// only a body that cannot be read is malformed here.
				const text = JSON.stringify(good);
				return pick<() => Draft>([
					() =>
						raw(
							`--b0undary\r\nContent-Disposition: form-data; name="payload"\r\n\r\n${text}\r\n--b0undary--\r\n`,
							'multipart',
							{ 'content-type': 'multipart/form-data; boundary=b0undary' },
						),
				])();
			}
			case 'missing_secret':
				return pick<() => Draft>([
					() => ({ variant: 'no query', headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'empty token', query: '?token=', headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'token without value', query: '?token', headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'other parameter name', query: `?${pick(['TOKEN', 'Token', 'tok', 'secret', 'key'])}=${encodeURIComponent(secret)}`, headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'secret in a header', headers: { ...JSON_TYPE, authorization: secret, 'x-token': secret }, body: JSON.stringify(good) }),
				])();
			case 'wrong_secret': {
				const others = options.targets.filter((t) => t.secret !== secret).map((t) => t.secret);
				return pick<() => Draft>([
					() => ({ variant: 'random secret', query: tokenQuery(word(43)), headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: "another trigger's secret", query: tokenQuery(pick(others)), headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => {
						const i = int(0, secret.length - 1);
						const swapped = `${secret.slice(0, i)}${pick([...URL_SAFE].filter((c) => c !== secret[i]))}${secret.slice(i + 1)}`;
						return { variant: 'one character changed', query: tokenQuery(swapped), headers: JSON_TYPE, body: JSON.stringify(good) };
					},
					() => ({ variant: 'case changed', query: tokenQuery(secret.toUpperCase() === secret ? secret.toLowerCase() : secret.toUpperCase()), headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'very long secret', query: tokenQuery(word(600)), headers: JSON_TYPE, body: JSON.stringify(good) }),
				])();
			}
			case 'truncated_secret':
				return pick<() => Draft>([
					() => ({ variant: 'prefix', query: tokenQuery(secret.slice(0, int(1, secret.length - 1))), headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'suffix', query: tokenQuery(secret.slice(int(1, secret.length - 1))), headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'one character more', query: tokenQuery(`${secret}${pick([...URL_SAFE])}`), headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'surrounding space', query: `?token=${pick(['%20', '+', '%09'])}${encodeURIComponent(secret)}${pick(['', '%20'])}`, headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'cut escape', query: `?token=${encodeURIComponent(secret.slice(0, -2))}%${pick(['', '4', 'G1', 'zz'])}`, headers: JSON_TYPE, body: JSON.stringify(good) }),
				])();
			case 'duplicated_secret_param':
				return pick<() => Draft>([
					() => ({ variant: 'token twice', query: `${tokenQuery(secret)}&token=${encodeURIComponent(secret)}`, headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'token and a wrong one', query: `${tokenQuery(secret)}&token=${word(43)}`, headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'token[]', query: `?token[]=${encodeURIComponent(secret)}`, headers: JSON_TYPE, body: JSON.stringify(good) }),
					() => ({ variant: 'token[x]', query: `?token[x]=${encodeURIComponent(secret)}`, headers: JSON_TYPE, body: JSON.stringify(good) }),
				])();
			case 'odd_unicode': {
				const odd = pick(ODD);
				return pick<() => Draft>([
					() => {
						const i = int(0, secret.length);
						return { variant: 'odd character in the secret', query: tokenQuery(`${secret.slice(0, i)}${odd}${secret.slice(i)}`), headers: JSON_TYPE, body: JSON.stringify(good) };
					},
					() => json({ ...good, task_id: `${good.task_id}${odd}` }, 'odd character in task_id'),
					() => json({ ['st\u0430tus']: 0, task_id: good.task_id, data: good.data }, 'look-alike key "stаtus"'),
					() => json({ ...good, status: pick(['\uff10', '\u0660', '\u09e6']) }, 'status in other digits'),
					() => raw(Buffer.concat([Buffer.from(`{"status":0,"task_id":"${good.task_id}`), Buffer.from([pick([0xff, 0xc0, 0xed, 0xf8]), 0x80]), Buffer.from(`","data":{"text":"x"}}`)]), 'invalid UTF-8 in task_id'),
					() => raw(Buffer.concat([Buffer.from('{"status":0,'), Buffer.from([0xc0, 0xa2]), Buffer.from(`task_id":"${good.task_id}","data":{"text":"x"}}`)]), 'overlong UTF-8 quote'),
					() => raw(`{"status":0,"task_id":"${good.task_id}\\ud800","data":{"text":"x"}}`, 'lone surrogate in task_id'),
					() => raw(`{"status":0,"task_id":"${good.task_id}\\u0000","data":{"text":"x"}}`, 'NUL in task_id'),
				])();
			}
			case 'proto_keys': {
				const text = JSON.stringify(good);
				const polluted = (query: string, variant: string): Draft => ({ variant, query, headers: JSON_TYPE, body: text });
				return pick<() => Draft>([
					() => raw(`{"__proto__":${text}}`, '__proto__ holding the callback'),
					() => raw(`{"constructor":{"prototype":${text}}}`, 'constructor.prototype holding the callback'),
					() => raw(`{"__proto__":{"status":0},"task_id":"${good.task_id}","data":{"text":"x"}}`, 'status only in __proto__'),
					() => raw(`{"status":0,"constructor":{"task_id":"${good.task_id}"},"data":{"text":"x"}}`, 'task_id only in constructor'),
					() => polluted(`?__proto__[token]=${encodeURIComponent(secret)}`, 'token in __proto__ query'),
					() => polluted(`?constructor[prototype][token]=${encodeURIComponent(secret)}`, 'token in constructor.prototype query'),
					() => polluted(`?token[__proto__]=${encodeURIComponent(secret)}`, 'token.__proto__ query'),
				])();
			}
			case 'wrong_method': {
				const method = pick(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH']);
				const withBody = method !== 'GET' && method !== 'HEAD';
				return { variant: method, method, query: tokenQuery(secret), headers: withBody ? JSON_TYPE : {}, body: withBody ? JSON.stringify(good) : undefined };
			}
			case 'wrong_path': {
				const base = target.path.replace(/\/results$/, '');
				const path = pick([`${base}/result`, `${target.path}/extra`, base, `${target.path}s`]);
				return { variant: path.slice(base.length) || '(no /results)', path, query: tokenQuery(secret), headers: JSON_TYPE, body: JSON.stringify(good) };
			}
			default:
				throw new Error(`unknown category ${category}`);
		}
	}

	function validCase(target: FuzzTarget): FuzzCase {
		validCount++;
		const marker = `#${options.seed}-${validCount}`;
		const text = pick([
			`Someone is at the door ${marker}`,
			`Le facteur dépose un colis, 📦 ${marker}`,
			`‏مرحبا — שלום — こんにちは ${marker}`,
			`Ｆｕｌｌｗｉｄｔｈ and combining é ${marker}`,
		]);
		const taskId = target.taskId ?? `fz-${options.seed}-${validCount}`;
		const timestamp = new Date(options.baseTime + validCount * 1000).toISOString();
		const variant = pick(['application/json', 'charset=utf-8', 'no content type', '+json type', 'extra __proto__ key', 'epoch seconds timestamp']);
		const headers: Record<string, string> =
			variant === 'no content type'
				? {}
				: { 'content-type': variant === 'charset=utf-8' ? 'application/json; charset=utf-8' : variant === '+json type' ? 'application/cloudevents+json' : 'application/json' };
		const ts = variant === 'epoch seconds timestamp' ? (options.baseTime + validCount * 1000) / 1000 : timestamp;
		let body = JSON.stringify({ status: 0, task_id: taskId, data: { text, timestamp: ts } });
		if (variant === 'extra __proto__ key') body = `${body.slice(0, -1)},"__proto__":{"polluted":true,"status":14}}`;
		return { n: 0, category: 'valid', variant, target: target.name, method: 'POST', path: `${target.path}${tokenQuery(target.secret)}`, headers, body, expect: 'accept', marker, taskId, text };
	}

	while (malformed < options.malformed) {
		const target = pick(options.targets);
		if (chance(1 / (options.validEvery + 1))) {
			const valid = validCase(target);
			cases.push(valid);
			valids.push(valid);
			continue;
		}
		if (valids.length > 0 && chance(options.replayShare / (options.validEvery + 1))) {
			// A replay of a callback sent a good while ago (already answered): same task and frame window.
			const earlier = valids[Math.max(0, valids.length - 1 - int(5, 50))];
			cases.push({ ...earlier, category: 'replay', variant: 'same task_id and timestamp', expect: 'replay' });
			continue;
		}
		let roll = random() * totalWeight;
		const [category] = categories.find(([, weight]) => (roll -= weight) < 0) ?? categories[categories.length - 1];
		const draft = malformedDraft(category, target);
		cases.push({
			n: 0,
			category,
			variant: draft.variant,
			target: target.name,
			method: draft.method ?? 'POST',
			path: `${draft.path ?? target.path}${draft.query ?? ''}`,
			headers: draft.headers ?? {},
			body: draft.body,
			expect: 'reject',
		});
		malformed++;
	}
	return cases.map((c, n) => ({ ...c, n }));
}
