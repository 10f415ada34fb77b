// A callback's body, from bytes (or the value a host's framework parsed) to the JSON value it
// carries. The receivers' rule (see callback.ts): once the secret matched, the sender is the
// service, so the body is read for what it is, not for what it was declared to be.
//
// | what arrives                                              | read as                                   |
// |-----------------------------------------------------------|-------------------------------------------|
// | JSON under any Content-Type (json, text/plain, form,       | that JSON                                 |
// |   octet-stream, none, …), any charset= the platform knows  |                                           |
// | a byte order mark (UTF-8, UTF-16) before it                | dropped                                   |
// | a form body (a=b&c=d) with the payload's fields, brackets  | those fields (`data[text]`, `data.text`)  |
// |   or dots for `data`, or one field holding the JSON        |   or that JSON                            |
// | a JSON string holding the JSON object (encoded twice)      | the object                                |
// | a number task id of any length in raw JSON                 | its digits, exactly (quoted before parse) |
// | a framework's form parse of a JSON body ({"<json>": ""})   | the JSON                                  |
// | Content-Encoding gzip/deflate/br, when the host can decode | the decoded bytes                         |
// | empty, not JSON nor a form, multipart, an unknown encoding | refused: 400 / 415                        |
import { Limits } from './contract';
import { isPlainObject } from './json';

export type BodyRefusal = { ok: false; httpStatus: 400 | 413 | 415; reason: string };
export type BodyValue = { ok: true; value: unknown } | BodyRefusal;

const refuse = (httpStatus: 400 | 413 | 415, reason: string): BodyRefusal => ({ ok: false, httpStatus, reason });

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaTypeOf(contentType: string | undefined): string {
	return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function charsetOf(contentType: string | undefined): string | undefined {
	const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
	return match?.[1].toLowerCase();
}

/** A decoder for `label`, or undefined when the platform does not know it. */
function decoderFor(label: string): InstanceType<typeof TextDecoder> | undefined {
	try {
		return new TextDecoder(label, { fatal: false });
	} catch {
		return undefined;
	}
}

/**
 * Bytes as text: a byte order mark decides (and is dropped), else the declared charset, else
 * UTF-8. Malformed sequences become U+FFFD (the JSON reader refuses what is then unreadable).
 */
export function decodeBodyText(raw: Uint8Array, contentType?: string): string {
	if (raw[0] === 0xff && raw[1] === 0xfe) return new TextDecoder('utf-16le').decode(raw.subarray(2));
	if (raw[0] === 0xfe && raw[1] === 0xff) return new TextDecoder('utf-16be').decode(raw.subarray(2));
	const charset = charsetOf(contentType);
	const decoder = (charset === undefined ? undefined : decoderFor(charset)) ?? new TextDecoder('utf-8');
	// TextDecoder drops a UTF-8 byte order mark itself; one left in front of the text goes too.
	return decoder.decode(raw).replace(/^\uFEFF/, '');
}

/**
 * Numbers a JSON parser would round (task ids over 2^53, as a backend with 64-bit keys sends
 * them) are quoted in the text first, so that their digits survive.
 */
function quoteLongTaskIds(text: string): string {
	return text.replace(/("task_?id"\s*:\s*)(-?\d{16,})(?=\s*[,}])/gi, '$1"$2"');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(quoteLongTaskIds(text)) as unknown };
	} catch {
		return { ok: false };
	}
}

/** One level of `data[text]` / `data.text` form keys made into the payload's shape. */
function formObject(params: URLSearchParams): Record<string, unknown> {
	const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
	params.forEach((value, key) => {
		const nested = /^([A-Za-z_]+)(?:\[([A-Za-z_]+)\]|\.([A-Za-z_]+))$/.exec(key);
		if (nested) {
			const parent = nested[1];
			const child = nested[2] ?? nested[3];
			const holder = isPlainObject(object[parent]) ? (object[parent] as Record<string, unknown>) : (Object.create(null) as Record<string, unknown>);
			if (!(child in holder)) holder[child] = value;
			object[parent] = holder;
		} else if (!(key in object)) {
			object[key] = value;
		}
	});
	return { ...object };
}

