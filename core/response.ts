// Reading the API's answers to start and stop, and failures of the HTTP client itself.
import { apiError } from './api-error';
import { callbackTokenOf } from './callback-url';
import { LegacyCode, Status } from './contract';
import { Envelope, legacyTaskId, readEnvelope } from './envelope';
import { ApiErrorKind, MemoriesApiError, Operation } from './errors';
import { redact } from './secrets';
import { isTaskId } from './validate';

/** What came back over HTTP, however the host's client delivered the body. */
export interface ApiResponse {
	httpStatus: number;
	/** Raw text, bytes, an already parsed object, or nothing. */
	body: unknown;
	/** The `Location` header, if any: a 3xx names where it points (never followed). */
	location?: string;
	/** The `Retry-After` header, if any (seconds or an HTTP-date). */
	retryAfter?: string;
}

export interface Started {
	taskId: string;
}

export type StopOutcome =
	| { outcome: 'stopped'; taskId: string }
	/** Documented `-1`: the task does not exist or was stopped before. Not a failure. */
	| { outcome: 'not_found'; taskId: string };

export interface InterpretOptions {
	/** Values (the API key) that must never appear in an error, even if the API echoes them. */
	secrets?: readonly string[];
	/** The start's callback URL: its secret must not appear in an error either. */
	callbackUrl?: string;
	/** The Base URL the request went to: a relative `Location` is read against it. */
	baseUrl?: string;
	/** The host's clock (epoch ms), for a `Retry-After` given as an HTTP-date. */
	now?: number;
}

const STATUS_KINDS: Record<number, ApiErrorKind> = {
	[Status.invalid]: 'invalid_request',
	[Status.maxStreams]: 'max_streams',
	[Status.creditFailure]: 'credits',
	[Status.internal]: 'server',
	[Status.capacity]: 'capacity',
};

const LEGACY_KINDS: Record<string, ApiErrorKind> = {
	[LegacyCode.badAuth]: 'auth',
	[LegacyCode.noCredits]: 'credits',
	[LegacyCode.rateLimited]: 'rate_limited',
	[LegacyCode.permissionDenied]: 'permission',
	'429': 'rate_limited',
	'401': 'auth',
	'403': 'permission',
};

function kindForHttpStatus(httpStatus: number): ApiErrorKind | undefined {
	if (httpStatus === 401) return 'auth';
	if (httpStatus === 403) return 'permission';
	if (httpStatus === 429) return 'rate_limited';
	if (httpStatus >= 500) return 'server';
	if (httpStatus >= 400) return 'invalid_request';
	return undefined;
}

function secretsOf(options: InterpretOptions): string[] {
	const token = options.callbackUrl === undefined ? undefined : callbackTokenOf(options.callbackUrl);
	return [...(options.secrets ?? []), ...(token ? [token] : [])];
}

/** Longer waits than a day are not a wait but a refusal: read as a day. */
const RETRY_AFTER_MAX_MS = 24 * 3600 * 1000;

/**
 * A `Retry-After` header in ms from `nowMs`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3);
 * undefined when absent or unreadable, 0 for a date in the past.
 */
export function retryAfterMs(header: string | undefined, nowMs: number): number | undefined {
	if (header === undefined) return undefined;
	const text = header.trim();
	if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, RETRY_AFTER_MAX_MS);
	if (!/[a-z]/i.test(text)) return undefined; // a bare number with a sign or fraction is no HTTP-date
	const at = Date.parse(text);
	return Number.isFinite(at) ? Math.min(Math.max(0, at - nowMs), RETRY_AFTER_MAX_MS) : undefined;
}

/**
 * Where a redirect pointed, as an error may show it: origin and path, no query, fragment or user
 * info (they may carry tokens), secrets redacted, at most 200 characters.
 */
