// Reading a callback: the receivers' rule. Once a callback carries the right secret its sender is
// the service, and every refusal is a billed result lost: whatever can be read as the documented
// payload is, and only what cannot be read is refused (the host counts and logs it).
//
// The documented payload: {"status": 0, "task_id": "…", "data": {"text": "…", "timestamp": "<ISO UTC>"}}.
//
// | field     | accepted                                                    | refused (400)                      |
// |-----------|-------------------------------------------------------------|------------------------------------|
// | envelope  | the payload itself; or wrapped as `data` of a `{code, msg,  | not a JSON object (array, number…) |
// |           |   data}` / `{data: {...}}` envelope (`code` "0"/"0000": 0)   |                                    |
// | task_id   | a task id string; `taskId`/`taskID`; a number (its digits,  | missing everywhere, or characters  |
// |           |   exact in raw JSON; over 2^53 in a host-parsed body: lost, |   a stop URL cannot carry          |
// |           |   refused); else the service's own `?task_id=` of the URL   |                                    |
// | status    | an integer, or an integer as a string (" 0 ", "14")         | missing, fractional, not a number  |
// | data      | an object; null or missing (final callbacks, a result       |                                    |
// |           |   without text); a JSON string of an object; a plain string |                                    |
// |           |   (taken as the text)                                       |                                    |
// | text      | `data.text`, else a top-level `text`; a string; a number or |                                    |
// |           |   boolean as text; an object/array as its JSON; null or     |                                    |
// |           |   missing: "" (also for status 0)                           |                                    |
// | timestamp | `data.timestamp`, else a top-level `timestamp`: ISO-8601,   | never: null when unreadable        |
// |           |   without a zone (T or space) read as UTC; epoch s or ms,   |                                    |
// |           |   as numbers or digit strings; anything else → null         |                                    |
// | extras    | ignored (only own fields count: `__proto__` reaches nothing) |                                    |
// | size      | body ≤ 256 KiB, text ≤ 100 000 characters                    | larger: 413                        |
//
// How the body's bytes become JSON (content types, charsets, forms) is callback-body.ts; the
// method, the secret and what the URL carries are callback-check.ts and callback-url.ts.
import { decodeBodyText, readBodyText } from './callback-body';
import { Limits, Status } from './contract';
import { isPlainObject, own } from './json';
import { isTaskId } from './validate';

/** One result of a frame window (or the end of a stream), as the hosts emit it. */
export interface CallbackEvent {
	taskId: string;
	/** 0 for a result; any other value (assumed) means the stream has ended. */
	status: number;
	text: string;
	/** ISO-8601 UTC of the analysed frame window, or null when missing or unreadable. */
	timestamp: string | null;
	ended: boolean;
	/**
	 * The stream's deadline (epoch ms) from its callback URL (`stop_at`, see deadline.ts): only set
	 * once the secret matched, so nobody without it can make a receiver stop a stream.
	 */
	stopAt?: number;
	/** The marker of the start that handed out the callback URL (`start_id`, see hidden-tasks.ts). */
	startId?: string;
}

export type CallbackRejection = {
	ok: false;
	/** What to answer the sender. */
	httpStatus: 400 | 401 | 405 | 413 | 415;
	reason: string;
};
/** A body read as the documented payload, or why it cannot be. */
export type CallbackReading = { ok: true; event: CallbackEvent } | CallbackRejection;

export const rejectCallback = (httpStatus: CallbackRejection['httpStatus'], reason: string): CallbackRejection => ({
	ok: false,
	httpStatus,
	reason,
});
const reject = rejectCallback;
export const callbackTooLarge = (): CallbackRejection => reject(413, `The body is larger than ${Limits.callbackBodyBytes} bytes.`);

/** Lone surrogates and NUL characters break databases and JSON encoders further down a flow. */
function cleanText(text: string): string {
	const withWellFormed = text as string & { toWellFormed?: () => string };
	const wellFormed = typeof withWellFormed.toWellFormed === 'function' ? withWellFormed.toWellFormed() : text;
	return wellFormed.replace(/\u0000/g, '');
}

/** An ISO-8601 date and time without a zone (T or a space between them): UTC by the contract. */
const ISO_WITHOUT_ZONE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)$/;
/** An ISO-8601 date and time with a zone, possibly with a space instead of the T. */
const ISO_WITH_ZONE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}.*(?:Z|[+-]\d{2}:?\d{2}))$/i;
/** Some zone is named at the end (Z, an offset, GMT, UTC or a US zone a parser knows). */
const HAS_ZONE = /(?:\dZ|[+-]\d{2}:?\d{2}|\b(?:GMT|UTC|UT|[ECMP][SD]T))$/i;

/** Epoch ms of a timestamp string, read as UTC when it names no zone, whatever the host's TZ. */
function parseTimestampText(text: string): number {
	if (/^\d{9,13}(?:\.\d+)?$/.test(text)) return epochMillis(Number(text));
	const withoutZone = ISO_WITHOUT_ZONE.exec(text);
	if (withoutZone) return Date.parse(`${withoutZone[1]}T${withoutZone[2].replace(',', '.')}Z`);
	const withZone = ISO_WITH_ZONE.exec(text);
	if (withZone) return Date.parse(`${withZone[1]}T${withZone[2]}`);
	// A date-only ISO form is UTC by ECMAScript; any other form without a zone would be local time.
	if (/^\d{4}-\d{2}-\d{2}$/.test(text) || HAS_ZONE.test(text)) return Date.parse(text);
	return /\d:\d/.test(text) || /[a-z]{3}/i.test(text) ? Date.parse(`${text} GMT`) : Date.parse(text);
}

