import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { INode, JsonObject } from 'n8n-workflow';

import { InputError, MemoriesApiError } from '../../core';

/** The core's typed errors as n8n's: API failures as NodeApiError, bad input as NodeOperationError. */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof MemoriesApiError) {
		const nodeError = new NodeApiError(node, error.toJSON() as unknown as JsonObject, {
			message: error.summary,
			description: error.advice,
			httpCode: error.httpStatus === undefined ? undefined : String(error.httpStatus),
			itemIndex,
		});
		// NodeApiError swaps a message that names a network code (ECONNRESET, ECONNABORTED…) for a
		// generic text of its own ("perhaps the server is offline"), even for a timeout: keep ours.
		nodeError.message = error.summary;
		return nodeError;
	}
	if (error instanceof InputError) {
		return new NodeOperationError(node, error.message, { itemIndex, description: `Check the ${error.field} parameter.` });
	}
	return new NodeOperationError(node, error instanceof Error ? error : String(error), { itemIndex });
}

/**
 * The item a failed call leaves behind when the node is set to continue on fail. n8n's own shape
 * (`error`, plus `details`): only items whose keys are error, message and details go to the
 * error output of "Continue (using error output)"; any other key keeps them on the regular one.
 */
export function errorItemJson(error: NodeApiError | NodeOperationError): JsonObject {
	const response = error instanceof NodeApiError ? (error.errorResponse as JsonObject | undefined) : undefined;
	const details: JsonObject = {
		...(error.description ? { description: error.description } : {}),
		...(response && typeof response.kind === 'string'
			? { kind: response.kind, code: response.code ?? null, retryable: response.retryable ?? null }
			: {}),
	};
	return { error: error.message, ...(Object.keys(details).length > 0 ? { details } : {}) };
}