export function redirectTarget(location: string | undefined, baseUrl: string | undefined, secrets: readonly string[] = []): string | undefined {
	if (location === undefined || location.trim() === '') return undefined;
	let shown: string;
	try {
		const url = new URL(location.trim(), baseUrl);
		shown = url.protocol === 'http:' || url.protocol === 'https:' ? `${url.origin}${url.pathname}` : `${url.protocol}…`;
	} catch {
		shown = 'an address that is not a URL';
	}
	return redact(shown, secrets).slice(0, 200);
}

function isRedirect(httpStatus: number): boolean {
	return httpStatus >= 300 && httpStatus < 400;
}

/** A 3xx: nothing of the answer counts (it may come from anyone), and it is never followed. */
function redirectError(operation: Operation, response: ApiResponse, options: InterpretOptions): MemoriesApiError {
	const secrets = secretsOf(options);
	const redirectTo = redirectTarget(response.location, options.baseUrl, secrets);
	const code = `HTTP ${response.httpStatus}`;
	return apiError({
		kind: 'redirect',
		operation,
		code,
		label: redirectTo === undefined ? `${code}, a redirect without a Location` : `${code}, a redirect to ${redirectTo}`,
		httpStatus: response.httpStatus,
		mayHaveStarted: false,
		redirectTo,
		secrets,
	});
}

/** An error for any answer that is not a success of `operation`. */
function failure(operation: Operation, response: ApiResponse, envelope: Envelope, options: InterpretOptions): MemoriesApiError {
	const httpStatus = response.httpStatus;
	const secrets = secretsOf(options);
	const waitMs = retryAfterMs(response.retryAfter, options.now ?? Date.now());
	if (envelope.shape === 'status') {
		const kind = STATUS_KINDS[envelope.status] ?? kindForHttpStatus(httpStatus) ?? 'bad_response';
		return apiError({
			kind,
			operation,
			code: String(envelope.status),
			label: `status ${envelope.status}`,
			httpStatus,
			apiMessage: envelope.message,
			mayHaveStarted: kind === 'bad_response',
			secrets,
			retryAfterMs: waitMs,
		});
	}
	if (envelope.shape === 'legacy') {
		const kind = LEGACY_KINDS[envelope.code] ?? kindForHttpStatus(httpStatus) ?? 'bad_response';
		return apiError({
			kind,
			operation,
			code: envelope.code,
			label: /^\d{3}$/.test(envelope.code) ? `HTTP ${envelope.code}` : `code ${envelope.code}`,
			httpStatus,
			apiMessage: envelope.message,
			mayHaveStarted: kind === 'bad_response',
			secrets,
			retryAfterMs: waitMs,
		});
	}
	const what = { empty: 'an empty body', not_json: 'a body that is not JSON', unrecognised: 'an unrecognised JSON body' }[
		envelope.reason
	];
	const code = `HTTP ${httpStatus}`;
	const kind = kindForHttpStatus(httpStatus);
	if (kind === undefined) {
		return apiError({ kind: 'bad_response', operation, code, label: `${code} and ${what}`, httpStatus, mayHaveStarted: true, retryAfterMs: waitMs });
	}
	// A gateway error page (502/503/504) can hide a start the service did process.
	const gateway = httpStatus === 502 || httpStatus === 503 || httpStatus === 504;
	return apiError({ kind, operation, code, label: `${code} with ${what}`, httpStatus, mayHaveStarted: gateway, retryAfterMs: waitMs });
}

function isSuccessHttp(httpStatus: number): boolean {
	return httpStatus >= 200 && httpStatus < 300;
}

/**
 * Reads the answer to Start.
 * @throws MemoriesApiError for every answer that did not start a task we know the id of
 */
