export type Operation = 'start' | 'stop';

/** What went wrong, in the user's terms; each kind has its own advice. */
export type ApiErrorKind =
	| 'invalid_request'
	| 'auth'
	| 'permission'
	| 'max_streams'
	| 'credits'
	| 'rate_limited'
	| 'capacity'
	| 'server'
	| 'bad_response'
	| 'timeout'
	| 'network'
	/** The Base URL answered with a 3xx: never followed (the key only goes to the Base URL's origin). */
	| 'redirect';

export interface ApiErrorDetails {
	kind: ApiErrorKind;
	operation: Operation;
	/** The API's own code as text (`1001`, `0401`, `HTTP 502`, `ECONNRESET`…). */
	code: string;
	/** Short statement of what happened. */
	summary: string;
	/** What the user should do next. */
	advice: string;
	httpStatus?: number;
	/** Trying the same call again later can succeed. */
	retryable: boolean;
	/**
	 * A start whose answer was lost (timeout, reset, garbled body) may have started a billed
	 * task that we cannot see: the API has no list endpoint.
	 */
	mayHaveStarted: boolean;
	/** The API's message text, when it sent one (never contains our key: we never send it back). */
	apiMessage?: string;
	/** A redirect: where it pointed (origin and path only, secrets redacted). */
	redirectTo?: string;
	/** How long the service asked to wait before the next try (its `Retry-After`), in ms. */
	retryAfterMs?: number;
}

/** The one error type every API failure becomes; hosts wrap it in their own error classes. */
export class MemoriesApiError extends Error {
	readonly kind: ApiErrorKind;
	readonly operation: Operation;
	readonly code: string;
	readonly summary: string;
	readonly advice: string;
	readonly httpStatus?: number;
	readonly retryable: boolean;
	readonly mayHaveStarted: boolean;
	readonly apiMessage?: string;
	readonly redirectTo?: string;
	readonly retryAfterMs?: number;

	constructor(details: ApiErrorDetails) {
		super(`${details.summary} ${details.advice}`);
		this.name = 'MemoriesApiError';
		this.kind = details.kind;
		this.operation = details.operation;
		this.code = details.code;
		this.summary = details.summary;
		this.advice = details.advice;
		this.httpStatus = details.httpStatus;
		this.retryable = details.retryable;
		this.mayHaveStarted = details.mayHaveStarted;
		this.apiMessage = details.apiMessage;
		this.redirectTo = details.redirectTo;
		this.retryAfterMs = details.retryAfterMs;
	}

	/** A plain object for outputs and logs (no stack, nothing secret). */
	toJSON(): ApiErrorDetails & { message: string } {
		return {
			message: this.message,
			kind: this.kind,
			operation: this.operation,
			code: this.code,
			summary: this.summary,
			advice: this.advice,
			httpStatus: this.httpStatus,
			retryable: this.retryable,
			mayHaveStarted: this.mayHaveStarted,
			apiMessage: this.apiMessage,
			...(this.redirectTo === undefined ? {} : { redirectTo: this.redirectTo }),
			...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
		};
	}
}

export function isMemoriesApiError(value: unknown): value is MemoriesApiError {
	return value instanceof MemoriesApiError;
}

/** Input that the user must correct before anything is sent. */
export class InputError extends Error {
	/** Which input was wrong, in the words the editor uses (e.g. "RTMP URL"). */
	readonly field: string;

	constructor(field: string, message: string) {
		super(message);
		this.name = 'InputError';
		this.field = field;
	}
}
