// Errors as Node-RED shows them: a full message for done(err) (Catch nodes, debug sidebar) and a
// short reason for the status under the node. The core's messages already say what to do next.
import { InputError, MemoriesApiError, redact } from '../../../core';

/** A plain Error carrying `details` as its `cause` and as its own properties. */
function detailed(message: string, details: Record<string, unknown>): Error {
	return Object.assign(new Error(message, { cause: details }), details, { message });
}

/**
 * A plain Error (Node-RED shows `err.toString()`: "Error: <what to do>", not a class name) that
 * still carries what a Catch node can route on. Node-RED copies only `code`, `stack` and `cause`
 * into msg.error, so the details (`kind`, `retryable`, `mayHaveStarted`…) travel as the cause.
 */
export function toError(error: unknown, secrets: readonly string[] = []): Error {
	if (error instanceof MemoriesApiError) return detailed(error.message, { ...error.toJSON() });
	if (error instanceof InputError) {
		return detailed(error.message, { kind: 'invalid_input', code: 'INVALID_INPUT', field: error.field, retryable: false });
	}
	const message = error instanceof Error ? error.message : String(error);
	return new Error(redact(message, secrets));
}

/** A few words for node.status(). */
export function shortReason(error: unknown): string {
	if (error instanceof MemoriesApiError) {
		return { max_streams: '4 streams already running', auth: 'API key refused', credits: 'no credits left' }[
			error.kind as string
		] ?? `${error.kind.replace(/_/g, ' ')} (${error.code})`;
	}
	if (error instanceof InputError) return `check ${error.field}`;
	return 'error';
}
