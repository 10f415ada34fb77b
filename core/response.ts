import { Backoff, LegacyCode, Limits, MAX_CONCURRENT_STREAMS, Status } from './contract';
import { ApiErrorKind, MemoriesApiError, Operation } from './errors';
import { callbackTokenOf } from './callback-url';
import { redact } from './secrets';

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

type Envelope =
	| { shape: 'status'; status: number; taskId?: string; message?: string }
	| { shape: 'legacy'; code: string; data: unknown; message?: string }
	| { shape: 'none'; reason: 'empty' | 'not_json' | 'unrecognised' };

const TASK_ID = /^[A-Za-z0-9._~-]{1,128}$/;

function own(object: Record<string, unknown>, key: string): unknown {
	return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

function decode(body: unknown): unknown {
	if (body === undefined || body === null) return undefined;
	if (body instanceof Uint8Array) body = new TextDecoder().decode(body);
	if (typeof body !== 'string') return body;
	const text = body.trim();
	if (text === '') return undefined;
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return NOT_JSON;
	}
}
const NOT_JSON = Symbol('not json');

function messageOf(object: Record<string, unknown>): string | undefined {
	for (const key of ['text', 'msg', 'message', 'error']) {
		const value = own(object, key);
		if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, 300);
	}
	return undefined;
}

function readEnvelope(body: unknown): Envelope {
	const value = decode(body);
	if (value === undefined) return { shape: 'none', reason: 'empty' };
	if (value === NOT_JSON) return { shape: 'none', reason: 'not_json' };
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		return { shape: 'none', reason: 'unrecognised' };
	}
	const object = value as Record<string, unknown>;
	const status = own(object, 'status');
	const statusNumber =
		typeof status === 'number' ? status : typeof status === 'string' && /^-?\d+$/.test(status) ? Number(status) : NaN;
	if (Number.isInteger(statusNumber)) {
		const taskId = own(object, 'task_id');
		return {
			shape: 'status',
			status: statusNumber,
			taskId: typeof taskId === 'string' ? taskId : undefined,
			message: messageOf(object),
		};
	}
	const code = own(object, 'code');
	if (typeof code === 'string' || typeof code === 'number') {
		return { shape: 'legacy', code: String(code), data: own(object, 'data'), message: messageOf(object) };
	}
	return { shape: 'none', reason: 'unrecognised' };
}

interface Advice {
	kind: ApiErrorKind;
	summary: string;
	advice: string;
	retryable: boolean;
}

const MAY_HAVE_STARTED =
	'The stream may have started anyway: if results arrive for a task you did not record, stop it with the task_id they carry.';

function adviceFor(kind: ApiErrorKind, operation: Operation, label: string): Advice {
	const retrySoon =
		operation === 'stop'
			? 'Stopping is safe to repeat: try again in a few seconds.'
			: 'Try again in a few seconds.';
	const backoff = `Wait and retry with back-off (${Backoff.firstDelayMs / 1000} s doubling up to ${Backoff.maxDelayMs / 1000} s).`;
	switch (kind) {
		case 'invalid_request':
			return {
				kind,
				retryable: false,
				summary: `memories.ai rejected the ${operation} request as invalid (${label}).`,
				advice:
					operation === 'start'
						? 'Check that the RTMP URL is a live stream reachable from the internet, that the prompts are not empty and that the Callback URL is public.'
						: 'Check the task ID: use the task_id that Start returned.',
			};
		case 'auth':
			return {
				kind,
				retryable: false,
				summary: `memories.ai did not accept the API key (${label}).`,
				advice:
					'Check the API key in your credentials: the raw key from your memories.ai account, without "Bearer ", and the Base URL it belongs to.',
			};
		case 'permission':
			return {
				kind,
				retryable: false,
				summary: `This API key is not allowed to use live video understanding (${label}).`,
				advice: "Check the key's permissions in your memories.ai account, or use another key.",
			};
		case 'max_streams':
			return {
				kind,
				retryable: false,
				summary: `This API key already runs the maximum of ${MAX_CONCURRENT_STREAMS} streams (${label}).`,
				advice:
					'Stop one of them with Stop and its task ID (the API cannot list running tasks: use the task IDs Start returned), or wait for a stream to end, then start again.',
			};
		case 'credits':
			return {
				kind,
				retryable: false,
				summary: `memories.ai could not deduct credits for the stream (${label}).`,
				advice: 'Recharge your memories.ai account, then start the stream again.',
			};
		case 'rate_limited':
			return { kind, retryable: true, summary: `memories.ai rate limit exceeded (${label}).`, advice: backoff };
		case 'capacity':
			return {
				kind,
				retryable: true,
				summary: `memories.ai has reached its capacity for your account (${label}).`,
				advice: `${backoff} The limit is shared by all keys of the account.`,
			};
		case 'server':
			return {
				kind,
				retryable: true,
				summary: `memories.ai reported an internal error (${label}).`,
				advice: retrySoon,
			};
		case 'bad_response':
			return {
				kind,
				retryable: true,
				summary: `memories.ai answered ${operation} with ${label}.`,
				advice: retrySoon,
			};
		case 'timeout':
			return {
				kind,
				retryable: true,
				summary: `memories.ai did not answer ${operation} within ${Limits.requestTimeoutMs / 1000} s (${label}).`,
				advice: retrySoon,
			};
		case 'network':
			return {
				kind,
				retryable: true,
				summary: `Could not reach memories.ai to ${operation} (${label}).`,
				advice: 'Check the Base URL and the network between this server and memories.ai, then try again.',
			};
	}
}

