// The receiver rule, whole: every host hands over what it saw of a callback request and the
// secrets it would accept, and answers what this says. Node only (the secret check hashes).
import { ContentDecoder, decodeContent, readParsedBody } from './callback-body';
import {
	CallbackEvent,
	CallbackRejection,
	callbackTooLarge,
	parseCallbackBody,
	parseCallbackPayload,
	rejectCallback,
	utf8Length,
} from './callback';
import { presentedTokens, rawQueryParams, singleParam } from './callback-url';
import { CALLBACK_TOKEN_PARAM, Limits } from './contract';
import { STOP_AT_PARAM, deadlineFromParam } from './deadline';
import { START_ID_PARAM, startIdFromParam } from './hidden-tasks';
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
	 * The request target as it arrived (path and query, e.g. Express's `originalUrl`): read for
	 * what a framework's parser gets wrong (the service's second `?`), and for the deadline.
	 */
	url?: string;
	/**
	 * The Content-Encoding header, when the raw bytes still carry it (a host whose framework
	 * decoded them already leaves it out), and how to decode it.
	 */
	contentEncoding?: string;
	decodeContent?: ContentDecoder;
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

/** The first candidate a presented token matches; every pair is checked, so timing tells nothing. */
function matchingCandidate(candidates: readonly ExpectedSecret[], tokens: readonly string[]): number | undefined {
	let matched: number | undefined;
	const presented: unknown[] = tokens.length > 0 ? [...tokens] : [undefined];
	candidates.forEach((candidate, index) => {
		for (const token of presented) if (verifyExpectedSecret(candidate, token) && matched === undefined) matched = index;
	});
	return matched;
}

type FromUrl = { taskId?: string };

function readBody(request: CallbackRequest, body: CallbackBody | undefined, declared: number | undefined, fromUrl: FromUrl) {
	if (body === undefined) return rejectCallback(400, 'The body is empty.');
	if ('tooLarge' in body) return callbackTooLarge();
	if ('raw' in body) {
		if (typeof body.raw === 'string') return parseCallbackBody(body.raw, request.contentType, fromUrl);
		const decoded = decodeContent(body.raw, request.contentEncoding, request.decodeContent);
		if (!decoded.ok) return rejectCallback(decoded.httpStatus, decoded.reason);
		return parseCallbackBody(decoded.bytes, request.contentType, fromUrl);
	}
	// Parsed without a declared size (chunked): its JSON text is what the limit applies to.
	const size = declared ?? utf8Length(JSON.stringify(body.parsed ?? null) ?? '');
	if (size > Limits.callbackBodyBytes) return callbackTooLarge();
	const value = readParsedBody(body.parsed, request.contentType);
	return value.ok ? parseCallbackPayload(value.value, fromUrl) : rejectCallback(value.httpStatus, value.reason);
}

/**
 * The whole receiver rule, in the order that costs an attacker most and us least: secret, then
 * method, then declared size (before any body is read), then the body, read whatever it was
 * declared to be (callback.ts). A request with the right secret is always attributed (`matched`),
 * refused or not: its refusal is a result lost, which the host counts and logs.
 * @param candidates the secrets this host accepts on the request's path; an empty one never matches
 */
export async function checkCallback(request: CallbackRequest, candidates: readonly ExpectedSecret[]): Promise<CallbackCheck> {
	const matched = matchingCandidate(candidates, presentedTokens(request.query, request.url));
	if (matched === undefined) {
		if (request.method.toUpperCase() !== 'POST') return rejectCallback(405, 'Only POST is accepted.');
		return rejectCallback(401, `Missing or wrong "${CALLBACK_TOKEN_PARAM}" in the callback URL.`);
	}
	if (request.method.toUpperCase() !== 'POST') return { ...rejectCallback(405, 'Only POST is accepted.'), matched };
	const declared = declaredLength(request.contentLength);
	if (declared !== undefined && declared > Limits.callbackBodyBytes) return { ...callbackTooLarge(), matched };
	const params = rawQueryParams(request.url);
	const body = typeof request.body === 'function' ? await request.body() : request.body;
	const reading = readBody(request, body, declared, { taskId: singleParam(params, 'task_id') });
	if (!reading.ok) return { ...reading, matched };
	// Only now, with the secret proven, does what else the URL says count.
	const stopAt = deadlineFromParam(singleParam(params, STOP_AT_PARAM));
	const startId = startIdFromParam(singleParam(params, START_ID_PARAM));
	return {
		ok: true,
		matched,
		event: { ...reading.event, ...(stopAt === undefined ? {} : { stopAt }), ...(startId === undefined ? {} : { startId }) },
	};
}
