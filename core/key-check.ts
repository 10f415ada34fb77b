// Checking an API key. The API has no account endpoint: stopping a task id that no task can have
// answers "not found" (-1) to an accepted key, touches no stream and (assumed) costs nothing.
import { CORRECT_BASE_URL, REDIRECT_NOT_FOLLOWED } from './api-error';
import { LegacyCode, Status } from './contract';
import { MemoriesApiError } from './errors';
import { interpretStopResponse } from './response';

export const KEY_CHECK_TASK_ID = 'key-check-not-a-task';

export interface KeyCheckFailure {
	/** The body field that carries the code: `status`, or `code` in the older envelope. */
	key: 'status' | 'code';
	value: number | string;
	/** What to tell the user: the core's message for that answer. */
	message: string;
}

/**
 * Every documented code which, in an HTTP 2xx answer to the key-check stop, means the check
 * failed, with its message: for hosts whose credential test can only match body fields (n8n's).
 * Non-2xx answers fail such tests anyway.
 */
export function keyCheckFailures(): KeyCheckFailure[] {
	const answers = [
		...Object.values(Status).map((value) => ({ key: 'status' as const, value, body: { status: value } })),
		...Object.values(LegacyCode).map((value) => ({ key: 'code' as const, value, body: { code: value, msg: '', data: null, success: false } })),
	];
	const failures: KeyCheckFailure[] = [];
	for (const { key, value, body } of answers) {
		try {
			interpretStopResponse(KEY_CHECK_TASK_ID, { httpStatus: 200, body });
		} catch (error) {
			if (error instanceof MemoriesApiError) failures.push({ key, value, message: error.message });
		}
	}
	return failures;
}

/** The redirect statuses a key check may be answered with (RFC 9110 §15.4). */
export const REDIRECT_STATUSES = [300, 301, 302, 303, 307, 308] as const;

/**
 * Per redirect status, what a key check answered with it tells the user (for hosts whose
 * credential test matches HTTP codes, n8n's, which cannot show where it pointed).
 */
export function keyCheckRedirects(): Array<{ httpStatus: number; message: string }> {
	return REDIRECT_STATUSES.map((httpStatus) => ({
		httpStatus,
		message: `The Base URL answered the key check with HTTP ${httpStatus}, a redirect. ${REDIRECT_NOT_FOLLOWED} ${CORRECT_BASE_URL}`,
	}));
}
