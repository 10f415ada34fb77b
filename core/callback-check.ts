// The receiver rule, whole: every host hands over what it saw of a callback request and the
// secrets it would accept, and answers what this says. Node only (the secret check hashes).
import {
	CallbackEvent,
	CallbackRejection,
	NOT_JSON_TYPE,
	callbackTooLarge,
	isJsonContentType,
	parseCallbackBody,
	parseCallbackPayload,
	rejectCallback,
	utf8Length,
} from './callback';
import { tokenFromQuery } from './callback-url';
import { CALLBACK_TOKEN_PARAM, Limits } from './contract';
import { ExpectedSecret, verifyExpectedSecret } from './secret-check';

/** What a host has of a callback's body. */
export type CallbackBody =
	/** The bytes (or text) as they arrived. */
	| { raw: string | Uint8Array }
	/** A value the host's framework parsed already (its bytes are gone). */
	| { parsed: unknown }
	/** The host stopped reading: the body is larger than `Limits.callbackBodyBytes`. */
	| { tooLarge: true };

/** What the host saw of a callback request. */
export interface CallbackRequest {
	method: string;
	contentType?: string;
	/** The Content-Length header as sent (text or number), if there was one. */
	contentLength?: unknown;
	/** The query as the host's framework parsed it: the secret travels there (`token`). */
	query: unknown;
	/**
	 * The body, or how to read it: a host that reads bodies itself passes a function, which is only
	 * called once method, secret and declared size passed (a stranger's body is never read).
	 * Undefined: no body.
	 */
	body: CallbackBody | undefined | (() => Promise<CallbackBody | undefined>);
}

export type CallbackCheck =
	/** `matched`: the index of the candidate secret the request carried. */
	| { ok: true; matched: number; event: CallbackEvent }
	/** `matched` is set once the secret matched: the rejection concerns that candidate's receiver. */
	| (CallbackRejection & { matched?: number });

function declaredLength(contentLength: unknown): number | undefined {
	const value = typeof contentLength === 'string' && contentLength.trim() !== '' ? Number(contentLength) : contentLength;
	return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The first candidate the token matches; every candidate is checked, so timing tells nothing. */
function matchingCandidate(candidates: readonly ExpectedSecret[], token: unknown): number | undefined {
	let matched: number | undefined;
	candidates.forEach((candidate, index) => {
		if (verifyExpectedSecret(candidate, token) && matched === undefined) matched = index;
	});
	return matched;
}

function readBody(body: CallbackBody | undefined, contentType: string | undefined, declared: number | undefined) {
	if (body === undefined) return rejectCallback(400, 'The body is empty.');
	if ('tooLarge' in body) return callbackTooLarge();
	if ('raw' in body) return parseCallbackBody(body.raw, contentType);
	if (!isJsonContentType(contentType)) return rejectCallback(415, NOT_JSON_TYPE);
	// Parsed without a declared size (chunked): its JSON text is what the limit applies to.
	const size = declared ?? utf8Length(JSON.stringify(body.parsed ?? null) ?? '');
	if (size > Limits.callbackBodyBytes) return callbackTooLarge();
	return parseCallbackPayload(body.parsed);
}

/**
 * The whole receiver rule, in the order that costs an attacker most and us least: method, then
 * secret, then declared size (before any body is read), then content type, size and payload.
 * @param candidates the secrets this host accepts on the request's path; an empty one never matches
 */
export async function checkCallback(request: CallbackRequest, candidates: readonly ExpectedSecret[]): Promise<CallbackCheck> {
	if (request.method.toUpperCase() !== 'POST') return rejectCallback(405, 'Only POST is accepted.');
	const matched = matchingCandidate(candidates, tokenFromQuery(request.query));
	if (matched === undefined) return rejectCallback(401, `Missing or wrong "${CALLBACK_TOKEN_PARAM}" in the callback URL.`);
	const declared = declaredLength(request.contentLength);
	if (declared !== undefined && declared > Limits.callbackBodyBytes) return { ...callbackTooLarge(), matched };
	const body = typeof request.body === 'function' ? await request.body() : request.body;
	const reading = readBody(body, request.contentType, declared);
	return { ...reading, matched };
}
