// Reading a callback's body: the documented payload, the content types and the size limit. What
// comes before (method, secret) is callback-check.ts.
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
export const NOT_JSON_TYPE = 'The body must be JSON (Content-Type: application/json).';

/** Lone surrogates and NUL characters break databases and JSON encoders further down a flow. */
function cleanText(text: string): string {
	const withWellFormed = text as string & { toWellFormed?: () => string };
	const wellFormed = typeof withWellFormed.toWellFormed === 'function' ? withWellFormed.toWellFormed() : text;
	return wellFormed.replace(/\u0000/g, '');
}

/** Assumed: the timestamp may be missing or in another format; never fail on it. */
export function normaliseTimestamp(value: unknown): string | null {
	let millis: number;
	if (typeof value === 'string' && value.trim() !== '' && value.length <= 64) {
		millis = Date.parse(value.trim());
	} else if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
		millis = value > 1e11 ? value : value * 1000; // epoch milliseconds or seconds
	} else {
		return null;
	}
	if (!Number.isFinite(millis)) return null;
	const date = new Date(millis);
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** Validates an already parsed callback body (documented payload; extra fields are ignored). */
export function parseCallbackPayload(payload: unknown): CallbackReading {
	if (!isPlainObject(payload)) return reject(400, 'The body must be a JSON object.');
	const taskId = own(payload, 'task_id');
	if (!isTaskId(taskId)) {
		return reject(400, 'task_id must be a task id string.');
	}
	const status = own(payload, 'status');
	if (typeof status !== 'number' || !Number.isSafeInteger(status)) {
		return reject(400, 'status must be an integer.');
	}
	const data = own(payload, 'data');
	if (data !== undefined && data !== null && !isPlainObject(data)) {
		return reject(400, 'data must be an object.');
	}
	const text = data ? own(data, 'text') : undefined;
	if (status === Status.ok && typeof text !== 'string') {
		return reject(400, 'data.text must be a string for a result (status 0).');
	}
	if (text !== undefined && text !== null && typeof text !== 'string') {
		return reject(400, 'data.text must be a string.');
	}
	if (typeof text === 'string' && text.length > Limits.callbackTextLength) {
		return reject(413, `data.text is longer than ${Limits.callbackTextLength} characters.`);
	}
	return {
		ok: true,
		event: {
			taskId,
			status,
			text: typeof text === 'string' ? cleanText(text) : '',
			timestamp: data ? normaliseTimestamp(own(data, 'timestamp')) : null,
			ended: status !== Status.ok,
		},
	};
}

export function isJsonContentType(contentType: string | undefined): boolean {
	// Tolerated: no content type at all (undocumented delivery details); refused: any other type.
	if (contentType === undefined || contentType.trim() === '') return true;
	const type = contentType.split(';')[0].trim().toLowerCase();
	return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/** Bytes of `text` in UTF-8, or at least more than the limit when it is over it anyway. */
export function utf8Length(text: string): number {
	// UTF-8 never takes fewer bytes than UTF-16 code units: skip encoding what is too long anyway.
	return text.length > Limits.callbackBodyBytes ? text.length : new TextEncoder().encode(text).byteLength;
}

/** Validates a raw body: size, content type, JSON syntax, then the payload. */
export function parseCallbackBody(raw: string | Uint8Array, contentType?: string): CallbackReading {
	if (!isJsonContentType(contentType)) return reject(415, NOT_JSON_TYPE);
	const size = typeof raw === 'string' ? utf8Length(raw) : raw.byteLength;
	if (size > Limits.callbackBodyBytes) return callbackTooLarge();
	const text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: false }).decode(raw);
	let payload: unknown;
	try {
		payload = JSON.parse(text);
	} catch {
		return reject(400, 'The body is not valid JSON.');
	}
	return parseCallbackPayload(payload);
}
