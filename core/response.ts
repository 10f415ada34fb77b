// Reading the API's answers to start and stop, and failures of the HTTP client itself.
import { apiError } from './api-error';
import { callbackTokenOf } from './callback-url';
import { LegacyCode, Status } from './contract';
import { Envelope, legacyTaskId, readEnvelope } from './envelope';
import { ApiErrorKind, MemoriesApiError, Operation } from './errors';
import { isTaskId } from './validate';

/** What came back over HTTP, however the host's client delivered the body. */
export interface ApiResponse {
	httpStatus: number;
	/** Raw text, bytes, an already parsed object, or nothing. */
	body: unknown;
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

/** An error for any answer that is not a success of `operation`. */
function failure(operation: Operation, response: ApiResponse, envelope: Envelope, options: InterpretOptions): MemoriesApiError {
	const httpStatus = response.httpStatus;
	const secrets = secretsOf(options);
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
		});
	}
	const what = { empty: 'an empty body', not_json: 'a body that is not JSON', unrecognised: 'an unrecognised JSON body' }[
		envelope.reason
	];
	const code = `HTTP ${httpStatus}`;
	const kind = kindForHttpStatus(httpStatus);
	if (kind === undefined) {
		return apiError({ kind: 'bad_response', operation, code, label: `${code} and ${what}`, httpStatus, mayHaveStarted: true });
	}
	// A gateway error page (502/503/504) can hide a start the service did process.
	const gateway = httpStatus === 502 || httpStatus === 503 || httpStatus === 504;
	return apiError({ kind, operation, code, label: `${code} with ${what}`, httpStatus, mayHaveStarted: gateway });
}

function isSuccessHttp(httpStatus: number): boolean {
	return httpStatus >= 200 && httpStatus < 300;
}

/**
 * Reads the answer to Start.
 * @throws MemoriesApiError for every answer that did not start a task we know the id of
 */
export function interpretStartResponse(response: ApiResponse, options: InterpretOptions = {}): Started {
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