function apiError(
	kind: ApiErrorKind,
	operation: Operation,
	code: string,
	label: string,
	httpStatus: number | undefined,
	apiMessage: string | undefined,
	mayHaveStarted: boolean,
	options: InterpretOptions,
): MemoriesApiError {
	const advice = adviceFor(kind, operation, label);
	const message = apiMessage === undefined ? undefined : redact(apiMessage, secretsOf(options));
	const startUnknown = operation === 'start' && mayHaveStarted;
	return new MemoriesApiError({
		...advice,
		// A lost answer to start may hide a billed task: say so first, then how to retry.
		advice: startUnknown ? `${MAY_HAVE_STARTED} ${advice.advice}` : advice.advice,
		summary: message ? `${advice.summary.slice(0, -1)}: "${message}".` : advice.summary,
		operation,
		code,
		httpStatus,
		apiMessage: message,
		mayHaveStarted: startUnknown,
	});
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

/** An error for any answer that is not a success of `operation`. */
function failure(
	operation: Operation,
	response: ApiResponse,
	envelope: Envelope,
	options: InterpretOptions,
): MemoriesApiError {
	const http = response.httpStatus;
	if (envelope.shape === 'status') {
		const kind = STATUS_KINDS[envelope.status] ?? kindForHttpStatus(http) ?? 'bad_response';
		const label = `status ${envelope.status}`;
		return apiError(kind, operation, String(envelope.status), label, http, envelope.message, kind === 'bad_response', options);
	}
	if (envelope.shape === 'legacy') {
		const kind = LEGACY_KINDS[envelope.code] ?? kindForHttpStatus(http) ?? 'bad_response';
		const label = /^\d{3}$/.test(envelope.code) ? `HTTP ${envelope.code}` : `code ${envelope.code}`;
		return apiError(kind, operation, envelope.code, label, http, envelope.message, kind === 'bad_response', options);
	}
	const what = { empty: 'an empty body', not_json: 'a body that is not JSON', unrecognised: 'an unrecognised JSON body' }[
		envelope.reason
	];
	const kind = kindForHttpStatus(http);
	if (kind === undefined) {
		return apiError('bad_response', operation, `HTTP ${http}`, `HTTP ${http} and ${what}`, http, undefined, true, options);
	}
	// A gateway error page (502/503/504) can hide a start the service did process.
	const gateway = http === 502 || http === 503 || http === 504;
	return apiError(kind, operation, `HTTP ${http}`, `HTTP ${http} with ${what}`, http, undefined, gateway, options);
}

function isSuccessHttp(httpStatus: number): boolean {
	return httpStatus >= 200 && httpStatus < 300;
}

function legacyTaskId(data: unknown): string | undefined {
	if (typeof data === 'string') return data;
	if (typeof data === 'object' && data !== null) {
		const id = own(data as Record<string, unknown>, 'task_id') ?? own(data as Record<string, unknown>, 'taskId');
		if (typeof id === 'string') return id;
	}
	return undefined;
}

/**
 * Reads the answer to Start.
 * @throws MemoriesApiError for every answer that did not start a task we know the id of
 */
export function interpretStartResponse(response: ApiResponse, options: InterpretOptions = {}): Started {
	const envelope = readEnvelope(response.body);
	const okHttp = isSuccessHttp(response.httpStatus);
	let taskId: string | undefined;
	let claimsSuccess = false;
	if (envelope.shape === 'status' && envelope.status === Status.ok) {
		claimsSuccess = true;
		taskId = envelope.taskId;
	} else if (envelope.shape === 'legacy' && envelope.code === LegacyCode.ok) {
		claimsSuccess = true;
		taskId = legacyTaskId(envelope.data);
	}
	if (claimsSuccess && okHttp) {
		if (taskId !== undefined && TASK_ID.test(taskId)) return { taskId };
		throw apiError(
			'bad_response',
			'start',
			`HTTP ${response.httpStatus}`,
			'success but no usable task_id',
			response.httpStatus,
			undefined,
			true,
			options,
		);
	}
	throw failure('start', response, envelope, options);
}

/**
 * Reads the answer to Stop. "Not found or already stopped" (`-1`) is an outcome, not an error:
 * stopping is idempotent for the user.
 * @throws MemoriesApiError for every other failure
 */
export function interpretStopResponse(
	taskId: string,
	response: ApiResponse,
	options: InterpretOptions = {},
): StopOutcome {
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
	if (TIMEOUTS.has(code)) return apiError('timeout', operation, code, code, undefined, undefined, true, {});
	// The request never reached the service: nothing can have started.
	if (CONNECT_FAILURES.has(code)) return apiError('network', operation, code, code, undefined, undefined, false, {});
	return apiError('network', operation, code, `connection failed: ${code}`, undefined, undefined, true, {});
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

function secretsOf(options: InterpretOptions): string[] {
	const token = options.callbackUrl === undefined ? undefined : callbackTokenOf(options.callbackUrl);
	return [...(options.secrets ?? []), ...(token ? [token] : [])];
}

/** Documented back-off for retries: 1 s, 2 s, 4 s … capped at 32 s. `attempt` counts from 0. */
export function backoffDelayMs(attempt: number): number {
	return Math.min(Backoff.firstDelayMs * 2 ** Math.max(0, attempt), Backoff.maxDelayMs);
}

/**
 * Runs `attempt` again while it fails with a retryable MemoriesApiError, waiting the documented
 * back-off between tries. Only for idempotent calls (stop): a start is never repeated blindly,
 * as a lost answer may hide a started, billed task.
 * @param sleep the host's way to wait (hosts own timers; the core does no I/O)
 */
export async function retryIdempotent<T>(
	attempt: () => Promise<T>,
	sleep: (ms: number) => Promise<void>,
	maxAttempts = 3,
): Promise<T> {
	for (let tries = 1; ; tries++) {
		try {
			return await attempt();
		} catch (error) {
			if (!(error instanceof MemoriesApiError) || !error.retryable || tries >= maxAttempts) throw error;
			await sleep(backoffDelayMs(tries - 1));
		}
	}
}

/**
 * Stops a task with retries (retryIdempotent). A retry that hears "not found" after a try whose
 * answer was lost (mayHaveBeenProcessed) reports "stopped": that try most likely did stop it,
 * and the service only says -1 the second time.
 * @param stopOnce one stop call: send the request and interpret its answer (interpretStopResponse)
 */
export async function retryStop(
	taskId: string,
	stopOnce: () => Promise<StopOutcome>,
	sleep: (ms: number) => Promise<void>,
	maxAttempts = 3,
): Promise<StopOutcome> {
	let earlierTryMayHaveStopped = false;
	const outcome = await retryIdempotent(
		async () => {
			try {
				return await stopOnce();
			} catch (error) {
				if (error instanceof MemoriesApiError && mayHaveBeenProcessed(error)) earlierTryMayHaveStopped = true;
				throw error;
			}
		},
		sleep,
		maxAttempts,
	);
	return outcome.outcome === 'not_found' && earlierTryMayHaveStopped ? { outcome: 'stopped', taskId } : outcome;
}