export function interpretStartResponse(response: ApiResponse, options: InterpretOptions = {}): Started {
	if (isRedirect(response.httpStatus)) throw redirectError('start', response, options);
	const envelope = readEnvelope(response.body);
	let taskId: string | undefined;
	let claimsSuccess = false;
	if (envelope.shape === 'status' && envelope.status === Status.ok) {
		claimsSuccess = true;
		taskId = envelope.taskId;
	} else if (envelope.shape === 'legacy' && envelope.code === LegacyCode.ok) {
		claimsSuccess = true;
		taskId = legacyTaskId(envelope.data);
	}
	if (claimsSuccess && isSuccessHttp(response.httpStatus)) {
		// A task id a stop could not name (e.g. "..") is a task we could never stop: refused here.
		if (isTaskId(taskId)) return { taskId };
		throw apiError({
			kind: 'bad_response',
			operation: 'start',
			code: `HTTP ${response.httpStatus}`,
			label: 'success but no usable task_id',
			httpStatus: response.httpStatus,
			mayHaveStarted: true,
		});
	}
	throw failure('start', response, envelope, options);
}

/**
 * Reads the answer to Stop. "Not found or already stopped" (`-1`) is an outcome, not an error:
 * stopping is idempotent for the user.
 * @throws MemoriesApiError for every other failure
 */
export function interpretStopResponse(taskId: string, response: ApiResponse, options: InterpretOptions = {}): StopOutcome {
	if (isRedirect(response.httpStatus)) throw redirectError('stop', response, options);
	const envelope = readEnvelope(response.body);
	if (envelope.shape === 'status') {
		if (envelope.status === Status.stopped || (envelope.status === Status.ok && isSuccessHttp(response.httpStatus))) {
			return { outcome: 'stopped', taskId };
		}
		if (envelope.status === Status.invalid) return { outcome: 'not_found', taskId };
	}
	if (envelope.shape === 'legacy' && envelope.code === LegacyCode.ok && isSuccessHttp(response.httpStatus)) {
		return { outcome: 'stopped', taskId };
	}
	throw failure('stop', response, envelope, options);
}

const CONNECT_FAILURES = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'UND_ERR_CONNECT_TIMEOUT',
	'CERT_HAS_EXPIRED',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	// The n8n credential refused to attach the key to a URL outside the Base URL's origin: never sent.
	'KEY_ORIGIN_REFUSED',
]);
const TIMEOUTS = new Set([
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'ECONNABORTED',
	'UND_ERR_HEADERS_TIMEOUT',
	'UND_ERR_BODY_TIMEOUT',
	'TIMEOUT',
	'ABORT_ERR',
	'UND_ERR_ABORTED',
]);

/**
 * Turns a failure of the HTTP client itself (no answer at all) into the same typed error.
 * @param errorCode the client's error code, e.g. `ECONNRESET` or `UND_ERR_HEADERS_TIMEOUT`
 */
export function interpretRequestFailure(operation: Operation, errorCode: string | undefined): MemoriesApiError {
	const code = errorCode && /^[A-Z0-9_]{2,40}$/.test(errorCode) ? errorCode : 'NETWORK_ERROR';
	if (TIMEOUTS.has(code)) return apiError({ kind: 'timeout', operation, code, label: code, mayHaveStarted: true });
	// The request never reached the service: nothing can have started.
	if (CONNECT_FAILURES.has(code)) return apiError({ kind: 'network', operation, code, label: code, mayHaveStarted: false });
	return apiError({ kind: 'network', operation, code, label: `connection failed: ${code}`, mayHaveStarted: true });
}

/**
 * Whether the service may have carried out a call that failed: its answer was lost (timeout,
 * dropped connection), garbled, or an error page (gateway or service). False when the request
 * cannot have reached the service (connection refused, unknown host) or was refused outright
 * (rate limit, capacity, auth, invalid request). A retried stop that then hears "not found" was
 * most likely stopped by such an earlier attempt.
 */
export function mayHaveBeenProcessed(error: MemoriesApiError): boolean {
	switch (error.kind) {
		case 'timeout':
		case 'bad_response':
		case 'server':
			return true;
		case 'network':
			return !CONNECT_FAILURES.has(error.code);
		default:
			return false;
	}
}