/** Epoch seconds (up to 1e11, the year 5138) or milliseconds. */
function epochMillis(value: number): number {
	return value > 1e11 ? value : value * 1000;
}

/** Assumed: the timestamp may be missing or in another format; never fail on it. */
export function normaliseTimestamp(value: unknown): string | null {
	let millis: number;
	if (typeof value === 'string' && value.trim() !== '' && value.length <= 64) {
		millis = parseTimestampText(value.trim());
	} else if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
		millis = epochMillis(value);
	} else {
		return null;
	}
	if (!Number.isFinite(millis)) return null;
	const date = new Date(millis);
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An integer, also one sent as a string. */
function integerOf(value: unknown): number | undefined {
	const number = typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value) ? Number(value) : value;
	return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}

const hasTaskId = (object: object) => ['task_id', 'taskId', 'taskID'].some((key) => own(object, key) !== undefined);

/**
 * The payload itself, or the one an envelope wraps (`{code, msg, data: {task_id…}}`), and the
 * status the envelope gives when the payload has none.
 */
function unwrap(payload: object): { payload: object; envelopeStatus?: number } {
	if (hasTaskId(payload)) return { payload };
	let data = own(payload, 'data');
	if (typeof data === 'string') data = jsonObjectOf(data);
	if (!isPlainObject(data) || !hasTaskId(data)) return { payload };
	const code = own(payload, 'code');
	const envelopeStatus = integerOf(own(payload, 'status')) ?? (code === '0000' || integerOf(code) === 0 ? Status.ok : undefined);
	return { payload: data, envelopeStatus };
}

function jsonObjectOf(text: string): object | undefined {
	if (!text.trim().startsWith('{')) return undefined;
	try {
		const value = JSON.parse(text) as unknown;
		return isPlainObject(value) ? value : undefined;
	} catch {
		return undefined;
	}
}

type TaskIdReading = { ok: true; taskId: string } | CallbackRejection;

function readTaskId(payload: object, fromUrl: string | undefined): TaskIdReading {
	const value = own(payload, 'task_id') ?? own(payload, 'taskId') ?? own(payload, 'taskID') ?? fromUrl;
	if (value === undefined || value === null) return reject(400, 'task_id is missing.');
	if (typeof value === 'number') {
		// Digits a JSON parser rounded (over 2^53) name another task: a stop could hit the wrong one.
		if (!Number.isSafeInteger(value) || value < 0) return reject(400, 'task_id is a number too large to be read exactly; send it as a string.');
		return { ok: true, taskId: String(value) };
	}
	return isTaskId(value) ? { ok: true, taskId: value } : reject(400, 'task_id must be a task id: letters, digits, "-", "_", "." or "~".');
}

/** A text field's value as text: strings as they are, numbers and booleans spelled, objects as JSON. */
function textOf(value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	return JSON.stringify(value) ?? '';
}

/**
 * Reads an already parsed callback body as the documented payload (see the table above).
 * @param fromUrl what the callback URL says beside the body: the service's own `?task_id=`
 */
export function parseCallbackPayload(body: unknown, fromUrl: { taskId?: string } = {}): CallbackReading {
	const value = typeof body === 'string' ? (jsonObjectOf(body) ?? body) : body;
	if (!isPlainObject(value)) return reject(400, 'The body must be a JSON object.');
	const { payload, envelopeStatus } = unwrap(value);
	const taskId = readTaskId(payload, fromUrl.taskId);
	if (!taskId.ok) return taskId;
	const statusField = own(payload, 'status');
	const status = integerOf(statusField) ?? (statusField === undefined ? envelopeStatus : undefined);
	if (status === undefined) return reject(400, 'status must be an integer (0 for a result).');
	let data = own(payload, 'data');
	if (typeof data === 'string') data = jsonObjectOf(data) ?? { text: data };
	const fromData = (key: string) => (isPlainObject(data) ? own(data, key) : undefined);
	const text = textOf(fromData('text') ?? own(payload, 'text'));
	if (text.length > Limits.callbackTextLength) return reject(413, `data.text is longer than ${Limits.callbackTextLength} characters.`);
	return {
		ok: true,
		event: {
			taskId: taskId.taskId,
			status,
			text: cleanText(text),
			timestamp: normaliseTimestamp(fromData('timestamp') ?? own(payload, 'timestamp')),
			ended: status !== Status.ok,
		},
	};
}

/** Bytes of `text` in UTF-8, or at least more than the limit when it is over it anyway. */
export function utf8Length(text: string): number {
	// UTF-8 never takes fewer bytes than UTF-16 code units: skip encoding what is too long anyway.
	return text.length > Limits.callbackBodyBytes ? text.length : new TextEncoder().encode(text).byteLength;
}

/**
 * Reads a raw body: size, then its bytes as text and JSON whatever the declared type
 * (callback-body.ts), then the payload.
 */
export function parseCallbackBody(raw: string | Uint8Array, contentType?: string, fromUrl: { taskId?: string } = {}): CallbackReading {
	const size = typeof raw === 'string' ? utf8Length(raw) : raw.byteLength;
	if (size > Limits.callbackBodyBytes) return callbackTooLarge();
	const body = readBodyText(typeof raw === 'string' ? raw.replace(/^\uFEFF/, '') : decodeBodyText(raw, contentType), contentType);
	return body.ok ? parseCallbackPayload(body.value, fromUrl) : reject(body.httpStatus, body.reason);
}
