import { CALLBACK_TOKEN_PARAM, Limits, Status } from './contract';
import { isPlainObject, own } from './json';
import { ExpectedSecret, verifyExpectedSecret } from './secret-check';
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
export type CallbackCheck = { ok: true; event: CallbackEvent } | CallbackRejection;

const reject = (httpStatus: CallbackRejection['httpStatus'], reason: string): CallbackRejection => ({
	ok: false,
	httpStatus,
	reason,
});
const tooLarge = () => reject(413, `The body is larger than ${Limits.callbackBodyBytes} bytes.`);

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
export function parseCallbackPayload(payload: unknown): CallbackCheck {
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

function isJsonContentType(contentType: string | undefined): boolean {
	// Tolerated: no content type at all (undocumented delivery details); refused: any other type.
	if (contentType === undefined || contentType.trim() === '') return true;
	const type = contentType.split(';')[0].trim().toLowerCase();
	return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

function utf8Length(text: string): number {
	// UTF-8 never takes fewer bytes than UTF-16 code units: skip encoding what is too long anyway.
	return text.length > Limits.callbackBodyBytes ? text.length : new TextEncoder().encode(text).byteLength;
}

/** Validates a raw body: size, content type, JSON syntax, then the payload. */
export function parseCallbackBody(raw: string | Uint8Array, contentType?: string): CallbackCheck {
	if (!isJsonContentType(contentType)) return reject(415, 'The body must be JSON (Content-Type: application/json).');
	const size = typeof raw === 'string' ? utf8Length(raw) : raw.byteLength;
	if (size > Limits.callbackBodyBytes) return tooLarge();
	const text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: false }).decode(raw);
	let payload: unknown;
	try {
		payload = JSON.parse(text);
	} catch {
		return reject(400, 'The body is not valid JSON.');
	}
	return parseCallbackPayload(payload);
}

export interface CallbackRequest {
	method: string;
	contentType?: string;
	/** The `token` query value as the host parsed it (string, array, undefined…). */
	token: unknown;
	/**
	 * Raw bytes or text when the host reads the body itself; a parsed value when the host's
	 * framework already parsed JSON (then `bodyIsParsed` must be true).
	 */
	body: unknown;
	bodyIsParsed?: boolean;
	/**
	 * The body's size in bytes when the host has no raw bytes to show for it: the framework parsed
	 * it already, or the host stopped reading past `Limits.callbackBodyBytes` (body undefined).
	 */
	bodyLength?: number;
}

/**
 * The whole receiver rule, in the order that costs an attacker most and us least:
 * method, then secret, then content type, size and payload.
 */
export function checkCallbackRequest(request: CallbackRequest, expectedSecret: ExpectedSecret): CallbackCheck {
	if (request.method.toUpperCase() !== 'POST') return reject(405, 'Only POST is accepted.');
	if (!verifyExpectedSecret(expectedSecret, request.token)) {
		return reject(401, `Missing or wrong "${CALLBACK_TOKEN_PARAM}" in the callback URL.`);
	}
	if (request.bodyLength !== undefined && request.bodyLength > Limits.callbackBodyBytes) return tooLarge();
	if (request.bodyIsParsed) {
		if (!isJsonContentType(request.contentType)) {
			return reject(415, 'The body must be JSON (Content-Type: application/json).');
		}
		return parseCallbackPayload(request.body);
	}
	if (typeof request.body === 'string' || request.body instanceof Uint8Array) {
		return parseCallbackBody(request.body, request.contentType);
	}
	if (request.body === undefined || request.body === null) return reject(400, 'The body is empty.');
	return reject(400, 'The body must be JSON.');
}