/** A form body: the JSON one field holds (`payload=…`, `json=…`), else its fields as the payload. */
function readForm(text: string): BodyValue {
	const params = new URLSearchParams(text);
	let held: BodyValue | undefined;
	params.forEach((value) => {
		const trimmed = value.trim();
		if (held === undefined && trimmed.startsWith('{')) {
			const json = parseJson(trimmed);
			if (json.ok && isPlainObject(json.value)) held = json;
		}
	});
	if (held) return held;
	const object = formObject(params);
	return Object.keys(object).length > 0 ? { ok: true, value: object } : refuse(400, 'The form body has no fields.');
}

const looksLikeForm = (text: string) => /^[A-Za-z_][A-Za-z0-9_.[\]%-]*=/.test(text);

/** The JSON value a body's text carries, whatever type was declared. */
export function readBodyText(text: string, contentType?: string): BodyValue {
	const type = mediaTypeOf(contentType);
	if (type.startsWith('multipart/')) return refuse(415, 'A multipart body cannot be read: send the JSON payload as the body.');
	const trimmed = text.trim();
	if (trimmed === '') return refuse(400, 'The body is empty.');
	if (trimmed.startsWith('{') || trimmed.startsWith('[') || trimmed.startsWith('"')) {
		const json = parseJson(trimmed);
		if (!json.ok) return refuse(400, 'The body is not valid JSON.');
		// Encoded twice: a JSON string that holds the object.
		if (typeof json.value === 'string' && json.value.trim().startsWith('{')) {
			const inner = parseJson(json.value.trim());
			if (inner.ok) return inner;
		}
		return json;
	}
	if (type === 'application/x-www-form-urlencoded' || looksLikeForm(trimmed)) return readForm(trimmed);
	const json = parseJson(trimmed);
	if (json.ok) return json; // a bare number, true, null: read, and refused as no object by the payload rule
	return type === '' || type.includes('json') || type.startsWith('text/') || type === 'application/octet-stream'
		? refuse(400, 'The body is not valid JSON.')
		: refuse(415, `The body is neither JSON nor a form (Content-Type: ${type.slice(0, 60)}), so it cannot be read.`);
}

/**
 * A value the host's framework parsed already. A form parser that met a JSON body made it the
 * only key of an object (`{"{\"status\":0,…}": ""}`): that key is the body.
 */
export function readParsedBody(parsed: unknown, contentType?: string): BodyValue {
	if (typeof parsed === 'string') return readBodyText(parsed, contentType);
	if (parsed instanceof Uint8Array) return readBodyText(decodeBodyText(parsed, contentType), contentType);
	if (isPlainObject(parsed)) {
		const keys = Object.keys(parsed);
		const only = keys.length === 1 ? (parsed as Record<string, unknown>)[keys[0]] : undefined;
		if (keys.length === 1 && keys[0].trim().startsWith('{') && (only === '' || only === undefined)) {
			const json = parseJson(keys[0].trim());
			if (json.ok) return json;
		}
	}
	return { ok: true, value: parsed };
}

/** A decoder a host offers for Content-Encoding (the core has no zlib): undefined when it cannot decode. */
export type ContentDecoder = (raw: Uint8Array, encoding: string, maxBytes: number) => Uint8Array | 'too_large' | undefined;

/** Removes a Content-Encoding the host did not remove itself. */
export function decodeContent(
	raw: Uint8Array,
	encoding: string | undefined,
	decoder: ContentDecoder | undefined,
): { ok: true; bytes: Uint8Array } | BodyRefusal {
	const name = (encoding ?? '').trim().toLowerCase();
	if (name === '' || name === 'identity') return { ok: true, bytes: raw };
	const decoded = decoder?.(raw, name, Limits.callbackBodyBytes);
	if (decoded === 'too_large') return refuse(413, `The body is larger than ${Limits.callbackBodyBytes} bytes once decoded.`);
	if (decoded === undefined) return refuse(415, `A body with Content-Encoding "${name.slice(0, 30)}" cannot be read here.`);
	return { ok: true, bytes: decoded };
}
